"""Dashboard queries at scale: 1,000,000 cases and 10,000,000 order lines (scale 1.0) in one shop.

    SHOUHOU_DATABASE_URL=postgres://postgres@127.0.0.1:5432/shouhou_bench python -m bench.insight_dashboard \
        [--scale 0.01] [--runs 7] [--reuse]

Generation is set-based SQL (INSERT … SELECT over a generated series; `generate_series` on PostgreSQL, a
recursive CTE on SQLite), one statement per table, in the database the URL names (migrated first). The data
spans 365 days before a fixed anchor (2026-11-30 local): one live session a day (10 hosts, 10 products
pitched each), 70% of orders from the day's session, 3 lines per order, one outbound shipment per order
(6 carriers), cases on 1 in 10 lines, tickets = cases / 2, reviews = cases / 2 (20% bad, each with a
recovery task), survey answers on 1 in 5 cases. Then the order-line rollup is built (timed), and every
dashboard query of `shouhou.insight.selectors.dashboard_queries` (the same code the pages run) is timed
over the last week, `--runs` times each: p50 and p99 (nearest rank) in milliseconds. The shop is kept
(code `bench-<scale>`); `--reuse` skips generation when it already exists.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from zoneinfo import ZoneInfo

ANCHOR_LOCAL = dt.datetime(2026, 11, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
DAYS = 365
HOSTS = 10
PRODUCTS = 500
SKUS_PER_PRODUCT = 4
PITCHED = 10  # products per live session
TOP_SELLERS = 25  # products of orders outside live sessions
CARRIERS = ["SF", "ZTO", "YTO", "YD", "JD", "JTSD"]
KINDS = ["return_refund"] * 8 + ["refund_only"] * 4 + ["exchange"] * 3 + ["resend", "repair", "price_protect",
                                                                          "compensation", "compensation"]
REASONS = ["size_fit"] * 5 + ["quality"] * 4 + ["no_reason"] * 4 + ["not_as_described"] * 3 + \
    ["damaged_in_transit"] * 2 + ["wrong_item", "missing_parts", "late_shipment", "other"]
CHANNELS = ["web_chat", "wechat", "phone", "social_dm", "private_group", "email"]
CATEGORIES = ["quality", "logistics", "usage", "return_request", "size_fit", "other"]
COMPLAINTS = ["quality_defect", "size_fit", "logistics", "not_as_described", "service_attitude", "price",
              "wrong_or_missing", "other"]
OUTCOMES = ["resolved", "rating_updated", "no_answer", "resolved", ""]


def sizes(scale: float) -> dict[str, int]:
    lines = max(300, int(10_000_000 * scale))
    cases = max(30, int(1_000_000 * scale))
    return {"lines": lines, "orders": (lines + 2) // 3, "customers": max(50, lines // 20), "cases": cases,
            "tickets": cases // 2, "reviews": cases // 2, "surveys": cases // 5}


class Dialect:
    """The few SQL spellings that differ between PostgreSQL and SQLite."""

    def __init__(self, vendor: str):
        self.pg = vendor == "postgresql"

    def series(self, n: int) -> str:
        if self.pg:
            return f"WITH s(g) AS (SELECT generate_series(0::bigint, {n - 1}))"
        return f"WITH RECURSIVE s(g) AS (SELECT 0 UNION ALL SELECT g + 1 FROM s WHERE g < {n - 1})"

    def plus_seconds(self, ts: str, seconds: str) -> str:
        if self.pg:
            return f"({ts} + ({seconds}) * interval '1 second')"
        return f"strftime('%Y-%m-%d %H:%M:%f', {ts}, '+' || ({seconds}) || ' seconds')"

    def ts(self, value: dt.datetime) -> str:
        """A timestamp literal (SQLite stores naive UTC text, as Django writes it)."""
        utc = value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
        return f"TIMESTAMPTZ '{utc}+00:00'" if self.pg else f"'{utc}'"


def pick(values: list[str], expr: str) -> str:
    """CASE (expr % len) WHEN 0 THEN v0 … END: a deterministic choice from a list, in portable SQL."""
    whens = " ".join(f"WHEN {i} THEN '{v}'" for i, v in enumerate(values))
    return f"(CASE (({expr}) % {len(values)}) {whens} END)"


def generate(*, scale: float, code: str, log=print) -> object:
    """Create the bench shop and its rows; returns the shop. Set-based: one INSERT … SELECT per table."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from shouhou.accounts.choices import Role
    from shouhou.accounts.models import Membership
    from shouhou.commerce.models import SKU, Host, LiveSession, Order, OrderLine, Product, Shop

    n = sizes(scale)
    d = Dialect(connection.vendor)
    now = dt.datetime.now(dt.UTC)
    anchor = ANCHOR_LOCAL
    with transaction.atomic():
        shop = Shop.objects.create(name=f"基准店 {scale}", code=code)
        users = []
        for i in range(20):
            user, _ = get_user_model().objects.get_or_create(username=f"bench-kefu{i}")
            Membership.objects.get_or_create(user=user, shop=shop, defaults={"role": Role.AGENT})
            users.append(user)
        hosts = Host.objects.bulk_create([Host(shop=shop, name=f"主播{i}") for i in range(HOSTS)])
        products = Product.objects.bulk_create(
            [Product(shop=shop, name=f"商品{i:03d}", category="clothing") for i in range(PRODUCTS)])
        SKU.objects.bulk_create([SKU(shop=shop, product=p, code=f"{code}-S{p.pk}-{k}", spec=f"规格{k}")
                                 for p in products for k in range(SKUS_PER_PRODUCT)])
        sessions = LiveSession.objects.bulk_create([
            LiveSession(shop=shop, title=f"第{day}天直播", host=hosts[day % HOSTS],
                        started_at=anchor - dt.timedelta(days=DAYS - day) + dt.timedelta(hours=20),
                        ended_at=anchor - dt.timedelta(days=DAYS - day) + dt.timedelta(hours=22))
            for day in range(DAYS)])
    first = {"user": min(u.pk for u in users), "product": products[0].pk,
             "sku": SKU.objects.filter(shop=shop).order_by("pk").values_list("pk", flat=True).first(),
             "session": sessions[0].pk}
    user_ids = sorted(u.pk for u in users)

    def agent(expr: str) -> str:
        whens = " ".join(f"WHEN {i} THEN {pk}" for i, pk in enumerate(user_ids))
        return f"(CASE (({expr}) % {len(user_ids)}) {whens} END)"

    start = anchor - dt.timedelta(days=DAYS)
    sid, stamp = shop.pk, d.ts(now)

    def run(label: str, sql: str) -> None:
        """SQL with every value inlined (no parameters: `%` is the modulo operator here)."""
        t0 = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute(sql)
            count = cur.rowcount
        rows = f"{count:>12,d}" if count >= 0 else f"{'?':>12s}"
        log(f"  generate {label:<22s} {rows} rows  {time.perf_counter() - t0:8.1f} s")

    def first_id(model) -> int:
        return model.objects.filter(shop=shop).order_by("pk").values_list("pk", flat=True).first()

    # customers
    run("customers", f"""{d.series(n['customers'])}
        INSERT INTO commerce_customer (shop_id, created_at, updated_at, name, phone, phone_last4, wechat_id, email,
            tier, contact_consent, points)
        SELECT {sid}, {stamp}, {stamp}, 'C' || g, '', '', '', '', 'regular', TRUE, 0 FROM s""")
    c0 = first_id(__import__("shouhou.commerce.models", fromlist=["Customer"]).Customer)
    # orders: day = g % DAYS; 70% placed during that day's live session
    day = f"(g % {DAYS})"
    in_session = "((g % 10) < 7)"
    placed = d.plus_seconds(d.ts(start), f"{day} * 86400 + CASE WHEN {in_session} THEN 72000 + (g * 13) % 7200 "
                                  f"ELSE (g * 37) % 86400 END")
    run("orders", f"""{d.series(n['orders'])}
        INSERT INTO commerce_order (shop_id, created_at, updated_at, order_no, customer_id, live_session_id, status,
            placed_at, total_paid, receiver_name, receiver_phone, address, return_insurance)
        SELECT {sid}, {stamp}, {stamp}, 'B' || g, {c0} + (g * 7) % {n['customers']},
            CASE WHEN {in_session} THEN {first['session']} + {day} END, 'delivered', {placed}, 199, '', '', '', FALSE
        FROM s""")
    o0 = first_id(Order)
    # order lines: 3 per order; session orders buy the session's pitched products, others the top sellers
    g = "(g / 3)"
    product = (f"(CASE WHEN (({g}) % 10) < 7 THEN ((({g}) % {DAYS}) * 7 + (g % {PITCHED})) % {PRODUCTS} "
               f"ELSE (g * 17) % {TOP_SELLERS} END)")
    run("order lines", f"""{d.series(n['lines'])}
        INSERT INTO commerce_orderline (shop_id, created_at, updated_at, order_id, line_key, product_id, sku_id,
            product_name, spec, category, quantity, price_paid, batch_no)
        SELECT {sid}, {stamp}, {stamp}, {o0} + {g}, 'L' || g, {first['product']} + {product},
            {first['sku']} + {product} * {SKUS_PER_PRODUCT} + (g * 31) % {SKUS_PER_PRODUCT},
            '商品', '', 'clothing', 1, 66, 'P' || {product} || '-' || ((({g}) % {DAYS}) / 60)
        FROM s""")
    l0 = first_id(OrderLine)
    run("shipments", f"""{d.series(n['orders'])}
        INSERT INTO commerce_shipment (shop_id, created_at, updated_at, order_id, carrier, tracking_no, status,
            is_return)
        SELECT {sid}, {stamp}, {stamp}, {o0} + g, {pick(CARRIERS, 'g * 11')}, 'T{shop.pk}-' || g, 'signed', FALSE FROM s""")
    # cases on 1 line in 10 (a permutation of the lines), created 1–10 days after the order
    line_of = f"((g * 7919) % {n['lines']})"
    created = d.plus_seconds("o.placed_at", "(1 + g % 10) * 86400 + (g * 53) % 3600")
    resolved = d.plus_seconds("o.placed_at", "(3 + g % 10) * 86400")
    run("cases", f"""{d.series(n['cases'])}
        INSERT INTO cases_case (shop_id, created_at, updated_at, number, order_id, order_line_id, customer_id,
            live_session_id, kind, status, reason, description, channel, decision, auto_approved, shipping_payer,
            refund_amount, compensation_amount, resolution, assignee_id, resolved_at, claim, compensation_kind,
            inspection_result, inspection_site, pending_compensation, return_carrier, return_method,
            return_tracking_no)
        SELECT {sid}, {created}, {stamp}, 'K' || g, o.id, {l0} + {line_of}, o.customer_id, o.live_session_id,
            {pick(KINDS, 'g')}, CASE WHEN g % 10 < 7 THEN 'resolved' ELSE 'requested' END,
            {pick(REASONS, 'g * 13')}, '', {pick(CHANNELS, 'g * 3')}, '{{}}', FALSE, '', 0, 0, '',
            {agent('g')}, CASE WHEN g % 10 < 7 THEN {resolved} END, '{{}}', '', '', '', '{{}}', '', '', ''
        FROM s JOIN commerce_order o ON o.id = {o0} + {line_of} / 3""")
    k0 = first_id(__import__("shouhou.cases.models", fromlist=["Case"]).Case)
    t_created = d.plus_seconds("o.placed_at", "(2 + g % 5) * 86400 + (g * 7) % 3600")
    t_first = d.plus_seconds(t_created, "30 + (g * 17) % 3000")
    t_done = d.plus_seconds(t_created, "600 + (g * 31) % 200000")
    run("tickets", f"""{d.series(n['tickets'])}
        INSERT INTO inbox_ticket (shop_id, created_at, updated_at, number, customer_id, order_id, case_id, channel,
            category, priority, status, team, assignee_id, subject, first_responded_at, resolved_at,
            first_response_business_seconds, resolution_business_seconds, sla_breached, paused_seconds)
        SELECT {sid}, {t_created}, {stamp}, 'W' || g, o.customer_id, o.id, CASE WHEN g % 2 = 0 THEN {k0} + g END,
            {pick(CHANNELS, 'g')}, {pick(CATEGORIES, 'g * 7')}, 3,
            CASE WHEN g % 5 < 4 THEN 'resolved' ELSE 'open' END, 'service', {agent('g * 3')}, '',
            CASE WHEN g % 20 <> 0 THEN {t_first} END, CASE WHEN g % 5 < 4 THEN {t_done} END,
            CASE WHEN g % 20 <> 0 THEN (30 + (g * 17) % 3000) * 6 / 10 END,
            CASE WHEN g % 5 < 4 THEN (600 + (g * 31) % 200000) * 6 / 10 END, g % 9 = 0, 0
        FROM s JOIN commerce_order o ON o.id = {o0} + (g * 104729) % {n['orders']}""")
    rline = f"((g * 15485863) % {n['lines']})"
    posted = d.plus_seconds("o.placed_at", "(5 + g % 10) * 86400 + (g * 11) % 3600")
    rating = "(CASE g % 10 WHEN 7 THEN 4 WHEN 8 THEN 2 WHEN 9 THEN 1 ELSE 5 END)"
    run("reviews", f"""{d.series(n['reviews'])}
        INSERT INTO reviews_review (shop_id, created_at, updated_at, platform, external_id, kind, source, order_no,
            author_name, order_id, order_line_id, customer_id, live_session_id, rating, text, posted_at, sentiment,
            complaint_type, aspect, is_showcased)
        SELECT {sid}, {stamp}, {stamp}, 'douyin', 'R' || g, 'review', 'api', '', '', o.id, {l0} + {rline}, o.customer_id,
            o.live_session_id, {rating}, '', {posted}, CASE WHEN {rating} >= 4 THEN 1 ELSE 0 END,
            CASE WHEN {rating} >= 4 THEN 'none' ELSE {pick(COMPLAINTS, 'g / 10')} END, '', FALSE
        FROM s JOIN commerce_order o ON o.id = {o0} + {rline} / 3""")
    run("recovery tasks", f"""
        INSERT INTO reviews_recoverytask (shop_id, created_at, updated_at, number, review_id, status, due_at, breached,
            is_misunderstanding, suggested_reply, public_reply, contact_note, remedy, remedy_note, outcome,
            new_rating, closed_at, assignee_id)
        SELECT {sid}, r.posted_at, {stamp}, 'RT' || r.id, r.id,
            CASE WHEN r.id % 5 < 4 THEN 'closed' ELSE 'open' END, {d.plus_seconds('r.posted_at', '86400')}, FALSE,
            FALSE, '', '', '', '', '', CASE WHEN r.id % 5 < 4 THEN {pick(OUTCOMES[:3], 'r.id')} ELSE '' END,
            CASE WHEN r.id % 5 < 4 AND r.id % 3 = 1 THEN 4 + r.id % 2 END,
            CASE WHEN r.id % 5 < 4 THEN {d.plus_seconds('r.posted_at', '2 * 86400')} END, {agent('r.id')}
        FROM reviews_review r WHERE r.shop_id = {sid} AND r.rating <= 2""")
    run("survey invitations", f"""{d.series(n['surveys'])}
        INSERT INTO insight_surveyinvitation (shop_id, created_at, updated_at, customer_id, case_id, token, sent_at)
        SELECT {sid}, k.resolved_at, {stamp}, k.customer_id, k.id, 'tok{shop.pk}-' || g, k.resolved_at
        FROM s JOIN cases_case k ON k.id = {k0} + g * 5 WHERE k.resolved_at IS NOT NULL""")
    run("survey answers", f"""
        INSERT INTO insight_surveyresponse (created_at, updated_at, invitation_id, attitude, speed, outcome, comment)
        SELECT {d.plus_seconds('i.sent_at', '86400')}, {stamp}, i.id, 3 + i.id % 3, 2 + i.id % 4, 1 + i.id % 5, ''
        FROM insight_surveyinvitation i WHERE i.shop_id = {sid}""")
    if d.pg:
        t0 = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
        log(f"  analyze {time.perf_counter() - t0:8.1f} s")
    return shop


def build_rollup(shop, log=print) -> float:
    from shouhou.insight.services import rollup_refresh

    t0 = time.perf_counter()
    days = [(ANCHOR_LOCAL - dt.timedelta(days=i)).date() for i in range(1, DAYS + 2)]
    rows = 0
    for i in range(0, len(days), 31):  # a month per transaction
        rows += rollup_refresh(shop=shop, days=days[i:i + 31])
    elapsed = time.perf_counter() - t0
    log(f"  rollup {rows:,d} rows for {len(days)} days  {elapsed:8.1f} s")
    return elapsed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # nearest rank
    return ordered[int(rank) - 1]


def time_queries(shop, *, runs: int, log=print) -> dict[str, tuple[float, float]]:
    """Time every dashboard query over the last week before the anchor: {name: (p50 ms, p99 ms)}."""
    from shouhou.insight.selectors import dashboard_queries

    end = ANCHOR_LOCAL
    start = end - dt.timedelta(days=7)
    results = {}
    for name, fn in dashboard_queries(shop=shop, start=start, end=end):
        samples = []
        for _ in range(runs):
            t0 = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - t0) * 1000)
        results[name] = (percentile(samples, 50), percentile(samples, 99))
        log(f"  {name:<44s} p50 {results[name][0]:8.1f} ms   p99 {results[name][1]:8.1f} ms")
    return results


def time_pages(shop, *, runs: int, log=print) -> dict[str, tuple[float, float]]:
    """Time the real dashboard pages (Django test client, a superuser session) for the same week."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(username="bench-admin", defaults={"is_superuser": True,
                                                                                     "is_staff": True})
    client = Client()
    client.force_login(user)
    session = client.session
    session["shop_id"] = shop.pk
    session.save()
    period = "start=2026-11-23&end=2026-11-30"
    pages = {"page /insight/ (overview)": f"/insight/?{period}",
             "page /insight/by/live_session/": f"/insight/by/live_session/?{period}",
             "page /insight/by/sku/": f"/insight/by/sku/?{period}",
             "page /insight/problems/": f"/insight/problems/?{period}",
             "page /insight/agents/": f"/insight/agents/?{period}",
             "page /insight/drill/?metric=return": f"/insight/drill/?metric=return&part=num&{period}"}
    results = {}
    for name, url in pages.items():
        samples = []
        for _ in range(runs):
            t0 = time.perf_counter()
            response = client.get(url, HTTP_HOST="127.0.0.1")
            samples.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        results[name] = (percentile(samples, 50), percentile(samples, 99))
        log(f"  {name:<44s} p50 {results[name][0]:8.1f} ms   p99 {results[name][1]:8.1f} ms")
    return results


def run(*, scale: float, runs: int, reuse: bool, generate_only: bool = False, log=print) -> dict:
    from shouhou.commerce.models import Shop

    code = f"bench-{scale:g}".replace(".", "_")
    shop = Shop.objects.filter(code=code).first() if reuse else None
    if shop is None:
        if Shop.objects.filter(code=code).exists():
            raise SystemExit(f"店铺 {code} 已存在：加 --reuse 复用，或换一个空数据库")
        log(f"generating scale {scale:g}: {sizes(scale)}")
        t0 = time.perf_counter()
        shop = generate(scale=scale, code=code, log=log)
        log(f"  generation total {time.perf_counter() - t0:8.1f} s")
        build_rollup(shop, log=log)
    if generate_only:
        return {"shop": shop}
    log(f"dashboard queries, last week before {ANCHOR_LOCAL.date()}, {runs} runs each:")
    queries = time_queries(shop, runs=runs, log=log)
    log("dashboard pages:")
    pages = time_pages(shop, runs=runs, log=log)
    return {"shop": shop, "queries": queries, "pages": pages}


def _pg_create_missing(url: str) -> None:
    """A PostgreSQL database named in the URL is created when missing (kept afterwards, for --reuse)."""
    if not url.startswith(("postgres://", "postgresql://")):
        return
    import psycopg
    from psycopg import sql

    base, _, name = url.partition("?")[0].rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="reuse the bench shop of this scale if it exists")
    parser.add_argument("--generate-only", action="store_true", help="generate (and roll up), time nothing")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shouhou.config.settings")
    _pg_create_missing(os.environ.get("SHOUHOU_DATABASE_URL", ""))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    call_command("migrate", verbosity=0)
    run(scale=args.scale, runs=args.runs, reuse=args.reuse, generate_only=args.generate_only)


if __name__ == "__main__":
    main()
