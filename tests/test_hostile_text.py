"""Hostile text (issue 10, item 1): every text path is linear, the text read per message is capped, and the
issue's reproducers take milliseconds through the real reading path (backends.mime -> model.Message -> the
text analysis of threads.to_meta and rules.find_followups).

The bounds are CPU time of this thread (``time.thread_time``), so a loaded machine does not make them flake.
The linearity test compares the cost at n and 8n characters: linear code grows about 8 times, quadratic code
up to 64 times (a quadratic pattern found by this test grew 20 to 30 times at these sizes, its linear part
still counting) and the cubic subject pattern of the issue 512 times. A case fails above 16 times, measured
again as the best of three before it fails, and only when the larger input cost more than 20 ms (below that
timer noise dominates, and even cubic growth from the smaller input could not reach it when the smaller one
cost under 0.04 ms, which is skipped).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from followup_sync import threads
from followup_sync.backends import mime
from followup_sync.text import _dateinformal as informal
from followup_sync.text import dates, promises, signals, zoning
from tests import hostile
from tests.hostile import SENT, TZ, read_as_the_pass_does

# --- the reproducers of the issue (each took minutes before the fix) ------------------------------------------


def test_po_subject_followed_by_spaces() -> None:
    # 278 s before: the PO-number subject pattern tried every split of the spaces among three \s* (cubic)
    raw = hostile.eml(subject="PO" + " " * 4000 + "x", body="Please see the attached order.")
    assert read_as_the_pass_does(raw) < 2.0


def test_question_followed_by_a_long_run_of_spaces() -> None:
    # 235 s before: the end-of-question pattern retried every split between two overlapping quantifiers
    raw = hostile.eml(subject="Quote", body="Can you send the signed quote?" + " " * 150_000 + "thanks")
    assert read_as_the_pass_does(raw) < 2.0


def test_html_body_of_non_breaking_spaces() -> None:
    # over 300 s before: the spaces-around-line-breaks pattern retried every position of a run with no newline
    raw = hostile.eml(subject="Hi", body="<p>Can you call me?" + "&nbsp;" * 150_000 + "</p>", html=True)
    assert read_as_the_pass_does(raw) < 2.0
    assert hostile.cpu(lambda: zoning.html_to_text("<p>a" + "\xa0" * 150_000 + "b</p>")) < 1.0


@pytest.mark.parametrize("run", ["<a ", "<p x=1 ", "<!--", "<a x='", "</"])
def test_unclosed_html_at_the_end_is_dropped_in_linear_time(run: str) -> None:
    # Python's HTMLParser.close() before 3.11.13 retries each "<" of an unclosed tail (python/cpython#135462)
    html = "<p>Can you call me?</p>" + run * 50_000
    assert hostile.cpu(lambda: zoning.html_to_text(html)) < 1.0
    assert zoning.html_to_text(html) == "Can you call me?"


def test_detect_reads_a_capped_amount_of_a_huge_body() -> None:
    # about 8.5 s per MB before, with no cap; the author text is now capped
    sentence = "I will send you the revised quote by Friday and call you on Monday at 10am. "
    huge = sentence * (1_000_000 // len(sentence))
    assert hostile.cpu(lambda: promises.detect(huge, sent_at=SENT, tz=TZ)) < 2.0
    assert len(zoning.author_text(huge)) <= zoning.MAX_AUTHOR_CHARS


@pytest.mark.parametrize(
    ("context", "run"),
    [("Can you send it?", " "), ("Thanks,", " "), ("Hi Bob,", "\t"), ("at 3", " "), ("", "a"), ("", "<a ")],
)
def test_one_megabyte_adversarial_bodies_through_the_reading_path(context: str, run: str) -> None:
    text = hostile.megabyte(context, run)
    subject = context + run * 3000 + "x"
    # as a file or IMAP source delivers it (MIME cuts the body to 200,000 characters) and as Graph does (uncut)
    assert read_as_the_pass_does(hostile.eml(subject=subject, body=text, html="<" in run)) < 3.0
    assert read_as_the_pass_does(hostile.message(subject=subject, body=text, html="<" in run)) < 3.0


# --- the cap ----------------------------------------------------------------------------------------------------


def test_author_text_is_capped_at_a_line_break() -> None:
    lines = [f"Line {i} of a generated report, with figures {i * 7} and {i * 13}." for i in range(2000)]
    text = zoning.author_text("\n".join(lines))
    assert len(text) <= zoning.MAX_AUTHOR_CHARS
    assert text.endswith(".") and text.split("\n")[-1] in lines


def test_short_author_text_is_not_touched_by_the_cap() -> None:
    body = "Hi Jane,\n\nI will call you on Friday.\n\nBest regards,\nRita"
    assert zoning.author_text(body) == "Hi Jane,\n\nI will call you on Friday."


# --- linearity of every text entry point ------------------------------------------------------------------------

Target = Callable[[str], object]
TARGETS: dict[str, Target] = {
    "author_text": zoning.author_text,
    "author_text_html": lambda t: zoning.author_text(t, is_html=True),
    "sentences": zoning.sentences,
    "questions": signals.questions,
    "offer": lambda t: signals.offer(t, subject=t[:4096], attachments=("quote.pdf",)),
    "order": lambda t: signals.order(t, subject=t[:4096], sent_at=SENT, tz=TZ),
    "acknowledgement": signals.is_acknowledgement,
    "newsletter": signals.is_newsletter,
    "auto_reply": lambda t: signals.auto_reply(hostile.message(subject=t[:4096], body=t), t, tz=TZ),
    "sentence_signals": lambda t: (
        signals.is_bare_imperative(t),
        signals.addressees(t),
        signals.asks_personally(t),
        signals.is_chase(t),
    ),
    "find_promises": lambda t: promises.find_promises(t, sent_at=SENT, tz=TZ),
    "find_due": lambda t: dates.find_due(t, sent_at=SENT, tz=TZ),
    "informal_dates": lambda t: informal.normalise(t),
    "subject": lambda t: (threads.normalise_subject(t), threads.is_reply_subject(t), threads.is_generic(t)),
    "noreply": signals.is_noreply,
    "decode_text": mime.decode_text,
}
SMALL, LARGE = 1_000, 8_000
HOLIDAY_OPTIONS = dates.DateOptions(country="GB", subdivision="SCT")
# Openings of the issue-8 date forms: each is followed by a long run, as the contexts of tests/hostile.py are.
DATE_CONTEXTS = (
    "after the Boxing", "the Friday before", "at five past", "the second Tuesday of", "Q1 '", "two Mondays",
    "1:00-", "tmrw @", "Tuesday 13", "at half",
)  # fmt: skip
DATE_RUNS = ("space", "dot", "colon", "dash", "at", "slash", "digits", "capital_words", "words", "digit_spaces",
             "mixed")  # fmt: skip


FLOOR, RATIO = 0.02, 16


def _superlinear(fn: Target, text_small: str, text_large: str) -> tuple[float, float] | None:
    """(small, large) CPU seconds when the large input cost more than RATIO times the small one, else None."""
    small = hostile.cpu(lambda: fn(text_small))
    if small * 512 < FLOOR:
        return None
    large = hostile.cpu(lambda: fn(text_large))
    if large < FLOOR or large < RATIO * small:
        return None
    # re-measure before accusing: the best of three of each
    small = min(hostile.cpu(lambda: fn(text_small)) for _ in range(3))
    large = min(hostile.cpu(lambda: fn(text_large)) for _ in range(3))
    return (small, large) if large >= FLOOR and large >= RATIO * small else None


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_text_entry_point_is_linear_on_long_runs(name: str) -> None:
    fn = TARGETS[name]
    slow = []
    for run_name, run, context, end in hostile.cases(every_end=False):
        found = _superlinear(fn, hostile.body(context, run, SMALL, end), hostile.body(context, run, LARGE, end))
        if found is not None:
            slow.append(
                f"{run_name} after {context!r}, end {end!r}: {found[0] * 1e3:.1f} -> {found[1] * 1e3:.1f} ms"
            )
    assert not slow, f"{name} grows faster than linearly on:\n" + "\n".join(slow)


def _find_due_with_holidays(text: str) -> object:
    # with a holiday calendar: holiday names, business days and the calendar's years are read too
    return dates.find_due(text, sent_at=SENT, tz=TZ, options=HOLIDAY_OPTIONS)


@pytest.mark.parametrize("context", DATE_CONTEXTS)
def test_date_forms_of_issue_8_are_read_in_linear_time(context: str) -> None:
    slow = []
    for run_name in DATE_RUNS:
        run = hostile.RUNS[run_name]
        found = _superlinear(
            _find_due_with_holidays, hostile.body(context, run, SMALL), hostile.body(context, run, LARGE)
        )
        if found is not None:
            slow.append(f"{run_name}: {found[0] * 1e3:.1f} -> {found[1] * 1e3:.1f} ms")
    assert not slow, f"find_due after {context!r} grows faster than linearly on:\n" + "\n".join(slow)
