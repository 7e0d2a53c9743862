"""Benchmark: the agent queue with 100,000 open tickets — the selector and the /desk/queue/ page.

    python -m bench.inbox_queue [--tickets 100000] [--runs 15] [--db sqlite|postgres] [--keep | --reuse]

--keep leaves the PostgreSQL scratch database in place; --reuse times it again without rebuilding (so two
versions of the code can be timed on the same data, one right after the other, in the same session).

The data is bench.sla_sweep's (one shop, 20 agents, 20,000 customers, N open tickets with real SLA
clocks), plus a conversation and its messages for every ticket (the queue shows the last message). The
PostgreSQL scratch database is SHOUHOU_BENCH_PG_URL (default …/shouhou_sla_queue_bench), dropped at the end.
Before timing, the loaded tables are VACUUM ANALYZEd (as autovacuum keeps a table in daily use): straight
after a bulk load there are no planner statistics and no visibility map.

With the clock at the data's T0, for each common filter it times, --runs times each (p50/p99, nearest
rank, milliseconds):
- the selector: `inbox.selectors.ticket_queue` (one page of 50 rows) + `queue_counts` (the badges), the
  same calls the page makes;
- the page: GET /desk/queue/?<filter> through Django's test client, logged in as an agent (HTML rendered);
- the live refresh: GET /desk/queue/rows/ (the JSON the page polls).
The timing process first freezes its objects as a web process does at start (shouhou.core.runtime
settle_for_serving; --no-gc-freeze: not) and prints the full garbage collections that ran while timing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from urllib.parse import urlencode

from bench.sla_sweep import DEFAULT_PG_URL, T0, Scratch, build, percentile, summary

FILTERS: list[tuple[str, dict[str, str]]] = [
    ("all open (default)", {}),
    ("mine", {"scope": "mine"}),
    ("unassigned", {"scope": "unassigned"}),
    ("breached", {"breached": "1"}),
    ("due within 30 min", {"due_within": "30"}),
    ("channel = wechat", {"channel": "wechat"}),
    ("VIP", {"vip": "1"}),
    ("category + priority", {"category": "return_request", "priority": "2"}),
    ("search ticket number", {"q": "T000054321"}),
    ("search phone last 4", {"q": "0042"}),
    ("page 200", {"page": "200"}),
]


def _timed(fn, runs: int) -> tuple[float, float, object]:
    samples, result = [], None
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - t) * 1000)
    return percentile(samples, 50), percentile(samples, 99), result


def reply_clocks(shop) -> int:
    """Give the buyer messages per-message reply clocks as the services would (docs/metrics.md, 回复率): every
    fourth one still waiting, a third answered in 100 s, the rest in 250 s. Two set-based updates."""
    from django.db.models import F

    from shouhou.inbox.choices import Direction
    from shouhou.inbox.models import Message

    buyer = Message.objects.filter(shop=shop, direction=Direction.INBOUND)
    n = buyer.update(awaits_human=True)
    answered = buyer.annotate(bucket=F("id") % 4).exclude(bucket=0)
    answered.update(human_reply_at=F("created_at") + dt.timedelta(seconds=250))
    answered.annotate(third=F("id") % 3).filter(third=0).update(human_reply_at=F("created_at") + dt.timedelta(seconds=100))
    return n


def settle(log=print) -> None:
    """VACUUM ANALYZE the freshly loaded tables (PostgreSQL), as autovacuum does to a table in daily use: right
    after a bulk load the planner has no statistics and the visibility map is empty, so a count over a partial
    index (the agent's own "mine" badge) visits 2,500 heap pages instead of reading the index alone."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    started = time.perf_counter()
    with connection.cursor() as cur:
        for table in ("inbox_ticket", "inbox_message", "inbox_conversation", "commerce_customer"):
            cur.execute(f"VACUUM ANALYZE {table}")
    log(f"  VACUUM ANALYZE of the loaded tables: {time.perf_counter() - started:.1f} s")


class FullCollections:
    """Count the garbage collector's full (generation 2) collections while timing, and how long they took: one
    walks every tracked object of the process, and the request it interrupts waits for it."""

    def __enter__(self):
        import gc

        self.count, self.longest_ms, self.total_ms, self._start = 0, 0.0, 0.0, 0.0
        gc.callbacks.append(self._seen)
        return self

    def _seen(self, phase: str, info: dict) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._start = time.perf_counter()
        else:
            took = (time.perf_counter() - self._start) * 1000
            self.count += 1
            self.total_ms += took
            self.longest_ms = max(self.longest_ms, took)

    def __exit__(self, *exc):
        import gc

        gc.callbacks.remove(self._seen)
        return False


def run(*, runs: int, agent, shop, log=print) -> dict[str, dict]:
    import time_machine
    from django.db import connection
    from django.test import Client

    from shouhou.inbox import selectors as sel

    client = Client()
    client.force_login(agent)
    seen: list[str] = []

    def count(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)
    results: dict[str, dict] = {}
    log(f"  {'filter':<22s} {'rows':>7s}  {'selector p50/p99 ms':>20s}  {'page p50/p99 ms':>16s}  "
        f"{'page queries':>12s}")
    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=True):
        for label, query in FILTERS:
            filters = sel.QueueFilters.from_mapping(query)

            def selector(filters=filters):
                page = sel.ticket_queue(shop=shop, user=agent, filters=filters)
                sel.queue_counts(shop=shop, user=agent, at=page.at)
                return page

            s50, s99, page = _timed(selector, runs)
            url = "/desk/queue/" + (f"?{urlencode(query)}" if query else "")
            seen.clear()
            with connection.execute_wrapper(count):
                response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            p50, p99, _ = _timed(lambda url=url: client.get(url), runs)
            results[label] = {"rows": page.total, "selector": (s50, s99), "page": (p50, p99),
                              "queries": len(seen)}
            log(f"  {label:<22s} {page.total:>7,d}  {s50:>9,.1f} / {s99:>8,.1f}  {p50:>7,.1f} / {p99:>7,.1f}  "
                f"{len(seen):>12d}")
        from django.core.cache import cache

        def board():
            cache.clear()  # the shared per-shop rates: time the computation, not the cache
            return sel.reply_board(shop=shop, user=agent)

        b50, b99, _ = _timed(board, runs)
        log(f"  reply board (today's rates per agent + nudge, uncached): p50 {b50:,.1f} ms, p99 {b99:,.1f} ms")
        results["reply_board"] = {"selector": (b50, b99)}
        r50, r99, response = _timed(lambda: client.get("/desk/queue/rows/"), runs)
        assert response.status_code == 200
        log(f"  live refresh /desk/queue/rows/: p50 {r50:,.1f} ms, p99 {r99:,.1f} ms")
        results["rows"] = {"page": (r50, r99)}
        # During a surge a ticket changes before nearly every refresh (each inbound message saves its ticket):
        # time the refresh right after a ticket of the shop was saved (the save itself not timed).
        from shouhou.inbox.models import Ticket

        touched = Ticket.objects.filter(shop=shop).order_by("pk").first()
        samples = []
        for _ in range(runs):
            touched.save(update_fields=["updated_at"])
            t = time.perf_counter()
            assert client.get("/desk/queue/rows/").status_code == 200
            samples.append((time.perf_counter() - t) * 1000)
        e50, e99 = percentile(samples, 50), percentile(samples, 99)
        log(f"  live refresh right after a ticket change: p50 {e50:,.1f} ms, p99 {e99:,.1f} ms")
        results["rows_after_change"] = {"page": (e50, e99)}
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL scratch database")
    parser.add_argument("--reuse", action="store_true", help="time the kept database again, no rebuild")
    parser.add_argument("--no-gc-freeze", dest="gc_freeze", action="store_false",
                        help="time without freezing the process's objects first (as a web process did before)")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f} at start")
    with Scratch(args.db, default_url=DEFAULT_PG_URL.replace("shouhou_sla_bench", "shouhou_sla_queue_bench"),
                 keep=args.keep or args.reuse, reuse=args.reuse) as s:
        print(f"[{args.db}] {s.version}; {os.cpu_count()} CPUs; agent queue bench, {args.tickets:,} tickets")
        if args.reuse:
            from django.contrib.auth import get_user_model

            from shouhou.commerce.models import Shop

            shop = Shop.objects.get(code="bench-sla")
            agents = [get_user_model().objects.get(username="bench-agent00")]
            print(f"  reused: {summary(shop)}")
        else:
            shop, agents, _ = build(args.tickets, messages=True)
            print(f"  {summary(shop)}; {reply_clocks(shop):,} buyer messages with reply clocks")
        settle(log=print)
        if args.gc_freeze:
            from shouhou.core.runtime import settle_for_serving

            print(f"  gc.freeze as a web process does at start: {settle_for_serving():,} objects frozen")
        with FullCollections() as full:
            run(runs=args.runs, agent=agents[0], shop=shop)
        print(f"  full garbage collections while timing: {full.count} (longest {full.longest_ms:,.1f} ms, "
              f"{full.total_ms:,.1f} ms in all)")
    print(f"load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} {os.getloadavg()[2]:.1f} at end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
