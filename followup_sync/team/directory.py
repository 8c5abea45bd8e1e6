"""Which mailboxes the service serves: the config's explicit list, plus a group's members if one is named.

A group is read with ``GET /groups/{id}/members`` (users only), which needs the ``GroupMember.Read.All``
application permission on top of the two the passes need; an explicit list needs nothing more. The members are
read again at most every :data:`GROUP_TTL` seconds. Whatever the list, a mailbox outside the Exchange admin's
application access policy (or RBAC scope) answers 403 and its passes fail with a sentence saying so.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import requests

from followup_sync.backends.graphcore import status_of
from followup_sync.credentials import close_account, map_errors
from followup_sync.errors import Error
from followup_sync.team.appauth import mailbox_account, resource
from followup_sync.team.config import TeamConfig

log = logging.getLogger(__name__)

GROUP_TTL = 600.0
_cache: dict[str, tuple[float, list[str]]] = {}


def mailboxes(team: TeamConfig, services: Any) -> list[str]:
    out = list(team.mailboxes)
    if team.group:
        out += [m for m in group_members(team, services) if m not in out]
    return out


def group_members(team: TeamConfig, services: Any) -> list[str]:
    assert team.group is not None
    cached = _cache.get(team.group)
    if cached is not None and time.monotonic() - cached[0] < GROUP_TTL:
        return cached[1]
    account = mailbox_account(services.app, team.app, graph_url=services.graph_url, backoff=services.backoff)
    url = f"{account.protocol.service_url}groups/{team.group}/members"
    params: dict[str, Any] | None = {"$select": "mail,userPrincipalName", "$top": 999}
    members: list[str] = []
    try:
        with map_errors("graph"):
            while url:
                data = account.con.get(url, params=params).json()
                for m in data.get("value", []):
                    if str(m.get("@odata.type", "#microsoft.graph.user")) != "#microsoft.graph.user":
                        continue
                    address = str(m.get("mail") or m.get("userPrincipalName") or "").lower()
                    if address:
                        members.append(address)
                url, params = data.get("@odata.nextLink"), None
    finally:
        close_account(account)
    _cache[team.group] = (time.monotonic(), members)
    log.info("Group %s has %d member mailbox(es)", team.group, len(members))
    return members


def probe(services: Any, boxes: list[str]) -> Iterator[tuple[str, str | None]]:
    """Each mailbox and why the app cannot read it (None: it can): one cheap request per mailbox."""
    account = mailbox_account(services.app, services.team.app, graph_url=services.graph_url,
                              backoff=services.backoff)  # fmt: skip
    try:
        for box in boxes:
            url = f"{account.protocol.service_url}{resource(box)}/mailFolders/inbox"
            try:
                with map_errors("graph"):
                    account.con.get(url, params={"$select": "id"})
            except Error as exc:
                yield box, explain(exc) or str(exc)
                continue
            yield box, None
    finally:
        close_account(account)


def explain(exc: Error) -> str | None:
    """A refusal (HTTP 403) in the words an Exchange admin acts on; None for any other failure."""
    cause = exc.__cause__
    status = status_of(cause) if isinstance(cause, requests.HTTPError) else 0
    text = f"{exc} {cause or ''}"
    if status != 403 and "HTTP 403" not in text:
        return None
    if "AccessPolicy" in text:
        return "the Exchange application access policy (or RBAC scope) of the app does not include this mailbox"
    return (
        "access denied (HTTP 403): the mailbox is outside the app's Exchange application access policy or RBAC "
        "scope, or the app lacks the Mail.Read and Calendars.ReadWrite application permissions"
    )
