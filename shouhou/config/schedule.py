"""The one schedule of periodic jobs: each domain declares `SCHEDULES` in `<app>/schedules.py`;
`shouhou schedules_sync` (run by `serve` and `demo`) writes them as django-q2 Schedule rows."""

from __future__ import annotations

import importlib

DOMAIN_APPS = ["sla", "inbox", "notifications", "logistics", "reviews", "insight", "accounts", "cases", "core", "commerce",
               "platforms", "live"]


def declared_schedules() -> list[dict]:
    jobs: list[dict] = []
    for app in DOMAIN_APPS:
        try:
            module = importlib.import_module(f"shouhou.{app}.schedules")
        except ModuleNotFoundError as exc:
            if exc.name != f"shouhou.{app}.schedules":
                raise
            continue
        jobs.extend(getattr(module, "SCHEDULES", []))
    return jobs
