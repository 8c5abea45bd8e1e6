"""Hostile text for the linearity tests and ``benchmarks/worst_case.py`` (issue 10).

A hostile body is a CONTEXT (a few words that open what some regular expression looks for: "PO", "Thanks,",
"Hi Bob,", "copyright", "at 3", a question) followed by a long RUN of one character class and an END. Long
runs are what make a backtracking regex retry every split of the run; the contexts make sure each pattern is
reached at all. Timing uses this thread's CPU time, which a loaded machine does not inflate.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from followup_sync import rules, threads
from followup_sync.backends import mime
from followup_sync.model import Message
from followup_sync.text.analysis import Analysis
from tests import factories

TZ = ZoneInfo("America/New_York")
SENT = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
REP = "rep@vendor.com"
CONTACT = "jane@acme.com"

#: Character classes, named. Whitespace of every kind, punctuation, words, digits, markup.
RUNS: dict[str, str] = {
    "space": " ",
    "nbsp": "\xa0",
    "tab": "\t",
    "newline": "\n",
    "cr": "\r",
    "crlf": "\r\n",
    "blank_lines": " \n",
    "dot": ".",
    "question": "?",
    "bang": "!",
    "comma": ",",
    "colon": ":",
    "dash": "-",
    "gt": ">",
    "underscore": "_",
    "equals": "=",
    "star": "*",
    "apostrophe": "'",
    "paren": "(",
    "at": "@",
    "slash": "/",
    "hash": "#",
    "letters": "a",
    "capitals": "A",
    "digits": "1",
    "words": "ab ",
    "capital_words": "Ab ",
    "digit_commas": "1,",
    "digit_spaces": "1 ",
    "questions": "? ",
    "sentences": "Ab. ",
    "mixed": "a1 ?.\n\t,-",
    "unicode": "é",
    "html_nbsp": "&nbsp;",
    "html_br": "<br>",
    "html_open_tag": "<a ",
    "html_comment": "<!--",
    "html_lt": "<",
}
#: What the detectors look for, one opening each; "" for the bare run.
CONTEXTS: tuple[str, ...] = (
    "",
    "Can you send it?",
    "PO",
    "Thanks,",
    "Hi Bob,",
    "On Mon, Bob wrote:",
    "From: a",
    "I will call you",
    "Best regards",
    "copyright",
    "Thanks for your order",
    "I'm out of the office",
    "by Friday",
    "at 3",
    "+1",
    "x@y.",
)
ENDS: tuple[str, ...] = ("", "x", "?")


def body(context: str, run: str, chars: int, end: str = "x") -> str:
    """``context`` + ``chars`` characters of ``run`` + ``end``."""
    return context + run * (chars // len(run)) + end


def megabyte(context: str, run: str, *, chars: int = 1_000_000, stretch: int = 4000) -> str:
    """About ``chars`` characters of ``context`` + ``stretch`` characters of ``run`` + "x", repeated, so that any
    prefix a reader keeps still holds the hostile shape."""
    piece = body(context, run, stretch, "x\n")
    return piece * max(1, chars // len(piece))


def cases(*, every_end: bool = True) -> Iterator[tuple[str, str, str, str]]:
    """(run name, run, context, end) for every combination; with ``every_end`` False, the ends other than "x"
    only after the bare run (a quicker grid for the test suite; the benchmark walks the whole one)."""
    for name, run in RUNS.items():
        for context in CONTEXTS:
            for end in ENDS if every_end or not context else ("x",):
                yield name, run, context, end


class _Overrun(Exception):
    pass


def _stop(signum: int, frame: object) -> None:
    raise _Overrun


def cpu(fn: Callable[[], object], *, limit: float = 10.0) -> float:
    """This thread's CPU seconds for one call of ``fn``.

    A call still running after ``limit`` CPU seconds is stopped and counts as ``limit``, so that a regression
    fails the test instead of hanging it (POSIX, main thread: a virtual-time timer interrupts even a running
    regular expression, whose engine checks for signals; elsewhere the call runs to its end).
    """
    guard = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if guard:
        previous = signal.signal(signal.SIGVTALRM, _stop)
        signal.setitimer(signal.ITIMER_VIRTUAL, limit)
    start = time.thread_time()
    try:
        fn()
    except _Overrun:
        return max(limit, time.thread_time() - start)
    finally:
        if guard:
            signal.setitimer(signal.ITIMER_VIRTUAL, 0)
            signal.signal(signal.SIGVTALRM, previous)
    return time.thread_time() - start


def message(*, subject: str, body: str, html: bool = False, sender: str = CONTACT, to: str = REP) -> Message:
    return Message(
        id="hostile@test",
        sender=sender,
        to=(to,),
        cc=(),
        subject=subject,
        sent_at=SENT,
        body=body,
        body_is_html=html,
    )


def eml(*, subject: str, body: str, html: bool = False, sender: str = CONTACT, to: str = REP) -> bytes:
    """An RFC 5322 message as a mail source hands it to ``backends.mime.parse_message``: raw bytes, written by
    hand so that the hostile subject and body reach the parser exactly (a header writer would refold them)."""
    head = (
        f"From: {sender}\r\nTo: {to}\r\nDate: Tue, 24 Nov 2026 10:00:00 -0500\r\nMessage-ID: <hostile@test>\r\n"
        f"Subject: {subject}\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/{'html' if html else 'plain'}; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    )
    return head.encode() + body.encode("utf-8", "surrogatepass")


def read_as_the_pass_does(raw: bytes | Message) -> float:
    """CPU seconds to parse one message (unless given parsed, as the Graph backend gives it) and read it as the
    sync pass does (one text analysis shared by the metadata and the follow-ups): the worse of reading it as
    received from a contact and as sent by the rep. No time budget: this measures what the text costs."""

    def once(sender: str, to: str) -> None:
        msg = raw if isinstance(raw, Message) else mime.parse_message(raw)
        assert isinstance(msg, Message)
        m = replace(msg, sender=sender, to=(to,))
        reading = Analysis(m, tz=TZ, options=rules.date_options(factories.SCHEDULE))
        meta = threads.to_meta(m, "t-1", me=frozenset({REP}), bulk_recipients=15, tz=TZ, analysis=reading)
        rules.find_followups(
            [m], {m.id: "t-1"}, [meta], [], identity=factories.IDENTITY, rules=factories.RULES,
            schedule=factories.SCHEDULE, now=SENT.replace(day=25), analyses={m.id: reading},
        )  # fmt: skip

    # the worse of the two: a pass reads each message once, in the role it has
    return max(cpu(lambda: once(CONTACT, REP)), cpu(lambda: once(REP, CONTACT)))
