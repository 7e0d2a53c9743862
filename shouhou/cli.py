"""`shouhou` — the one entry point.

    shouhou serve            web on 127.0.0.1:8000 plus the background worker
    shouhou worker           the background worker alone
    shouhou demo             fill the database with a simulated live session
    shouhou import FILE      import an order export (.xlsx/.csv)
    shouhou policy ...       check a policy, or decide a claim
    shouhou reviews ...      train, evaluate, classify reviews
    shouhou platforms sandbox  a local 抖店 to connect a shop to and watch a request go round
    shouhou <django command> any of Django's management commands (migrate, createsuperuser, ...)
"""

from __future__ import annotations

import os
import sys

ALIASES = {
    "worker": "qcluster",
    "import": "import_orders",
}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouhou.config.settings")
    if len(argv) < 2 or argv[1] in {"-h", "--help"}:
        print(__doc__)
        if len(argv) < 2:
            return
    else:
        argv[1] = ALIASES.get(argv[1], argv[1])
        if argv[1] == "qcluster":
            # The worker forks its task processes: none may inherit a pool's open connections (config/env.py).
            from shouhou.config.env import POOL_ENV

            os.environ[POOL_ENV] = "0"
    argv[0] = "shouhou"
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
