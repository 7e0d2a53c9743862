"""Ingest N tracking events: pushes of 10 events per shipment through tracking_ingest.

    python -m bench.tracking [--size 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from bench._notify_setup import make_shop, prepare, vendor
from shouhou.accounts.actors import SYSTEM


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--per-push", type=int, default=10)
    args = ap.parse_args()
    prepare()
    from shouhou.commerce.choices import ShipmentStatus as St
    from shouhou.core.clock import now
    from shouhou.logistics.models import TrackingEvent
    from shouhou.logistics.services import Event, tracking_ingest, tracking_ingest_many

    per = args.per_push
    pushes = args.size // per
    shop, _ = make_shop("bench-track", pushes)
    start = now() - dt.timedelta(hours=per)
    statuses = [St.PICKED_UP] + [St.IN_TRANSIT] * (per - 2) + [St.OUT_FOR_DELIVERY]
    def batch(lo: int, hi: int):
        return [("SF", f"SF{i:012d}", [Event(occurred_at=start + dt.timedelta(hours=k, seconds=i % 60),
                                            status=statuses[k], description=f"快件已到达【第{k}站转运中心】",
                                            location="上海") for k in range(per)]) for i in range(lo, hi)]

    # 1. webhook path: one push per request, per-push transaction (first tenth of the shipments)
    n_hook = max(pushes // 10, 1)
    t = time.perf_counter()
    for carrier, nu, events in batch(0, n_hook):
        tracking_ingest(shop=shop, actor=SYSTEM, carrier=carrier, tracking_no=nu, events=events, source="bench")
    elapsed = time.perf_counter() - t
    print(f"[{vendor()}] webhook path: {n_hook * per} events in {n_hook} pushes: {elapsed:.2f}s = "
          f"{n_hook * per / elapsed:,.0f} events/s ({n_hook / elapsed:,.0f} pushes/s)")
    # 2. set-based path: all pushes in batches of 1,000
    t = time.perf_counter()
    for lo in range(0, pushes, 1000):
        tracking_ingest_many(shop=shop, actor=SYSTEM, pushes=batch(lo, min(lo + 1000, pushes)), source="bench")
    elapsed = time.perf_counter() - t
    stored = TrackingEvent.objects.filter(shop=shop).count()
    print(f"[{vendor()}] set-based path: {pushes * per} events offered ({stored} rows in total; the webhook ones "
          f"were skipped as duplicates) in {elapsed:.2f}s = {pushes * per / elapsed:,.0f} events/s")
    shop.delete()


if __name__ == "__main__":
    main()
