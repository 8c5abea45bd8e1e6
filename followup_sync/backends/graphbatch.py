"""Reminder writes in JSON batches: up to 20 creates, updates and deletes in one HTTP request.

Microsoft Graph documents ("Combine multiple HTTP requests using JSON batching"): at most 20 requests per
``POST /$batch``; each has an ``id``; the answers come back in any order, each with its own ``status``,
``headers`` and ``body``; one failing does not fail the others. Outlook ("Microsoft Graph service-specific
throttling limits") runs at most 4 requests of an app at once and runs a batch without ``dependsOn`` 4 items at
a time; we send one batch at a time and nothing else meanwhile, so a batch never exceeds that limit.

Every item is throttled on its own (429/503 with ``Retry-After`` in the item's headers): those items are sent
again, in a smaller batch, after the longest wait they ask for, and each wait draws on the pass's retry budget
(``GraphConnection``). When the budget is spent, the items still throttled get :class:`Throttled` and the pass
stops writing. Retrying is safe for the same reasons as single writes: a create carries its ``transactionId``;
updates and deletes carry ``If-Match``, and if the batch request itself had to be sent again (a timeout), a
412 on an update is checked against our content hash and a 404 on a delete counts as done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from followup_sync.backends.base import Write, WriteResult
from followup_sync.credentials import RetryBudgetSpent
from followup_sync.errors import BackendError, PreconditionFailed, Throttled, TransientError

log = logging.getLogger(__name__)

BATCH_MAX = 20  # "JSON batch requests are currently limited to 20 individual requests."
_THROTTLED = (429, 503)


@dataclass
class Item:
    """One write as a batch request, and what came back for it."""

    index: int
    write: Write | None  # None for a read
    method: str
    url: str  # relative to the service root, e.g. /me/events/{id}
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 0
    answer: Any = None
    retry_after: float | None = None

    def request(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": str(self.index), "method": self.method, "url": self.url}
        headers = dict(self.headers)
        if self.body is not None:
            out["body"] = self.body
            headers["Content-Type"] = "application/json"
        if headers:
            out["headers"] = headers
        return out


def send(
    con: Any,
    service_url: str,
    items: Sequence[Item],
    *,
    backend: str,
    on_uncertain: Callable[[Item], None] | None = None,
) -> None:
    """Send ``items`` (at most 20) and fill in each one's status and answer; retry the throttled ones within
    the pass's budget. Raises (through the connection) only when the batch request as a whole failed."""
    todo = list(items)
    attempt = 0
    while todo:
        attempt += 1
        try:
            data = con.post(f"{service_url}$batch", data={"requests": [i.request() for i in todo]}).json()
        except ValueError:
            if all(i.write is None for i in todo) and _wait(con, None, attempt):
                continue  # a truncated answer to reads only: asking again is harmless
            raise
        except requests.RequestException as exc:
            if attempt == 1:
                raise
            # a resend of throttled items failed as a whole: the items that landed before stay landed
            for i in todo:
                i.answer = _failed(exc, backend)
            return
        by_id = {str(r.get("id")): r for r in data.get("responses") or [] if isinstance(r, Mapping)}
        uncertain = bool(getattr(con, "uncertain", False))
        for item in todo:
            answer = by_id.get(str(item.index))
            if answer is None:  # Graph answers every item; a missing one is a broken answer for that item
                item.status, item.answer = 502, None
                continue
            item.status, item.answer = int(answer.get("status") or 0), answer.get("body")
            item.retry_after = _seconds((answer.get("headers") or {}).get("Retry-After"))
            if uncertain and on_uncertain is not None and item.status in (404, 412):
                on_uncertain(item)  # the batch was sent twice: was this our own earlier attempt?
        throttled = [i for i in todo if i.status in _THROTTLED]
        if not throttled:
            return
        delay = max((i.retry_after for i in throttled if i.retry_after is not None), default=None)
        log.debug("%d of %d batched requests throttled", len(throttled), len(todo))
        if not _wait(con, delay, attempt):
            for i in throttled:
                i.answer = Throttled(
                    f"Microsoft Graph kept throttling (waited {con.waited:.0f} s for throttling this pass, last "
                    f"answer HTTP {i.status})", backend=backend,
                )  # fmt: skip
            return
        todo = throttled


def _wait(con: Any, delay: float | None, attempt: int) -> bool:
    """Sleep before sending again (``Retry-After``, else exponential backoff) if the pass's budget allows."""
    delay = delay if delay is not None else con.backoff * 2 ** (attempt - 1)
    if attempt >= con.attempts or con.waited + delay > con.max_retry_wait:
        return False
    con.sleep(delay)
    con.waited += delay
    return True


def _failed(exc: Exception, backend: str) -> BackendError:
    if isinstance(exc, RetryBudgetSpent):
        return Throttled(f"Microsoft Graph kept throttling ({exc})", backend=backend)
    return TransientError(f"Microsoft Graph batch failed ({type(exc).__name__})", backend=backend)


def result(item: Item, *, backend: str) -> WriteResult | None:
    """The error of a request that failed (None when it succeeded: the caller builds the item)."""
    op = item.write.op if item.write is not None else "read"
    status, href = item.status, item.write.href if item.write is not None else None
    if isinstance(item.answer, BackendError):
        return item.answer
    if 200 <= status < 300:
        return None
    code = _code(item.answer)
    if status == 412 or (status in (404, 410) and op in ("update", "delete")):
        return PreconditionFailed(f"HTTP {status} {code}", backend=backend, href=href)
    if status in (408, 500, 502, 503, 504, *_THROTTLED):
        return TransientError(f"HTTP {status} {code}", backend=backend)
    return BackendError(f"HTTP {status} {code}", backend=backend)


def _code(body: Any) -> str:
    try:
        return str(body["error"]["code"])
    except (KeyError, TypeError):
        return ""


def _seconds(raw: Any) -> float | None:
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except (TypeError, ValueError):
        return None
