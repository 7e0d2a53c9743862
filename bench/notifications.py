"""Enqueue + render of N order-placed messages through notify_orders_placed (one import's worth), then
the render step alone over the same contexts.

    python -m bench.notifications [--size 100000]
"""

from __future__ import annotations

import argparse
import time

from bench._notify_setup import make_shop, prepare, vendor


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=100_000)
    args = ap.parse_args()
    prepare()
    import datetime as dt

    import time_machine
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from shouhou.notifications.models import OutboundMessage
    from shouhou.notifications.services import notify_orders_placed

    shop, order_ids = make_shop("bench-notify", args.size)
    noon = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with time_machine.travel(noon, tick=True), CaptureQueriesContext(connection) as q:
        t = time.perf_counter()
        with transaction.atomic():
            n = notify_orders_placed(shop=shop, order_ids=order_ids)
        elapsed = time.perf_counter() - t
    stored = OutboundMessage.objects.filter(shop=shop).count()
    print(f"[{vendor()}] enqueue+render {n} order_placed messages: {elapsed:.2f}s = {n / elapsed:,.0f} msg/s, "
          f"{len(q.captured_queries)} queries, {stored} rows")
    # Render alone: the same template over the stored messages' own contexts (no database in the loop).
    from shouhou.notifications.services import template_body
    from shouhou.notifications.templates_text import render

    contexts = list(OutboundMessage.objects.filter(shop=shop).values_list("context", flat=True))
    body_tpl, _ = template_body(shop=shop, trigger="order_placed", channel="sms")
    t = time.perf_counter()
    rendered = [render(body_tpl, ctx) for ctx in contexts]
    r_elapsed = time.perf_counter() - t
    print(f"[{vendor()}] render only {len(rendered)} messages: {r_elapsed:.2f}s = {len(rendered) / r_elapsed:,.0f} msg/s")
    t = time.perf_counter()
    with transaction.atomic():
        notify_orders_placed(shop=shop, order_ids=order_ids)
    print(f"[{vendor()}] re-run (all idempotent conflicts): {time.perf_counter() - t:.2f}s, "
          f"rows still {OutboundMessage.objects.filter(shop=shop).count()}")
    shop.delete()


if __name__ == "__main__":
    main()
