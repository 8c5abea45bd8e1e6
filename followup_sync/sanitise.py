"""Removing control characters from untrusted text where it leaves the program: :func:`clean` is the one function.

Subjects, Message-IDs, meeting titles and bodies come from anyone who can send the rep mail. Printed raw, an
``ESC[2J`` clears the rep's terminal, an OSC 52 sequence writes their clipboard, an OSC 8 one plants a link;
written raw into a reminder, the calendar shows garbage or worse. So every edge calls :func:`clean`: what is
printed (``report``, ``status``, the CLI's errors), what is logged (the handlers' filter in ``logs`` and the
CLI), and what is written into a reminder (``schedule.reminder_for``, which every sink writes from).

Removed: whole escape sequences (CSI, OSC, DCS/SOS/PM/APC strings and two-byte ESC sequences, in their 7-bit
and 8-bit forms, so no ``[2J`` is left behind), every other C0 and C1 control and DEL, and the bidirectional
embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) that can make text read in another order
than it is stored ("Trojan Source", CVE-2021-42574). Kept: tab and newline where the text is meant to have
lines (``multiline=True``); elsewhere they, and U+2028/U+2029, become a space. The expression has no nested
quantifiers, so its cost is linear in the text.
"""

from __future__ import annotations

import re

_SEQUENCES = (
    # CSI: ESC [ or U+009B, parameter bytes, intermediate bytes, a final byte (ECMA-48 5.4)
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
    # OSC, DCS, SOS, PM, APC strings up to their terminator (BEL or ST); unterminated, to the end of the line
    # (as a terminal would swallow it), never past it: an evidence line cannot erase the lines after it
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
    # any other escape: ESC, optional intermediates, one final byte (ESC c resets the terminal)
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]?"
)
_CONTROLS = r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
_ANY = re.compile(f"{_SEQUENCES}|{_CONTROLS}")
_LINE_BREAKS = re.compile(r"[\t\n\u2028\u2029]")
_CR_LF = re.compile(r"\r\n?")


def clean(text: str, *, multiline: bool = False) -> str:
    """``text`` without terminal controls, escape sequences or bidi overrides (see the module docstring)."""
    text = _CR_LF.sub("\n", text)
    text = _ANY.sub("", text)
    if not multiline:
        text = _LINE_BREAKS.sub(" ", text)
    return text
