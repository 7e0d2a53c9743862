"""Figures for the SLA clock on calendars: python -m bench.sla_calendar [--calls N]

due_at() and business_seconds_between() per target length on the office calendar (Mon–Fri 09:00–18:00 with
China's holidays from the `holidays` package) and the desk calendar (every day 09:00–24:00). The baseline,
in the same run, is the day-by-day walk the clock used before issue 15 (without its 800-day limit, so it can
be timed on the long targets it used to refuse). Pure: no database."""

from __future__ import annotations

import argparse
import platform
import time
from datetime import datetime, timedelta


def walk_due(start, seconds, cal):
    """The old algorithm: walk one day at a time."""
    remaining = float(seconds)
    day = start.astimezone(cal.tz).date()
    while True:
        for a, b in cal.intervals_on(day):
            lo = max(a, start)
            if b <= lo:
                continue
            available = (b - lo).total_seconds()
            if remaining <= available:
                return (lo + timedelta(seconds=remaining)).astimezone(cal.tz)
            remaining -= available
        day += timedelta(days=1)


def _rate(fn, calls: int) -> float:
    t = time.perf_counter()
    for i in range(calls):
        fn(i)
    return calls / (time.perf_counter() - t)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    from shouhou.sla.calendar import SHANGHAI, business_seconds_between, calendar_from_spec, due_at
    from shouhou.sla.defaults import desk_calendar_spec, office_calendar_spec

    print(f"python {platform.python_version()} on {platform.machine()}, {args.calls} calls per row")
    t = time.perf_counter()
    cals = {"office": calendar_from_spec(office_calendar_spec()), "desk": calendar_from_spec(desk_calendar_spec())}
    cals["office"].open_before_day(0)
    print(f"build office calendar (import the holidays package, 2020–2060, index): {(time.perf_counter() - t) * 1000:.1f} ms")
    base = datetime(2026, 12, 7, 9, 0, tzinfo=SHANGHAI)
    targets = {"5 min": 5 * 60, "2 h": 2 * 3600, "48 h": 48 * 3600, "30 days": 30 * 86400, "366 days": 366 * 86400}
    print(f"{'calendar':8} {'target':>9} {'due_at/s':>12} {'between/s':>12} {'old walk/s':>12}")
    for name, cal in cals.items():
        for label, seconds in targets.items():
            starts = [base + timedelta(minutes=37 * i) for i in range(args.calls)]
            due = _rate(lambda i: due_at(starts[i], seconds, cal), args.calls)  # noqa: B023
            ends = [due_at(s, seconds, cal) for s in starts]
            between = _rate(lambda i: business_seconds_between(starts[i], ends[i], cal), args.calls)  # noqa: B023
            old_calls = max(1, args.calls // (50 if seconds >= 30 * 86400 else 1))
            old = _rate(lambda i: walk_due(starts[i], seconds, cal), old_calls)  # noqa: B023
            print(f"{name:8} {label:>9} {due:12,.0f} {between:12,.0f} {old:12,.0f}")


if __name__ == "__main__":
    main()
