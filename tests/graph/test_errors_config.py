"""The error boundary (every library failure becomes one of ours) and the backends' option validation."""

from __future__ import annotations

from typing import Any

import keyring.errors
import pytest
import requests
from O365.connection import TokenExpiredError

from followup_sync.backends import open_mail, open_meetings, open_reminders
from followup_sync.backends.graph import GraphMailSource, GraphMeetingSource, GraphReminderSink
from followup_sync.config import BackendSection, Config
from followup_sync.credentials import CLOUDS, make_account, map_errors, redact
from followup_sync.errors import BackendError, ConfigError, CredentialsError, PreconditionFailed, TransientError
from tests.conftest import MemoryKeyring


def _http(status: int, code: str = "X") -> requests.HTTPError:
    response = requests.Response()
    response.status_code = status
    response._content = b'{"error": {"code": "%s", "message": "m"}}' % code.encode()
    return requests.HTTPError(f"{status} for url: https://graph.microsoft.com/v1.0/me", response=response)


CASES: list[tuple[BaseException, type[Exception], dict[str, Any]]] = [
    (_http(401), CredentialsError, {}),
    (_http(403), CredentialsError, {}),
    (_http(412), PreconditionFailed, {}),
    (_http(404), PreconditionFailed, {"href": "AAMk"}),
    (_http(404), BackendError, {}),
    (_http(410), BackendError, {}),
    (_http(429), TransientError, {}),
    (_http(500), TransientError, {}),
    (_http(503), TransientError, {}),
    (_http(504), TransientError, {}),
    (_http(400), BackendError, {}),
    (TokenExpiredError("expired"), CredentialsError, {}),
    (requests.ConnectionError("refused"), TransientError, {}),
    (requests.ReadTimeout("slow"), TransientError, {}),
    (requests.exceptions.RetryError("too many 503"), TransientError, {}),
    (RuntimeError("Refresh token operation failed: invalid_grant"), CredentialsError, {}),
    (RuntimeError("No auth token found. Authentication Flow needed for user None"), CredentialsError, {}),
    (RuntimeError("something else"), BackendError, {}),
    (ValueError("Expecting value: line 1 column 1"), TransientError, {}),
    (keyring.errors.KeyringLocked("locked"), CredentialsError, {}),
    (keyring.errors.InitError("no dbus"), CredentialsError, {}),
]


@pytest.mark.parametrize(("raised", "expected", "kw"), CASES)
def test_every_library_error_is_mapped(
    raised: BaseException, expected: type[Exception], kw: dict[str, Any]
) -> None:
    with pytest.raises(expected) as info, map_errors("graph", **kw):
        raise raised
    assert type(info.value) is expected
    assert info.value.__cause__ is raised
    if expected is CredentialsError and "keyring" not in str(info.value):
        assert "followup-sync login" in str(info.value)


def test_redact() -> None:
    text = "{'Authorization': 'Bearer eyJ0.abc'} refresh_token=RT-1&x=1 \"access_token\": \"AT-2\""
    assert (
        redact(text)
        == "{'Authorization': 'Bearer [redacted]'} refresh_token=[redacted]&x=1 \"access_token\": \"[redacted]\""
    )


def _section(role: str, **options: Any) -> BackendSection:
    return BackendSection(role=role, backend="graph", options=options)


def test_options_validated(config: Config, memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(ConfigError) as info:
        GraphMailSource.from_config(_section("mail", folder=["Inbox"], delta="yes"), config)
    assert info.value.problems == (
        "[mail] folder: unknown option for backend graph; allowed: contacts, delta, folders",
        "[mail] delta: must be a bool",
    )
    with pytest.raises(ConfigError, match=r"\[reminders\] calender"):
        GraphReminderSink.from_config(_section("reminders", calender="Follow-ups"), config)
    with pytest.raises(ConfigError, match="must be a list of folder names"):
        GraphMailSource.from_config(_section("mail", folders=[""]), config)
    mail = GraphMailSource.from_config(_section("mail", folders=["SentItems"], delta=False), config)
    assert mail.folder_names == ["SentItems"] and not mail.use_delta
    assert mail.state_file == config.state_path.parent / "graph-delta.json"
    assert GraphMeetingSource.from_config(_section("meetings", calendar="Team"), config).calendar == "Team"
    for opened in (open_mail(config), open_meetings(config), open_reminders(config)):
        assert opened.url == "https://graph.microsoft.com/v1.0/"
        opened.close()


@pytest.mark.parametrize("cloud", sorted(CLOUDS))
def test_clouds(cloud: str, config: Config, memory_keyring: MemoryKeyring) -> None:
    from dataclasses import replace

    cfg = replace(config, graph=replace(config.graph, cloud=cloud))
    account = make_account(cfg)
    assert account.protocol.service_url == CLOUDS[cloud].graph + "v1.0/"
    assert account.con._msal_authority == CLOUDS[cloud].login + "/common"  # msal itself would go online
    assert account.protocol.prefix_scope("Mail.Read") == CLOUDS[cloud].graph + "Mail.Read"
    assert account.con.timeout == (2.0, 2.0)
