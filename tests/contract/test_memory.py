"""The in-memory sink passes the same contract as the real sinks (so property tests on it mean something)."""

from __future__ import annotations

import pytest

from followup_sync.backends.memory import MemorySink
from tests.contract import SinkContract


class TestMemorySink(SinkContract):
    @pytest.fixture
    def sink(self) -> MemorySink:
        return MemorySink()

    def stored(self, sink: MemorySink, key: str) -> tuple[str, str]:
        (reminder, _etag) = sink.items[f"{key}.ics"]
        return reminder.subject, reminder.body
