"""Addresses nobody reads: ``is_noreply`` (noreply@, mailer-daemon@, notifications@), re-exported by ``signals``.

Apart from the rest of the text analysis because a pass with no new mail asks it too (every contact a rule
resolves against): that pass then imports neither ``signals`` nor the date grammar (issue 11).
"""

from __future__ import annotations

import re

__all__ = ["is_noreply"]

_NOREPLY_LOCAL_RE = re.compile(
    r"(?:^|[-_.+])(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|dont[-_.]?reply|do[-_.]?not[-_.]?respond"
    r"|no[-_.]?response|no[-_.]?address|unmonitored)(?:$|[-_.+\d])"
    r"|^(?:mailer[-_.]?daemon|postmaster|notifications?|notify|bounces?|bounce[-_.+]|auto[-_.]?confirm"
    r"|automated|alerts?|daemon|nobody|newsletters?|news|updates?|announcements?|announce|mailsweeper"
    r"|[\w.]*[-_.](?:newsletter|announcements?|notifications?|updates?))(?:$|[-_.+\d])",
    re.IGNORECASE,
)
_NOREPLY_DOMAIN_RE = re.compile(
    r"^(?:bounces?|noreply|no-reply|notifications?|mailer|lists?|newsletters?|news)\.", re.IGNORECASE
)


def is_noreply(address: str) -> bool:
    """An address nobody reads: noreply@, donotreply@, mailer-daemon@, notifications@ and the like."""
    local, _, domain = address.strip().strip("<>").rpartition("@")
    if not local:
        local, domain = domain, ""
    return _NOREPLY_LOCAL_RE.search(local) is not None or _NOREPLY_DOMAIN_RE.match(domain) is not None
