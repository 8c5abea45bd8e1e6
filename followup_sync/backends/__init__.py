"""Backends, registered by lazy dotted path so that importing one never pulls in another's libraries.

Each backend class has ``from_config(section, config)`` which validates its own options (raising
``ConfigError`` with every problem) and returns a ready instance.
"""

from __future__ import annotations

import importlib
from typing import Any, cast

from followup_sync.backends.base import MailSource, MeetingSource, ReminderSink
from followup_sync.config import BackendSection, Config

_INDEX: dict[tuple[str, str], str] = {
    ("mail", "maildir"): "followup_sync.backends.files:MaildirSource",
    ("mail", "mbox"): "followup_sync.backends.files:MboxSource",
    ("mail", "eml"): "followup_sync.backends.files:EmlSource",
    ("mail", "imap"): "followup_sync.backends.imap:ImapSource",
    ("mail", "graph"): "followup_sync.backends.graph:GraphMailSource",
    ("mail", "none"): "followup_sync.backends.memory:EmptySource",
    ("meetings", "ics"): "followup_sync.backends.ics:IcsMeetingSource",
    ("meetings", "caldav"): "followup_sync.backends.caldav:CaldavMeetingSource",
    ("meetings", "graph"): "followup_sync.backends.graph:GraphMeetingSource",
    ("meetings", "none"): "followup_sync.backends.memory:EmptySource",
    ("reminders", "ics"): "followup_sync.backends.ics:IcsReminderSink",
    ("reminders", "caldav"): "followup_sync.backends.caldav:CaldavReminderSink",
    ("reminders", "graph"): "followup_sync.backends.graph:GraphReminderSink",
}


def _open(section: BackendSection, config: Config) -> Any:
    module_name, _, class_name = _INDEX[(section.role, section.backend)].partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls.from_config(section, config)


def open_mail(config: Config) -> MailSource:
    return cast(MailSource, _open(config.mail, config))


def open_meetings(config: Config) -> MeetingSource:
    return cast(MeetingSource, _open(config.meetings, config))


def open_reminders(config: Config) -> ReminderSink:
    return cast(ReminderSink, _open(config.reminders, config))
