"""In-memory backends: the ``none`` source, and a sink and sources for tests and property checks."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime
from typing import Any

from followup_sync.config import BackendSection, Config
from followup_sync.errors import ConfigError, PreconditionFailed
from followup_sync.model import Meeting, Message, Reminder, RemoteItem, text_hash

log = logging.getLogger(__name__)


class EmptySource:
    """``backend = "none"``: a rep without a calendar (or mail) backend still gets the other kinds."""

    name = "none"

    @classmethod
    def from_config(cls, section: BackendSection, config: Config) -> EmptySource:
        if section.options:
            raise ConfigError(f'[{section.role}] backend "none" takes no options', problems=list(section.options))
        return cls()

    def messages(self, start: datetime, end: datetime) -> Iterator[Message]:
        return iter(())

    def meetings(self, start: datetime, end: datetime) -> Iterator[Meeting]:
        return iter(())

    def close(self) -> None:
        pass


class MemorySource:
    """Mail and meetings held in lists; tests append to them between passes."""

    name = "memory"

    def __init__(self, messages: Iterable[Message] = (), meetings: Iterable[Meeting] = ()) -> None:
        self.message_list = list(messages)
        self.meeting_list = list(meetings)

    def messages(self, start: datetime, end: datetime) -> Iterator[Message]:
        return (m for m in list(self.message_list) if start <= m.sent_at < end)

    def meetings(self, start: datetime, end: datetime) -> Iterator[Meeting]:
        return (m for m in list(self.meeting_list) if m.end > start and m.start < end)

    def close(self) -> None:
        pass


class MemorySink:
    """A reminder sink in a dict, with etags that change on every write, like a real calendar.

    Like the other sinks it keeps, with each item, the content and text hashes of what it wrote (a calendar
    app's hidden property), and lists the text hash of what the item says now: a ``user_edit`` of the
    subject or body shows, a move does not.
    """

    name = "memory"

    def __init__(self) -> None:
        self.items: dict[str, tuple[Reminder, str]] = {}
        self.written: dict[str, tuple[str, str]] = {}  # href -> (content hash, text hash) of our last write
        self._etags = itertools.count(1)
        self.writes = 0

    def _etag(self) -> str:
        return f'"{next(self._etags)}"'

    def list(self) -> Iterator[RemoteItem]:
        for href, (rem, etag) in list(self.items.items()):
            content, text = self.written.get(href, (None, None))
            yield RemoteItem(key=rem.key, href=href, etag=etag, start=rem.start, content_hash=content,
                             text_hash=text_hash(rem.subject, rem.body), written_text_hash=text,
                             subject=rem.subject, categories=rem.categories)  # fmt: skip

    def _wrote(self, href: str, reminder: Reminder) -> None:
        self.written[href] = (reminder.content_hash(), text_hash(reminder.subject, reminder.body))

    def create(self, reminder: Reminder) -> RemoteItem:
        log.info("Creating reminder %s in %s", reminder.key, self.name)
        href = f"{reminder.key}.ics"
        if href in self.items:
            raise PreconditionFailed("reminder already exists", backend=self.name, href=href)
        etag = self._etag()
        self.items[href] = (reminder, etag)
        self._wrote(href, reminder)
        self.writes += 1
        return RemoteItem(key=reminder.key, href=href, etag=etag, start=reminder.start)

    def update(self, href: str, etag: str, reminder: Reminder) -> RemoteItem:
        log.info("Updating reminder %s in %s", reminder.key, self.name)
        self._check(href, etag)
        new = self._etag()
        self.items[href] = (reminder, new)
        self._wrote(href, reminder)
        self.writes += 1
        return RemoteItem(key=reminder.key, href=href, etag=new, start=reminder.start)

    def delete(self, href: str, etag: str) -> None:
        log.info("Deleting reminder %s from %s", href.removesuffix(".ics"), self.name)
        self._check(href, etag)
        del self.items[href]
        self.written.pop(href, None)
        self.writes += 1

    def _check(self, href: str, etag: str) -> None:
        current = self.items.get(href)
        if current is None or current[1] != etag:
            raise PreconditionFailed("etag mismatch", backend=self.name, href=href)

    def user_edit(self, href: str, **changes: Any) -> None:
        """What a user does in their calendar app: change the item, which changes its etag."""
        rem, _ = self.items[href]
        self.items[href] = (replace(rem, **changes), self._etag())

    def close(self) -> None:
        pass
