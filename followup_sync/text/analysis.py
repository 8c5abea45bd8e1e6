"""What one pass reads from one message's text, each part worked out at most once, within a time budget.

A pass asks several questions of a message: is it an automatic reply (when the state's metadata is made and
again when follow-ups are found), does it ask something (for the metadata's ``asked`` flag and for the
``awaiting_reply`` evidence), what does it promise, is it an order. Each question used to zone the body again
and run its detector again (issue 11: zoning about 2.3 times per message). An :class:`Analysis` holds one
message's answers; each is computed on first use and kept, so ``threads.to_meta`` and ``rules`` share them
while staying pure functions of their inputs.

The :class:`Budget` bounds what one message can cost (issue 10). Every detector is linear in its input and
the input is capped (``zoning.MAX_AUTHOR_CHARS``), so a part cannot run away; the budget is the backstop for
what the caps do not foresee: once a message has used it, the parts not yet computed read as "nothing found"
(no promise, no question, not automatic), the caller logs the message id once, and the pass goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from functools import cached_property
from typing import TypeVar
from zoneinfo import ZoneInfo

from followup_sync.model import Message
from followup_sync.text import promises, signals, zoning
from followup_sync.text.dates import DateOptions

__all__ = ["MESSAGE_BUDGET_SECONDS", "Analysis", "Budget", "chase_sentence", "request_evidence"]

#: CPU seconds the text analysis of one message may use. The worst adversarial body measured by
#: ``benchmarks/worst_case.py`` costs well under this; a message that still reaches it is read no further.
MESSAGE_BUDGET_SECONDS = 1.0

_T = TypeVar("_T")
_DEFAULT_OPTIONS = DateOptions()


class Budget:
    """CPU time one message's analysis may use, measured with an injected clock (the pass: ``time.thread_time``,
    which counts only this thread's work, so a loaded machine or a daemon's other threads do not use it up).

    A part that has started runs to its end; parts asked for after the budget is spent are skipped.
    """

    def __init__(self, seconds: float = MESSAGE_BUDGET_SECONDS, *, clock: Callable[[], float] = time.thread_time):
        self.seconds = seconds
        self.clock = clock
        self.used = 0.0

    @property
    def spent(self) -> bool:
        return self.used >= self.seconds

    def run(self, compute: Callable[[], _T]) -> _T:
        start = self.clock()
        try:
            return compute()
        finally:
            self.used += self.clock() - start


def request_evidence(text: str, *, subject: str, attachments: tuple[str, ...]) -> str | None:
    """Why a mail of the rep's waits for an answer: the quote or proposal it sends (``signals.offer``), else
    its first question or request (``signals.questions``); None for news, thanks and statements.

    ``text`` is the author text (``zoning.author_text``). The rules use it for ``awaiting_reply`` evidence and
    ``threads.to_meta`` for ``MessageMeta.asked``, so a touch is counted by the same reading that creates one.
    """
    evidence = signals.offer(text, subject=subject, attachments=attachments)
    if evidence is None:
        asked = signals.questions(text)
        evidence = asked[0] if asked else None
    return evidence


def chase_sentence(text: str) -> str | None:
    """The first sentence of author text that nudges about an earlier mail ("Just bumping this up"), else None."""
    return next((s for s in zoning.sentences(text) if signals.is_chase(s)), None)


class Analysis:
    """The readings of one message's text, each computed on first use and then kept.

    ``tz`` and ``options`` are the rep's zone and date conventions (``rules.date_options``): they decide how a
    stated date ("back on 3/4", "I'll call Friday") is read. Without a ``budget`` nothing is ever skipped.
    """

    def __init__(
        self,
        msg: Message,
        *,
        tz: ZoneInfo,
        options: DateOptions = _DEFAULT_OPTIONS,
        budget: Budget | None = None,
    ) -> None:
        self.msg = msg
        self.tz = tz
        self.options = options
        self.budget = budget
        #: The parts that were not read because the budget was spent, in the order they were asked for.
        self.skipped: list[str] = []

    def _part(self, name: str, compute: Callable[[], _T], nothing: _T) -> _T:
        if self.budget is None:
            return compute()
        if self.budget.spent:
            self.skipped.append(name)
            return nothing
        return self.budget.run(compute)

    @cached_property
    def text(self) -> str:
        """The author's own new text (``zoning.author_text``): no quotes, forwards or signature; capped."""
        return self._part("text", lambda: zoning.author_text(self.msg.body, is_html=self.msg.body_is_html), "")

    @cached_property
    def auto_reply(self) -> signals.AutoReply | None:
        text = self.text
        return self._part(
            "auto_reply", lambda: signals.auto_reply(self.msg, text, tz=self.tz, options=self.options), None
        )

    @cached_property
    def newsletter(self) -> bool:
        """A newsletter footer anywhere in the whole body (not only the author text)."""
        return self._part("newsletter", lambda: signals.is_newsletter(self.msg.body), False)

    @cached_property
    def promises(self) -> tuple[promises.Promise, ...]:
        """What ``promises.detect`` finds in the body: the same zoning, then ``find_promises``."""
        text = self.text
        return self._part(
            "promises",
            lambda: tuple(
                promises.find_promises(text, sent_at=self.msg.sent_at, tz=self.tz, options=self.options)
            ),
            (),
        )

    @cached_property
    def order(self) -> signals.Order | None:
        text = self.text
        return self._part(
            "order",
            lambda: signals.order(
                text, subject=self.msg.subject, sent_at=self.msg.sent_at, tz=self.tz, options=self.options
            ),
            None,
        )

    @cached_property
    def questions(self) -> tuple[str, ...]:
        text = self.text
        return self._part("questions", lambda: tuple(signals.questions(text)), ())

    @cached_property
    def request(self) -> str | None:
        """:func:`request_evidence`, sharing the questions with :attr:`questions`."""
        text = self.text
        offered = self._part(
            "offer", lambda: signals.offer(text, subject=self.msg.subject, attachments=self.msg.attachments), None
        )
        if offered is not None:
            return offered
        asked = self.questions
        return asked[0] if asked else None

    @cached_property
    def chase(self) -> str | None:
        text = self.text
        return self._part("chase", lambda: chase_sentence(text), None)

    @cached_property
    def acknowledgement(self) -> bool:
        text = self.text
        return self._part("acknowledgement", lambda: signals.is_acknowledgement(text), False)

    @cached_property
    def greeting(self) -> str:
        """The first sentence of the author text ("Hi Lorna,", "Raetta or Lynn: ..."), or ""."""
        text = self.text
        return self._part("greeting", lambda: next(iter(zoning.sentences(text)), ""), "")

    def without_body(self) -> Analysis:
        """This analysis, its message kept without the body once the readings that need the whole body (the
        author text, the newsletter footer) are made: a pass holds one per new message from the metadata to
        the detection, and the bodies were most of its memory (issue 11)."""
        _ = self.text, self.newsletter
        self.msg = replace(self.msg, body="")
        return self

    @property
    def asks(self) -> bool:
        """It asks something, sends a quote or proposal, or chases (``MessageMeta.asked``)."""
        return self.request is not None or self.chase is not None
