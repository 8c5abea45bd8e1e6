"""Microsoft 365 through Microsoft Graph (O365 library): mail and meetings in, reminders out to Outlook.

The three backends share one connection (``credentials.GraphConnection``: retries, the pass's retry budget,
token refresh), one error boundary (``credentials.map_errors``) and one pager (``graphcore``). Each job has its
module: ``graphmail`` reads mail with delta queries, ``graphcal`` reads meetings and the calendar the sink
shares with them, ``graphsink`` writes reminders. This module is the name the backend index and the docs use.
"""

from __future__ import annotations

from followup_sync.backends.graphcal import KEY_PROP, MARKER_PROP, MARKER_VALUE, GraphMeetingSource, parse_meeting
from followup_sync.backends.graphcore import parse_time
from followup_sync.backends.graphmail import DeltaState, GraphMailSource, parse_message
from followup_sync.backends.graphsink import GraphReminderSink, event_payload, windows_zone

__all__ = [
    "KEY_PROP",
    "MARKER_PROP",
    "MARKER_VALUE",
    "DeltaState",
    "GraphMailSource",
    "GraphMeetingSource",
    "GraphReminderSink",
    "event_payload",
    "parse_meeting",
    "parse_message",
    "parse_time",
    "windows_zone",
]
