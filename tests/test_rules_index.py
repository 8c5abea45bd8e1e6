"""The history index the rules share within a pass (``rules._History.of``): built once for one tuple."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from followup_sync import rules
from followup_sync.model import MessageMeta

NOW = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)


def meta(n: int, *, sender: str = "ann@customer.example") -> MessageMeta:
    return MessageMeta(
        id=f"m{n}", thread_key="t1", sender=sender, recipients=("rep@ourco.example",),
        sent_at=NOW - timedelta(hours=n), from_me=False, subject_key="s",
    )  # fmt: skip


def test_one_tuple_is_indexed_once_and_a_list_or_another_now_afresh() -> None:
    history = (meta(1), meta(2), meta(3))
    first = rules._History.of(history, NOW)
    assert rules._History.of(history, NOW) is first
    assert rules._History.of(history, NOW + timedelta(minutes=5)) is not first
    as_list = list(history)
    assert rules._History.of(as_list, NOW) is not rules._History.of(as_list, NOW)
    assert [m.id for m in rules._History.of(as_list, NOW).by_thread["t1"]] == ["m3", "m2", "m1"]


def test_an_equal_tuple_that_is_another_object_is_indexed_afresh() -> None:
    history = (meta(1),)
    first = rules._History.of(history, NOW)
    other = (meta(1), meta(2))[:1]
    assert other == history and other is not history
    assert rules._History.of(other, NOW) is not first
