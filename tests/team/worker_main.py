"""A team worker process for the tests and benchmarks: ``followup-sync-team worker`` with the loopback seams
(the fake tenant's Graph URL, its login host behind msal's HTTP client). Everything else is the real worker."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path
from typing import Any

from followup_sync.team import config, engine, pgstate
from followup_sync.team.runner import Services
from tests.fakegraph.fixtures import RedirectingSession


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", type=Path, required=True)
    ap.add_argument("--graph", required=True)
    ap.add_argument("--heartbeat", type=float, default=1.0)
    ap.add_argument("--stalled-after", type=float, default=3.0)
    ap.add_argument("--schedule-every", type=int, default=2)
    ap.add_argument("--stalled-every", type=int, default=2)
    ap.add_argument("--name", default=f"test-worker-{os.getpid()}")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {args.name} %(levelname)s %(name)s: %(message)s")
    team = config.load(args.config)
    shared: dict[str, Any] = {}

    def services() -> Services:
        if "s" not in shared:
            session = RedirectingSession(args.graph)
            shared["s"] = Services.start(team, graph_url=args.graph, login_http_client=session, backoff=0.05)
        return shared["s"]  # type: ignore[no-any-return]

    engine.run_worker(team, pgstate.conninfo(team.database_file), services, heartbeat=args.heartbeat,
                      stalled_after=args.stalled_after, schedule_every=args.schedule_every,
                      stalled_every=args.stalled_every, name=args.name)  # fmt: skip


if __name__ == "__main__":
    main()
