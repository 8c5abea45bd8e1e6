"""The verb lexicon of the promise detector and the wording of a promise's action.

``text.promises`` decides *whether* a sentence holds a promise; this module knows *which verbs* can carry one
(grouped by channel), and cuts the short action phrase ("send the revised pricing") out of the sentence.
Everything here works on lower-cased text with single spaces.
"""

from __future__ import annotations

import re

from followup_sync.model import Channel

__all__ = ["AND_NEXT", "DELEGATES", "DELIVERY", "action", "match_verb"]

# --- the verb lexicon ----------------------------------------------------------------------------------------

_DOUBLED = frozenset({"get", "put", "stop", "drop", "set", "run", "ship", "swing", "dig"})


def _ing(word: str) -> str:
    if word in _DOUBLED:
        return word + word[-1] + "ing" if word not in {"swing"} else word + "ing"
    if word.endswith("e") and not word.endswith("ee"):
        return word[:-1] + "ing"
    return word + "ing"


def _v(phrase: str) -> str:
    """``"send"`` -> ``(?:send|sending)``; only the phrase's first word is inflected, for "I'll be sending"."""
    head, _, tail = phrase.partition(" ")
    alt = f"(?:{head}|{_ing(head)})"
    return alt + (" " + tail if tail else "")


# An indirect object in "give you a call", "drop John a note", "drop Mr. Derrick a voice mail".
_OBJ = r"(?:you|u|him|her|them|us|(?:mr|ms|mrs|dr)\.? [a-z]+|[a-z]+)"

# Each family: (channel, alternatives). Order matters: the first family whose pattern matches wins, so the
# specific idioms ("give you a call", "set up a meeting") come before the general verbs ("give", "set up").
_FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "call",
        (
            _v("give") + rf" {_OBJ} (?:a )?(?:call|ring|buzz|shout|phone call|telephone call)",
            _v("return") + r" (?:your|the|his|her|their) (?:phone )?calls?",
            r"(?:set up|setting up|schedule|scheduling|arrange|arranging|book|booking) (?:a |an |the |some )?"
            r"(?:[a-z-]+ ){0,2}(?:call|phone call|conference call|conf call)\b",
            _v("try")
            + r" (?:(?:you|u) )?(?:again|back|later|tomorrow|tonight|this (?:afternoon|evening)|after)\b",
            _v("catch") + r" (?:you|u)\b(?! (?:at a bad time|off guard)\b)",
            r"(?:voice ?-?mail|voicemail|voicemailing|conference)(?= (?:you|u|him|her|them|[a-z]+)\b)",
            _v("leave") + rf" {_OBJ} (?:with )?an? (?:voice ?-?mail|voicemail|message)",
            _v("leave") + r" (?:a )?(?:voice ?-?mails?|voicemails?|messages?) (?:for|with)\b",
            _v("reach") + r" (?:you|u)\b",
            r"(?:call|calling|phone|phoning|ring|ringing|dial|dialing|telephone|telephoning)"
            # "I will call in and let Patti know my status": phoning in to work or into a meeting
            r"(?! (?:it|this|that) (?:a|off|quits))(?! in\b(?! (?:the|an?|your|our)\b))",
        ),
    ),
    (
        "email",
        (
            _v("shoot") + rf" {_OBJ} (?:an? )?(?:e-?mail|note|line|message)",
            _v("shoot") + r" (?:over|(?:you|u|him|her|them) (?:over|the|a|an|my|our|some))\b",
            _v("have") + r" (?:it|this|that|them|these|those|the \w+|a copy) (?:e-?mailed|sent|forwarded)",
            r"(?:circulate|circulating|distribute|distributing)",
            # "share the case studies", "share a draft with you"; not "share a short story" at a meeting.
            r"(?:share|sharing)(?= (?:it|this|that|them|these|those|the|our|copies|a copy)\b"
            r"| [^.;]{0,40}\bwith (?:you|u|everyone|all of you)\b)",
            _v("drop") + rf" {_OBJ} (?:an? )?(?:e-?mail|note|line|message)",
            _v("drop") + rf" {_OBJ} an? (?:voice ?-?mail|voicemail)",
            r"(?:e-?mail|e-?mailing|send|sending|resend|resending|re-send|forward|forwarding|fwd|mail|mailing)",
            # "I will sent you the deck": the typo after a modal reads as the verb meant.
            r"sent(?= (?:you|u|him|her|them|it|this|that|these|those|the|a|an|my|our|over|out|along|back)\b)",
            _v("relay"),
            r"(?:write|writing)(?! (?:it )?off)",
            # "I will be responding to voice mail" is about being reachable.
            r"(?:reply|replying|respond|responding)(?! to (?:my |the )?(?:voice ?-?mails?|e-?mails?|messages)\b)",
        ),
    ),
    (
        "meeting",
        (
            r"(?:set up|setting up|schedule|scheduling|arrange|arranging|book|booking) (?:a |an |the |some )?"
            r"(?:[a-z-]+ ){0,2}(?:meeting|mtg|demo|visit|lunch|dinner|breakfast|time|room|conference room)\b",
            # "meet with Legal" or "meeting him" is the rep's own appointment, not one the recipient expects.
            r"(?:meet|meeting|visit|visiting|demo|demoing)"
            r"(?! (?:again |also |later )?with (?!you\b|u\b|your\b|y'all|all of you|everyone|you all))"
            r"(?! (?:him|her|them)\b)",
            r"(?:stop|stopping|come|coming|drop|dropping|swing|swinging) (?:by|over|in)",
            r"(?:come|coming) (?:down|up|to your)",
            _v("walk") + rf" {_OBJ} through",
            _v("get") + r" together",
        ),
    ),
    (
        "contact",
        (
            _v("get") + r" back (?:to|with) (?:you|u)",
            _v("get") + r" back",
            _v("get") + r" (?:in touch|with you)",
            r"be (?:back )?in (?:touch|contact)",
            _v("touch") + r" base",
            _v("circle") + r" back",
            _v("loop") + r" back",
            _v("reach") + r" back(?: out)?",
            r"(?:come|coming) back to (?:you|u)\b",
            r"(?:revert|reverting)(?! to\b)",
            r"(?:ping|pinging)(?= (?:you|u|him|her|them|[a-z]+)\b)",
            _v("bring") + r" (?:you|u) up to (?:date|speed)",
            _v("follow") + r"(?: |-)?up",
            _v("reach") + r" out",
            _v("contact"),
            r"(?:let|letting) (?:you|u) know",
            _v("keep")
            + r" (?:you|u|everyone|everybody|all of you|you all|y'all|us|him|her|them|the group|the team)"
            r"(?: all)? (?:posted|informed|updated|advised|apprised|in the loop|up to date)",
            r"(?:notify|notifying|inform|informing)",
            r"(?:advise|advising)(?! (?:against|that|on|of)\b)",
            _v("update") + r" (?:you|u)\b",
            _v("fill") + rf" {_OBJ} in\b",
            _v("report") + r" back",
        ),
    ),
    (
        "delivery",  # fax and courier deliver something but are not email
        (
            r"(?:fax|faxing|overnight|fed ?ex|courier|wire|wiring|ship|shipping)",
            r"(?:text|texting)(?= (?:you|u|him|her|them)\b)",
            _v("drop")
            + r" (?:(?:it|them|this|that|these|those|the \w+|the \w+ \w+) )?off(?! (?:my|our|his|her)\b)",
            r"make sure (?:that )?(?:you|u) (?:have|get|receive)",
        ),
    ),
    (
        "other",
        (
            r"(?:double|re)[- ]?(?:check|checking)",
            # "I'll check my messages" is about being reachable, "(will be) checking in Thursday" about being at
            # work; "I'll check in with you" is a contact.
            r"(?:check|checking)(?! (?:my |our )?(?:messages|voice ?-?mail|phone ?-?mail|e-?mail|mail)\b)"
            r"(?! in\b(?! (?:with|on)\b))",
            _v("look") + r" (?:into|in to|at|over|through|for)",
            _v("take") + r" (?:a (?:quick |closer )?look|care|a stab)",
            _v("find") + r" out",
            _v("track") + r" down",
            _v("figure") + r" out",
            _v("dig") + r" (?:into|up|around)",
            r"see (?:if|whether|what) (?:i|we) can",
            _v("research"),
            _v("investigate"),
            _v("verify"),
            _v("confirm"),
            _v("review"),
            # "ask your assistance" is a request; "ask Sally" is a check.
            _v("ask") + r"(?! (?:you|u|your)\b)",
            _v("provide"),
            _v("deliver"),
            _v("prepare"),
            _v("put") + r" together",
            # "I'll put a proposal together for you", "I'll work up a new quote", "I'll sort it out this week"
            _v("put") + r" (?:[a-z']+ ){1,3}together\b",
            _v("work") + r" (?:up|out) (?:a|an|the|some|new|it|this|that|them|your|our)\b",
            r"(?:sort|sorting|straighten|straightening|iron|ironing)"
            r" (?:(?:it|this|that|them|things|the \w+) )?out\b",
            _v("hunt") + r" (?:(?:it|this|that|them|the \w+) )?down\b",
            _v("clear") + r" (?:(?:it|this|that|them|the \w+) )?up\b",
            _v("set") + r" aside (?:some )?time\b",
            _v("have") + r" a (?:quick |closer |good )?look (?:at|over|through|into)\b",
            r"(?:find|finding) (?:it|them|the \w+(?: \w+)?) for (?:you|u)\b",
            r"(?:find|finding) (?:the|a|your|our) (?:file|files|copy|copies|contract|agreement|original|originals"
            r"|document|documents|email|invoice|invoices|report|number|numbers|answer|paperwork|details)\b",
            # "I'll ensure the invoice is corrected", like "make sure"
            r"(?:ensure|ensuring) (?:that )?(?:it|they|this|that|these|those|the \w+|you|u|everything|everyone)\b",
            _v("draft"),
            _v("compile"),
            _v("bring") + r"(?! (?:it|this|that|them) up\b)",
            _v("pass") + r" (?:(?:it|this|that|them|these|those|the \w+) )?(?:along|on)",
            # "I'll pass your note along to credit", "I'll hand this over to our contracts team"
            _v("pass") + r" (?:[a-z']+ ){1,3}?(?:along|on to|over to)\b",
            _v("hand") + r" (?:(?:it|this|that|them|these|those|[a-z']+ [a-z]+) )?(?:over|off|on)\b",
            r"hand[- ]?deliver(?:ing)?",
            # "I'll see that the invoice gets corrected", "I will see to it that you get the originals"
            r"(?:see|seeing) (?:to it )?that (?:it|they|this|these|those|you|u|everyone|everything|all|the \w+)"
            r" (?:gets?|is|are|receives?|has|have)\b",
            _v("get") + r" (?:(?:it|this|that|them|these|those|the \w+|something|everything|all|one|some) )?"
            r"(?:to|over to) (?:you|u)",
            _v("get") + r" (?:you|u)(?= [a-z])",
            _v("get") + r" (?:it|this|that|them|these|those|the \w+|the \w+ \w+) "
            r"(?:done|fixed|set up|out|over|signed|taken care of|finished|ready|back)\b",
            _v("get") + r" (?:to|on) (?:it|this|that|them)",
            # "I'll then get it countersigned by our VP", "we'll get it loaded into the system"
            _v("get") + r" (?:it|this|that|them|these|those|the \w+|the \w+ \w+|all of (?:it|them)) "
            r"(?!(?:used|involved|interested|confused|bored|tired|excited|married)\b)(?:[a-z]{3,}(?:ed|en)|done)\b",
            _v("keep") + r" (?:looking|trying|working on it|searching|digging|at it|pushing|plugging away)\b",
            # Taking it on: "I'll get right on it", "I'll take it from here", "I'll make it happen"
            _v("get") + r" (?:right |straight )?on (?:it|this|that|them)\b",
            _v("take") + r" (?:it|this|that|things) from here\b",
            _v("make") + r" (?:it|this|that) happen\b",
            _v("get") + r" the ball rolling\b",
            # "I'll leave the schedules on your desk", "I will leave a copy with your assistant"
            _v("leave")
            + r" (?:a copy|copies|the \w+|(?:it|this|that|them|these|those)(?= on| at| in))(?: [a-z]+){0,3}"
            r" (?:on|at|in|with) (?:your|you|u|the front desk|reception)\b",
            _v("get") + r" (?:it|this|that|things|the \w+|the \w+ \w+) (?:going|started|moving|underway)\b",
            # "I'll get the numbers to Sally by noon": a delivery to a third party on the recipient's matter
            _v("get")
            + r" (?:it|this|that|them|these|those|the \w+|the \w+ \w+) (?:over )?to (?!(?:be|do|work|go|see"
            r"|know|close|sign|have|make|the point|a point|you|u|bed|sleep|school|work)\b)[a-z]+"
            r"(?= (?:by|today|tomorrow|tonight|this|next|on|before|first|asap|in|early|later)\b| ?[.,;!]| ?$)",
            # "I'll make sure they get included", "we will make sure the invoice is corrected"
            _v("make") + r" sure (?:that )?(?:it|they|this|that|these|those|the \w+|everything|everyone|all)\b",
            _v("give") + r" (?:you|u|him|her|them|[a-z]+) (?:the|a|an|my|our|his|their|your|some|copies|a copy)\b",
            _v("give") + r" (?:you|u)(?= [a-z])",
            _v("fix"),
            _v("correct"),
            _v("revise"),
            # Guidelines v2 (issue 8, class 2): the verbs above are examples; the work done on the recipient's
            # matter is named in many ways ("amend the agreements", "explain it", "get it countersigned").
            # "I'll explain it to you", not "I am going to explain the deal to her" (a third party).
            r"(?:explain|explaining)(?! (?:(?:it|this|that|the \w+|the \w+ \w+) )?to (?:him|her|them)\b)",
            r"(?:amend|amending|recap|recapping|summarize|summarizing|outline|outlining"
            r"|incorporate|incorporating|redline|redlining|mark up|marking up|markup|edit|editing|rework|reworking"
            r"|redo|redoing|rerun|re-run|rerunning|reissue|reissuing|countersign|countersigning|initial|initialing"
            r"|finalize|finalizing|finalise|finalising|refine|refining|escalate|escalating|release|releasing"
            r"|create|creating|address|addressing|chase|chasing|remind|reminding"
            r"|clean up|cleaning up|tidy up|look up|looking up|pull together|pulling together|follow through"
            r"|push (?:it|this|that|them) through|take (?:it|this|that) up|raise (?:it|this|that)|draw up"
            r"|drawing up|type up|typing up|write back|place (?:the|an|your|our) order|contribute|contributing)",
            _v("move") + r" (?:it|this|that|them|these|those|the)\b",
            _v("help") + r"(?: (?:you|u|out)\b| with\b| on\b)",
            _v("give")
            + r" (?:it|this|that|them|these|those) (?:back|priority|to (?:you|u)|a (?:look|read|review|try|go))\b",
            _v("do") + r" up (?:the|your|a|an|it|this|that|them)\b",
            _v("tell") + r" (?:everyone|everybody|all|the (?:team|group|others|rest)|him|her|them)\b",
            _v("tell") + r" (?!(?:you|u|me|us)\b)[a-z]+(?: [a-z]+)? (?:that|about|when|once)\b",
            _v("tell") + r" (?:you|u) (?:more|about|when|once|after|how|what happens)\b",
            _v("update") + r" (?:the|it|this|that|them|these|those|our|my|your)\b",
            _v("change") + r" (?:the|it|this|that|them|these|those|our|my|your)\b",
            _v("make") + r" (?:the|a|an|that|those|these|some|any|copies|changes|reservations|arrangements|further"
            r"|final|minor|refinements|revisions|edits|corrections|adjustments|modifications)\b"
            r"(?! (?:[a-z]+ )?(?:decision|choice|difference|mistake|effort|sense|living)\b)"
            r"(?! (?:afternoon|morning|evening|day|week|most|best|case|point|trip|flight|meeting)\b)",
            _v("handle"),
            _v("work") + r" (?:on|with)",
            _v("get") + r" (?:up to speed|with (?:them|him|her|[a-z]+))",
            _v("route"),
            _v("circulate"),
            _v("distribute"),
            _v("process"),
            _v("submit"),
            _v("file") + r" (?:it|this|that|them|the|a|an|our|your)\b",
            _v("sign"),
            _v("pay"),
            _v("approve"),
            _v("add") + r"(?! that\b)",
            _v("enter") + r" (?:it|this|that|them|these|those|the|your)\b",
            _v("book"),
            _v("reserve"),
            _v("print"),
            _v("fill") + r" out",
            _v("complete"),
            _v("finish") + r"(?! (?:the |this |our )?(?:afternoon|morning|evening|day|week|session|meeting)\b)",
            _v("pick") + r" (?:(?:it|them|him|her|you|this|that|these|those|the \w+) )?up",
            _v("manage") + r" (?:it|this|that|them|the)\b",
            _v("deal") + r" with",
            _v("seek"),
            _v("notify"),
            _v("do") + r" (?:it|that|this|so|the|my best|what i can|some)\b",
            # "... which I will do shortly": the promised action is named earlier in the sentence.
            r"do(?= (?:so |that |this |it )?(?:shortly|today|tomorrow|tonight|soon|later today|asap|first thing))",
            _v("set") + r" up",
            # A rep's everyday tasks for a customer: "I'll set you up with a trial", "I'll loop in our engineer",
            # "I'll reschedule the demo", "I'll refund the difference", "I'll extend your trial".
            _v("set") + r" (?:you|u|him|her|them) up\b",
            _v("sign") + r" (?:you|u|him|her|them) up\b",
            _v("loop") + r" (?:in|you in)\b",
            _v("introduce") + r" (?:you|u)\b",
            _v("connect") + r" (?:you|u) (?:with|to)\b",
            r"(?:reschedule|rescheduling|expedite|expediting|refund|refunding|waive|waiving|renew|renewing"
            r"|reconcile|reconciling|re-?price|re-?pricing|upgrade|upgrading|reinstate|reinstating|prioriti[sz]e"
            r"|prioriti[sz]ing|initiate|initiating|re-?quote|re-?quoting|unblock|unblocking|reactivate|reactivating)"
            r"(?= (?:it|this|that|them|the|your|our|a|an)\b)",
            _v("credit") + r" (?:you|u|your|the)\b",
            _v("invoice") + r" (?:you|u|them)\b",
            _v("extend") + r" (?:the|your) (?:trial|deadline|offer|contract|pilot|discount|terms|term)\b",
            _v("hold") + r" (?:the|your|a|this) (?:price|pricing|rate|slot|spot|room|reservation|seat|table)\b",
            _v("lock") + r" in (?:the|your|this|that)\b",
            _v("open") + r" (?:a|an) (?:ticket|case|account)\b",
            _v("grant") + r" (?:you|u|access)\b",
            _v("set") + r" (?:it|this|that|them|the \w+|the \w+ \w+|something|a time|everything|it all) up\b",
            _v("get") + r" (?:on|onto) (?:your|the|his|her|their) (?:calendar|schedule)",
            _v("go") + r" (?:over|through) (?:it|this|that|them|these|those|the \w+) with "
            r"(?:you|u|everyone|everybody|all of you|you all|the team|the group)\b",
            _v("follow") + r" (?:with|along with) (?:the|a|an|my|our|more|some|copies)\b",
            # "I will have more information tomorrow", "we will have an answer by Wednesday"
            _v("have") + r" (?:(?:an?|the|more|some|further|any|a separate|a final|a revised|a new) )?"
            r"(?:answer|information|info|update|news|numbers|figures|details|response|feedback|draft|proposal"
            r"|quote|agreement|list|recommendation|decision for you)\b",
            # "We will proceed with the preparation of the GTCs unless I hear otherwise": the next step announced.
            _v("proceed") + r" (?:with|on) (?:the|this|that|it|your|our)\b",
            _v("schedule"),
            _v("arrange"),
            r"(?:co-?ordinate|co-?ordinating)",
            _v("organize"),
            _v("let") + r" (?!(?:you|u) )[a-z]+ know",
            _v("pull"),
            _v("show") + r" (?:you|u)\b",
            _v("present") + r" (?:it|this|that|them|the|our|my)\b",
            _v("run") + r" (?:it|this|that|the|a|some)\b",
            _v("modify"),
            _v("adjust"),
            _v("issue"),
            _v("execute"),
            _v("post"),
            _v("include"),
            _v("remove"),
            _v("cancel"),
            _v("resolve"),
            _v("obtain"),
            _v("request"),
            _v("write") + r" up",
            _v("return") + r" (?:it|this|that|them|the)\b",
            _v("put") + r" (?:it|this|that|them|the|you) (?:together|in|on|into|through|out)\b",
            _v("put") + r" (?:\S+ ){1,4}in place\b",
            _v("order"),
            _v("have") + r" [^,;]{1,40}?(?:to (?:you|u)|for (?:you|u)|ready|done|back to|over to)",
            # "I will have it signed and returned", "we'll have them countersigned": a task the sender gets done.
            _v("have") + r" (?:it|this|that|them|these|those|both|all) (?:signed|executed|countersigned|prepared"
            r"|drafted|completed|fixed|updated|revised|corrected|returned|processed|approved|reviewed|delivered)\b",
            # "I will have an ISDA master put in place": a task the sender gets done.
            _v("have")
            + r" (?:an? |the |our |my |(?=[a-z]+ [a-z]+ (?:updated|revised|fixed|completed)\b))[^,;]{1,40}?"
            r" (?:put in place|set up|prepared|drafted|completed|fixed"
            r"|signed|executed|updated|revised|printed|copied|mailed|shipped|delivered|processed|loaded|entered|booked"
            r"|filed|scanned|faxed|couriered|returned|released|scheduled|reviewed|corrected|approved)\b",
        ),
    ),
)

# "contact" (get back, follow up, let you know) names no channel; "delivery" (fax, courier) is "other".
_CHANNEL_OF: dict[str, Channel | None] = {
    "call": "call",
    "email": "email",
    "meeting": "meeting",
    "contact": None,
    "delivery": "other",
    "other": "other",
}
VERB_RES: tuple[tuple[Channel | None, re.Pattern[str]], ...] = tuple(
    (_CHANNEL_OF[family], re.compile(r"(?:" + "|".join(alts) + r")(?![a-z'])")) for family, alts in _FAMILIES
)

DELIVERY = VERB_RES[[family for family, _ in _FAMILIES].index("delivery")][1]

# "I'll have John call you", "I'll ask Sally to send it": delegation; the channel is the second verb's.
# Words that cannot be the person a task is delegated to ("we will have no problem obtaining ...").
_NOT_A_DELEGATE = (
    r"(?!(?:to|a|an|it|this|that|no|any|some|all|every|more|less|much|many|lots|plenty|enough|time|fun"
    # "I will have my phone with me": a thing, not a person the task goes to.
    r"|(?:my|our) (?:cell|mobile|phone|laptop|computer|car|calendar|schedule|notes|files?|copy|copies))\b)"
)
DELEGATES = (
    # "I'll get someone from IT to look at it", "I will have somebody in accounting send you the statement"
    re.compile(
        r"(?:have|having|ask|get) (?:someone|somebody|one of (?:my|our) [a-z]+)"
        r"(?: (?:from|in|on|at) (?:the |our |my )?[a-z]+)? (?:to )?"
    ),
    re.compile(rf"(?:have|having|ask|get|instruct|tell|remind) (?!the ){_NOT_A_DELEGATE}[a-z]+ (?:to )?"),
    # "I'll have the team call you", "I'll ask Sally Beck to send it", "I'll have our implementation lead call".
    re.compile(rf"(?:have|having|ask|get|instruct|tell|remind) {_NOT_A_DELEGATE}[a-z]+ [a-z]+ (?:to )?"),
    re.compile(
        r"(?:have|having|ask|get|instruct|tell|remind) (?:our|my|the) "
        r"(?!(?:cell|mobile|phone|laptop|computer|car|calendar|schedule|notes|file|files|copy|copies)\b)"
        r"[a-z]+ [a-z]+ (?:to )?"
    ),
)


def match_verb(text: str, pos: int) -> tuple[Channel | None, int] | None:
    """The channel and end of a lexicon verb phrase starting exactly at ``pos``, or None."""
    for channel, rx in VERB_RES:
        m = rx.match(text, pos)
        if m:
            return channel, m.end()
    return None


# A misspelt verb right after the modal ("I'll ciculate the minutes", "I will forwrad it"): one letter dropped,
# added, changed or two swapped, in verbs long enough that such a slip still names only them. Real words one
# slip away from them are left alone ("we will conform", "we will compete").
_TYPO_TARGETS = (
    "forward", "circulate", "schedule", "prepare", "contact", "confirm", "review", "deliver", "provide",
    "arrange", "distribute", "update", "follow", "organize", "finalize", "complete", "submit", "research",
    "investigate", "process", "execute", "revise", "redline", "respond", "resend", "return", "request",
    "coordinate", "introduce", "forwarding", "sending", "calling", "e-mail", "email",
)  # fmt: skip
_REAL_WORDS = frozenset(
    {"conform", "contract", "compete", "resent", "revive", "preview", "progress", "summit", "fellow", "hollow",
     "emails", "remail", "mending", "ending", "sanding", "sending", "falling", "culling", "retain", "repair",
     "prepaid", "devolve", "resold", "unfollow", "provider", "produce", "provoke", "revue", "recover"}
)  # fmt: skip


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


_TYPO_INDEX: dict[str, str] = {}
for _target in _TYPO_TARGETS:
    for _key in (_target, *_deletions(_target)):
        _TYPO_INDEX.setdefault(_key, _target)


def _one_slip(word: str, target: str) -> bool:
    """Whether ``word`` is ``target`` with one letter dropped, added or changed, or two neighbours swapped."""
    if word == target or abs(len(word) - len(target)) > 1:
        return False
    if len(word) == len(target):
        diff = [i for i, (a, b) in enumerate(zip(word, target, strict=True)) if a != b]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and word[diff[0]] == target[diff[1]]
            and word[diff[1]] == target[diff[0]]
        )  # fmt: skip
    short, long = (word, target) if len(word) < len(target) else (target, word)
    return short in _deletions(long)


_WORD = re.compile(r"[a-z-]{5,14}(?![a-z'])")


def typo_verb(text: str, pos: int) -> tuple[Channel | None, int] | None:
    """:func:`match_verb` for a lexicon verb misspelt by one slip at ``pos`` (``_TYPO_TARGETS``)."""
    m = _WORD.match(text, pos)
    if m is None or m.group() in _REAL_WORDS or m.group().endswith(("ed", "ly")):
        return None
    word = m.group()
    target = next(
        (t for key in (word, *_deletions(word)) if (t := _TYPO_INDEX.get(key)) and _one_slip(word, t)), None
    )
    if target is None:
        return None
    found = match_verb(target + text[m.end() :], 0)
    return (found[0], m.end() + found[1] - len(target)) if found else None


# --- action text -------------------------------------------------------------------------------------------------

_STOP = re.compile(
    r"[,;:.!?()\"]|\s(?:today|tomorrow|tonight|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|"
    r"tues|wed|thu|thur|thurs|fri|next|this (?:week|morning|afternoon|evening)|asap|soon|shortly|later|early|"
    r"first thing|eod|cob|when|once|if|but|or|so|because|since|as|until|till|within|around|sometime|some time|"
    r"right away|immediately|then|by|before|after|on|at|to discuss|to see|to let|to talk|to review|in the "
    r"(?:morning|afternoon|next|coming)|in (?:a|an|the next) (?:few|couple|day|week|hour|minute)|unless|"
    r"while|whether|that way|just|again|as well|too|also|either|now|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|"
    r"oct|nov|dec)[a-z]*|\d)(?![a-z])"
)
AND_NEXT = re.compile(r"\s(?:and|&)\s+(?:then\s+)?(?:(?:i|we)(?:'ll| will)\s+)?(?:will\s+)?")
_DROP_OBJ = re.compile(
    r"^([a-z-]+(?: (?:up|out|back|over|along|on))?) (?:you|u)\b"
    r"(?! (?:know|posted|informed|updated|advised|apprised|in\b|through|up to date))"
)
# "give you a call" -> "call", "drop John a note" -> "email John": the reminder should name the channel's verb.
_IDIOM = re.compile(
    r"^(?:give|giving) (?:(?:you|u) )?(?:(\w+) )?an? (?:call|ring|buzz|shout|phone call|telephone call)"
    r"|^(?:shoot|shooting|drop|dropping) (?:(?:you|u) )?(?:(\w+) )?an? (?:e-?mail|note|line|message)"
)
_TRAILING = re.compile(
    r"(?:\s+(?:(?:to|with|for) (?:you|u)|to|with|for|from|about|of|and|the|a|an|your|some|any|my|our))+$"
)
_MAX_ACTION_WORDS = 8


def action(text: str, start: int, verb_end: int) -> str:
    """The verb phrase from ``start``: the verb and a short object, stopping at times, clauses and conjunctions.

    "and <verb>" is kept when the next verb is in the lexicon too ("check with John and get back").
    """
    end = len(text)
    pos = verb_end
    cut = end
    for _ in range(3):
        stop = _STOP.search(text, pos, end)
        cut = stop.start() if stop else end
        conj = AND_NEXT.search(text, pos, cut)
        if conj is None:
            break
        cut = conj.start()
        following = match_verb(text, conj.end())
        if following is None:
            break
        pos = following[1]
        cut = end
    phrase = " ".join(text[start:cut].split()[: _MAX_ACTION_WORDS + 2])
    idiom = _IDIOM.match(phrase)
    if idiom:
        verb = "call" if "call" in idiom.group() or "ring" in idiom.group() or "buzz" in idiom.group() else "email"
        other = idiom.group(1) or idiom.group(2)
        phrase = f"{verb} {other}{phrase[idiom.end() :]}" if other else verb + phrase[idiom.end() :]
    phrase = _DROP_OBJ.sub(r"\1", phrase)
    phrase = _TRAILING.sub("", phrase)
    return " ".join(phrase.split()[:_MAX_ACTION_WORDS])
