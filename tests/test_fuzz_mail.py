"""Fuzzing the real reading path with hostile MIME and HTML mail (issue 10).

Hypothesis builds messages from the pieces that open what the readers look for (quote headers, sign-offs,
questions, dates, HTML tags, comments, entities, encoded words) with long runs of one character class in
between, in plain, HTML or multipart/alternative bodies, 8bit, quoted-printable or base64, in several
charsets. Each one goes through ``backends.mime.parse_message`` and then ``threads.to_meta`` and
``rules.find_followups``, as the sync pass reads mail, received from a contact and sent by the rep. None may
raise, and none may cost more than a few CPU seconds: linear code with the text caps reads the largest of
them in well under one.
"""

from __future__ import annotations

import base64
import quopri

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import hostile

PIECES = (
    *hostile.CONTEXTS,
    "<p>",
    "</p>",
    "<br>",
    "<div>",
    "<blockquote>",
    '<div class="gmail_quote">',
    '<div id="appendonsend">',
    "<!--",
    "-->",
    "<a href='",
    "&nbsp;",
    "&#",
    "&amp",
    "<script>",
    "</script>",
    "<style>",
    "<table><tr><td>",
    "<pre>",
    "=?utf-8?q?",
    "?=",
    "> ",
    "-----Original Message-----",
    "\nFrom: Bob\nSent: Monday\nTo: Rita\nSubject: x\n",
    "\nSent from my iPhone",
    "\n-- \n",
    "Please find attached our quote",
    "Thank you for your order",
    "I'll send it tomorrow at 3pm ET.",
    "unsubscribe",
)
RUN_VALUES = tuple(hostile.RUNS.values())


@st.composite
def hostile_text(draw: st.DrawFn, *, longest: int = 30_000) -> str:
    parts = draw(
        st.lists(
            st.tuples(st.sampled_from(PIECES), st.sampled_from(RUN_VALUES), st.integers(0, longest)),
            min_size=1,
            max_size=6,
        )
    )
    return "".join(piece + run * (count // len(run)) for piece, run, count in parts)


def _part(ctype: str, text: str, charset: str, cte: str) -> bytes:
    try:
        data = text.encode(charset if charset != "x-unknown" else "utf-8", "replace")
    except UnicodeError:  # the idna codec refuses long labels whatever the error handler
        data = text.encode("utf-8", "replace")
    if cte == "base64":
        payload = base64.encodebytes(data)
    elif cte == "quoted-printable":
        payload = quopri.encodestring(data)
    else:
        payload = data
    head = f"Content-Type: {ctype}; charset={charset}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n"
    return head.encode() + payload


def build(subject: str, plain: str, html: str, *, layout: str, charset: str, cte: str) -> bytes:
    head = (
        f"From: {hostile.CONTACT}\r\nTo: {hostile.REP}\r\nDate: Tue, 24 Nov 2026 10:00:00 -0500\r\n"
        f"Message-ID: <fuzz@test>\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n"
    ).encode("utf-8", "replace")
    if layout == "plain":
        return head + _part("text/plain", plain, charset, cte)
    if layout == "html":
        return head + _part("text/html", html, charset, cte)
    boundary = "=_fuzz_boundary"
    return (
        head
        + f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n\r\n--{boundary}\r\n'.encode()
        + _part("text/plain", plain, charset, cte)
        + f"\r\n--{boundary}\r\n".encode()
        + _part("text/html", html, charset, cte)
        + f"\r\n--{boundary}--\r\n".encode()
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    subject=hostile_text(longest=3000).map(lambda s: s.replace("\r", " ").replace("\n", " ")[:4000]),
    plain=hostile_text(),
    html=hostile_text(),
    layout=st.sampled_from(["plain", "html", "alternative"]),
    charset=st.sampled_from(["utf-8", "latin-1", "windows-1252", "idna", "x-unknown"]),
    cte=st.sampled_from(["8bit", "quoted-printable", "base64"]),
)
def test_hostile_mail_is_read_without_error_in_bounded_time(
    subject: str, plain: str, html: str, layout: str, charset: str, cte: str
) -> None:
    raw = build(subject, plain, html, layout=layout, charset=charset, cte=cte)
    assert hostile.read_as_the_pass_does(raw) < 3.0
