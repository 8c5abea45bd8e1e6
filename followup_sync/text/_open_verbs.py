"""The open-verb path: any action verb after the rep's future modal, minus the classes that are not a promise.

The lexicon (``_promise_lexicon``) is a whitelist; plain promises in other words ("I'll double check", "I'll
skim the lease tonight") are missed by it. This module names, by class, the verbs after "I will" that do not
commit the sender to an action the recipient will expect (guidelines v2, "Not a promise"): states and feelings,
availability, wishes, the sender's own whereabouts and standing plans, things done to the sender, obligations
and discourse inside this very message. Everything else that reads as a verb is taken as an action owed.
"""

from __future__ import annotations

import re

# Verbs after "I will" that are not an action owed to the recipient, by class (guidelines v2, "Not a promise").
_EXCLUDED = (
    # states, feelings, thoughts ("I'll miss you", "I will cherish", "I'll remember that")
    "miss cherish love like enjoy eat drink ignore cheer root applaud thank congratulate welcome abide respect "
    "honor obey comply hate dislike appreciate treasure adore admire value remember forget know require "
    "understand think feel believe assume guess suppose wonder doubt expect imagine realize recognize trust bet "
    "worry care mind regret deserve owe agree disagree prefer hope wish pray dream want need must seem look "
    "sound appear mean matter count suffer survive celebrate smile laugh cry relax rest sleep "
    # availability and open offers ("I'll remain available", "I'll stand by")
    "remain stay stand sit wait await hang linger idle volunteer "
    # the sender's whereabouts and standing plans ("I'll head home", "we will use Citibank", "I'll attend")
    "be go come leave arrive travel fly drive head move relocate live spend vacation return attend join "
    "participate visit commute walk run ride stop land depart retire resign quit start begin continue keep "
    "maintain retain monitor track follow use own operate hold work proceed focus concentrate stick rely depend "
    "plan intend aim try attempt hopefully "
    # things done to the sender ("I will receive", "I'll hear from legal", "I'll get a laptop")
    "receive get hear see watch listen learn lose win earn gain inherit accept undergo experience face "
    "take have become grow turn fall catch "
    # discourse in this message ("I will note that ...", "I'll answer your questions below")
    "note add say state mention point stress emphasize reiterate repeat conclude admit confess answer "
    "respond reply comment summarize describe outline list explain address tell "
    # verbs the lexicon already reads, with its own limits ("I will check my phone mail", "I'll let Tom decide"),
    # and attachments sent with this very message ("I will attach his resume")
    "check call send email forward let make attach enclose include copy meet discuss interview access defer "
    # not verbs: what a modal is followed by when it is not a commitment
    "not never also still just only even always probably definitely certainly surely perhaps maybe likely "
    "the a an this that these those it its you your my our his her their there then now so too very all "
    "be able do need have most more less soon ill"
)
_NOT_ACTIONS = frozenset(_EXCLUDED.split())
# "I'll keep my fingers crossed", "I'll take a break": idioms of the classes above are caught by their verb.

# Verbs that are whereabouts or states alone but an action with a thing as their object.
_WITH_OBJECT = frozenset({"return"})
_OBJECT = re.compile(r" (?:the|a|an|it|them|this|that|these|those|all|one|two|both|some|any|your|my|our)\b")
_WORD = re.compile(r"([a-z]+)(?=[ -][a-z0-9\"'(])")
# Base forms that end like a past tense or a gerund.
_BASE_ED_ING = frozenset({"proceed", "exceed", "succeed", "feed", "speed", "bring", "ring", "string", "sing"})
# Discourse or a list that follows in this very message ("I'll fix these: ...", "... as follows").
_HERE = re.compile(r"[^.;!?]*?(?:\bbelow\b|\bas follows\b|\bhere\b|:\s)")


def open_verb(low: str, pos: int) -> int | None:
    """The end of an action verb starting at ``pos`` that is not of an excluded class, or None."""
    m = _WORD.match(low, pos)
    if m is None:
        return None
    word = m.group(1)
    # "I will return a fully executed original to you", not "I will return on Monday" (whereabouts).
    if word in _WITH_OBJECT:
        if not _OBJECT.match(low, m.end()):
            return None
    elif len(word) < 3 or word in _NOT_ACTIONS or word.endswith("ly"):
        return None
    if word.endswith(("ed", "ing", "en")) and word not in _BASE_ED_ING and word not in {"open", "listen"}:
        return None
    if _HERE.match(low, m.end()):
        return None
    return m.end()
