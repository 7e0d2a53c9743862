"""Benchmark: the SLA sweep (sla.services.sla_sweep) over 100,000 open tickets.

    python -m bench.sla_sweep [--tickets 100000] [--runs 30] [--db sqlite|postgres] [--catch-up]

A scratch database (SQLite in a temporary data dir; PostgreSQL: SHOUHOU_BENCH_PG_URL, default
postgres://postgres@127.0.0.1:5432/shouhou_sla_bench, dropped and created anew, dropped at the end) gets one
shop with the default SLA install, 20 agents, 2 supervisors on shift, 20,000 customers (5% VIP, 10% gold)
and N open tickets created over the 36 hours before T0 (Wed 2026-11-25 15:00 Shanghai). Every ticket's
clocks are computed by the real code (sla.policies.resolve_targets and sla.clocks) and written with
bulk_create in batches: 25% new, 45% answered (a third of them with an unanswered follow-up), 15% waiting
for the customer (paused), 10% escalated, 5% assigned but unanswered. What was already due before T0 is
flagged breached, as the minute-by-minute sweep would have done.

Then `sla_sweep(at=T0 + k minutes)` runs --runs times (k = 0, 1, 2 …, as the scheduler runs it every
minute) and the bench prints p50/p99 (nearest rank) of the sweep time, its query count, and the counts it
found (breaches, warnings). --catch-up then clears every flag and times one sweep that must breach and
warn everything at once (the first sweep after an outage).
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 11, 25, 15, 0, tzinfo=SH)
SPAN_HOURS = 36
BATCH = 5000
CHANNELS = (["web_chat"] * 30 + ["wechat"] * 20 + ["phone"] * 10 + ["social_dm"] * 15 + ["private_group"] * 5
            + ["email"] * 8 + ["social_comment"] * 5 + ["wecom"] * 4 + ["system"] * 3)
CATEGORIES = (["logistics"] * 25 + ["quality"] * 20 + ["usage"] * 15 + ["return_request"] * 15 + ["size_fit"] * 10
              + ["wrong_missing"] * 5 + ["price_change"] * 4 + ["service_complaint"] * 3 + ["safety"] * 1
              + ["other"] * 2)
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/shouhou_sla_bench"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def _pg_recreate(url: str, *, drop_only: bool = False) -> None:
    import psycopg
    from psycopg import sql

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


class Scratch:
    """A scratch database for one bench run: set up Django on it, remove it afterwards."""

    def __init__(self, db: str, *, default_url: str = DEFAULT_PG_URL, keep: bool = False, reuse: bool = False):
        self.db = db
        self.keep, self.reuse = keep, reuse  # keep the PostgreSQL database afterwards / use the kept one
        self.dir = Path(tempfile.mkdtemp(prefix="shouhou-bench-sla-"))
        self.url = os.environ.get("SHOUHOU_BENCH_PG_URL", default_url) if db == "postgres" else ""

    def __enter__(self) -> Scratch:
        os.environ["SHOUHOU_DATA_DIR"] = str(self.dir)
        if self.db == "postgres":
            if not self.reuse:
                _pg_recreate(self.url)
            os.environ["SHOUHOU_DATABASE_URL"] = self.url
        else:
            os.environ.pop("SHOUHOU_DATABASE_URL", None)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouhou.config.settings")
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SHOW server_version")
                self.version = f"PostgreSQL {cur.fetchone()[0]}"
        else:
            import sqlite3

            self.version = f"SQLite {sqlite3.sqlite_version}"
        return self

    def __exit__(self, *exc) -> None:
        from django.db import connections

        connections.close_all()
        if self.db == "postgres" and not self.keep:
            _pg_recreate(self.url, drop_only=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def build(n: int, *, messages: bool = False, seed: int = 7, log=print):
    """The bench shop with `n` open tickets (see the module docstring). Returns (shop, agents, supervisors)."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from shouhou.accounts.choices import Role
    from shouhou.accounts.models import Membership
    from shouhou.commerce.models import Customer, Shop
    from shouhou.inbox.choices import Direction, Priority, TicketStatus
    from shouhou.inbox.models import AgentProfile, Conversation, Message, Shift, Ticket
    from shouhou.inbox.triage import AGE_BUMPS
    from shouhou.sla import clocks
    from shouhou.sla.policies import resolve_targets, shop_sla_config
    from shouhou.sla.services import sla_defaults_install

    rng = random.Random(seed)
    started = time.perf_counter()
    User = get_user_model()
    with transaction.atomic():
        shop = Shop.objects.create(name="SLA 压测店", code="bench-sla")
        sla_defaults_install(shop=shop, night_shift=True)
        agents = [User.objects.create(username=f"bench-agent{i:02d}") for i in range(20)]
        supervisors = [User.objects.create(username=f"bench-sup{i}") for i in range(2)]
        Membership.objects.bulk_create([Membership(shop=shop, user=u, role=Role.AGENT) for u in agents]
                                       + [Membership(shop=shop, user=u, role=Role.SUPERVISOR) for u in supervisors])
        for i, u in enumerate(agents + supervisors):
            profile = AgentProfile.objects.create(shop=shop, user=u, capacity=5000)
            start = T0.replace(hour=8 if i % 2 else 14) - dt.timedelta(days=1)
            Shift.objects.bulk_create([Shift(shop=shop, agent=profile, starts_at=start + dt.timedelta(days=d),
                                             ends_at=start + dt.timedelta(days=d, hours=10)) for d in range(4)])
        n_customers = max(50, min(20_000, n // 5))
        Customer.objects.bulk_create([
            Customer(shop=shop, name=f"顾客{i}", phone=f"139{i:08d}", phone_last4=f"{i:08d}"[-4:],
                     tier="vip" if i % 20 == 0 else "gold" if i % 10 == 1 else "regular")
            for i in range(n_customers)], batch_size=BATCH)
        customers = list(Customer.objects.filter(shop=shop).order_by("pk").values_list("pk", "tier"))
    log(f"  set-up: shop, defaults, 22 users, {n_customers:,} customers in {time.perf_counter() - started:.1f} s")

    config = shop_sla_config(shop)
    cache: dict[tuple, object] = {}

    def targets(channel: str, category: str, priority: int, tier: str):
        key = (channel, category, priority, tier)
        if key not in cache:
            cache[key] = resolve_targets(policies=config[0], default_calendar=config[1], channel=channel,
                                         category=category, priority=priority, tier=tier)
        return cache[key]

    fields = [Ticket._meta.get_field("created_at"), Ticket._meta.get_field("updated_at")]
    saved = [(f.auto_now_add, f.auto_now) for f in fields]
    for f in fields:  # keep the generated created_at (auto_now_add would stamp the wall clock)
        f.auto_now_add = f.auto_now = False
    t_gen = time.perf_counter()
    made = 0
    try:
        for offset in range(0, n, BATCH):
            size = min(BATCH, n - offset)
            rows: list[Ticket] = []
            convs: list[Conversation] = []
            for i in range(offset, offset + size):
                created = T0 - dt.timedelta(seconds=rng.uniform(0, SPAN_HOURS * 3600))
                cust_id, tier = customers[rng.randrange(len(customers))]
                channel, category = rng.choice(CHANNELS), rng.choice(CATEGORIES)
                priority = (Priority.URGENT if category == "safety" else Priority.HIGH if tier == "vip"
                            else Priority.LOW if rng.random() < 0.1 else Priority.NORMAL)
                tg = targets(channel, category, int(priority), tier)
                t = Ticket(shop=shop, number=f"T{i:09d}", customer_id=cust_id, channel=channel, category=category,
                           priority=int(priority), subject=f"咨询 {i}", status=TicketStatus.NEW, created_at=created,
                           updated_at=created)
                clocks.clocks_start(t, at=created, targets=tg)
                r = rng.random()
                replied = created + dt.timedelta(seconds=rng.uniform(30, 900))
                if r >= 0.25 and replied < T0:
                    clocks.clocks_agent_reply(t, at=replied, targets=tg)
                    t.assignee = agents[i % len(agents)]
                    t.status = TicketStatus.OPEN
                    if r < 0.40:                       # an unanswered follow-up
                        follow = replied + dt.timedelta(seconds=rng.uniform(60, 3 * 3600))
                        if follow < T0:
                            clocks.clocks_customer_message(t, at=follow, targets=tg)
                    elif 0.70 <= r < 0.85:
                        t.status = TicketStatus.PENDING_CUSTOMER
                        clocks.clocks_pause(t, at=replied + dt.timedelta(seconds=60))
                    elif 0.85 <= r < 0.95:
                        t.status = TicketStatus.ESCALATED
                elif r >= 0.95:
                    t.assignee = agents[i % len(agents)]
                if t.paused_at is None:
                    dues = clocks.running_dues(t)
                    first_due = min(dues.values()) if dues else None
                    if first_due is not None and first_due <= T0:
                        t.sla_breached, t.sla_breached_at = True, first_due
                        t.escalated_to = supervisors[0]
                    elif first_due is not None and first_due <= T0 + dt.timedelta(minutes=tg.warn_before_minutes):
                        t.sla_warned_at = T0 - dt.timedelta(minutes=1)
                for before, hours, after in AGE_BUMPS:
                    if t.priority == before and created <= T0 - dt.timedelta(hours=hours):
                        t.priority = after
                if messages:
                    convs.append(Conversation(shop=shop, customer_id=cust_id, channel=channel, subject=t.subject,
                                              last_message_at=t.last_agent_reply_at or created, created_at=created,
                                              updated_at=created))
                rows.append(t)
            if messages:
                Conversation.objects.bulk_create(convs, batch_size=BATCH)
                if convs[0].pk is None:  # SQLite before RETURNING: read the ids back in order
                    ids = list(Conversation.objects.filter(shop=shop).order_by("-pk").values_list("pk", flat=True)
                               [:len(convs)])[::-1]
                    for c, pk in zip(convs, ids, strict=True):
                        c.pk = pk
                msgs = []
                for t, c in zip(rows, convs, strict=True):
                    t.conversation_id = c.pk
                    msgs.append(Message(shop=shop, conversation_id=c.pk, direction=Direction.INBOUND,
                                        body=f"{t.subject}：请问什么时候能处理？", created_at=t.created_at,
                                        updated_at=t.created_at))
                    if t.last_agent_reply_at:
                        msgs.append(Message(shop=shop, conversation_id=c.pk, direction=Direction.OUTBOUND,
                                            author_id=t.assignee_id, body="您好，正在为您处理",
                                            created_at=t.last_agent_reply_at, updated_at=t.last_agent_reply_at))
                Message.objects.bulk_create(msgs, batch_size=BATCH)
            Ticket.objects.bulk_create(rows, batch_size=BATCH)
            made += len(rows)
    finally:
        for f, (add, auto) in zip(fields, saved, strict=True):
            f.auto_now_add, f.auto_now = add, auto
    elapsed = time.perf_counter() - t_gen
    log(f"  generated {made:,} tickets{' with conversations and messages' if messages else ''} "
        f"(bulk_create, {BATCH:,} per batch) in {elapsed:.1f} s = {made / elapsed:,.0f} tickets/s")
    if messages:
        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
    else:
        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE inbox_ticket")
    return shop, agents, supervisors


def summary(shop) -> str:
    from django.db.models import Count, Q

    from shouhou.inbox.models import Ticket

    c = Ticket.objects.filter(shop=shop).aggregate(
        total=Count("id"), breached=Count("id", filter=Q(sla_breached=True)),
        paused=Count("id", filter=Q(paused_at__isnull=False)),
        warned=Count("id", filter=Q(sla_warned_at__isnull=False, sla_breached=False)))
    return (f"{c['total']:,} open tickets: {c['breached']:,} breached, {c['warned']:,} warned, "
            f"{c['paused']:,} paused")


def time_sweeps(*, runs: int, log=print) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shouhou.sla.services import sla_sweep

    samples, totals, queries = [], {"breached": 0, "warned": 0, "escalations_overdue": 0, "priority_raised": 0}, 0
    for k in range(runs):
        with CaptureQueriesContext(connection) as q:
            t = time.perf_counter()
            result = sla_sweep(at=T0 + dt.timedelta(minutes=k))
            samples.append((time.perf_counter() - t) * 1000)
        queries = max(queries, len(q.captured_queries))
        for name in totals:
            totals[name] += getattr(result, name)
    p50, p99 = percentile(samples, 50), percentile(samples, 99)
    log(f"  sla_sweep × {runs} (one a minute from T0): p50 {p50:,.1f} ms, p99 {p99:,.1f} ms, "
        f"max {max(samples):,.1f} ms; ≤ {queries} queries a sweep; "
        f"found {totals['breached']:,} breaches, {totals['warned']:,} warnings, "
        f"{totals['priority_raised']:,} priority raises")
    return {"p50": p50, "p99": p99, **totals}


def catch_up(shop, *, log=print) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shouhou.inbox.choices import TicketEventKind
    from shouhou.inbox.models import Ticket, TicketEvent
    from shouhou.sla.services import sla_sweep

    Ticket.objects.filter(shop=shop).update(sla_breached=False, sla_breached_at=None, sla_warned_at=None,
                                            escalated_to=None)
    TicketEvent.objects.filter(shop=shop, kind__in=[TicketEventKind.SLA_BREACH, TicketEventKind.SLA_WARNING]).delete()
    with CaptureQueriesContext(connection) as q:
        t = time.perf_counter()
        result = sla_sweep(at=T0 + dt.timedelta(hours=1))
        elapsed = time.perf_counter() - t
    log(f"  catch-up sweep (every flag cleared): {elapsed:,.2f} s, {len(q.captured_queries)} queries, "
        f"{result.breached:,} breaches and {result.warned:,} warnings written as events")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--catch-up", action="store_true", help="also time one sweep that flags everything")
    args = parser.parse_args()
    with Scratch(args.db) as scratch:
        print(f"[{args.db}] {scratch.version}; {os.cpu_count()} CPUs; SLA sweep bench, {args.tickets:,} tickets")
        shop, _, _ = build(args.tickets)
        print(f"  {summary(shop)}")
        time_sweeps(runs=args.runs)
        print(f"  after the sweeps: {summary(shop)}")
        if args.catch_up:
            catch_up(shop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
