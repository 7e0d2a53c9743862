"""抖店 after-sale pushes: N signed messages through the push endpoint (signature check, inbox insert by
message id, task queued), the same again (duplicates), and a sample applied end to end against the local
sandbox (detail read over HTTP, policy decision, case). Baseline: a bulk insert of the same inbox rows.

    python -m bench.platform_pushes [--size 10000] [--per-push 1] [--apply 300]
"""

from __future__ import annotations

import argparse
import json
import time

from bench._notify_setup import prepare, vendor


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--per-push", type=int, default=1, help="messages per push (抖店 batches them)")
    ap.add_argument("--apply", type=int, default=300, help="messages applied end to end through the sandbox")
    args = ap.parse_args()
    prepare()
    from django.conf import settings
    from django.test import Client

    from shouhou.commerce.models import Order, OrderLine, Shop
    from shouhou.platforms import services
    from shouhou.platforms.crypto import seal
    from shouhou.platforms.models import PlatformAftersale, PlatformConnection, PlatformEvent
    from shouhou.platforms.sandbox.doudian import DoudianSandbox

    settings.ALLOWED_HOSTS = ["*"]
    Shop.objects.filter(code="bench-platforms").delete()
    PlatformEvent.objects.filter(platform="doudian", message_id__startswith="bench-").delete()
    shop = Shop.objects.create(name="压测平台店铺", code="bench-platforms")
    box = DoudianSandbox(shop_id="9900001").start()
    conn = PlatformConnection.objects.create(
        shop=shop, platform="doudian", platform_shop_id=box.shop_id, app_key=box.app_key, api_base=box.url,
        secrets=seal({"app_secret": box.app_secret, "access_token": box.access_token,
                      "refresh_token": box.refresh_token}))
    services.token_refresh(conn)
    conn.refresh_from_db()

    def message(i: int) -> dict:
        return {"tag": "200", "msg_id": f"bench-{i:08d}", "data": json.dumps(
            {"aftersale_id": 7_400_000_000_000_000 + i, "aftersale_status": 6, "aftersale_type": 1,
             "p_id": 6_900_000_000_000_000 + i, "s_id": 6_910_000_000_000_000 + i, "shop_id": int(box.shop_id),
             "reason_code": 1, "refund_amount": 9900, "update_time": 1_700_000_000})}

    client = Client()
    per = max(1, args.per_push)

    def send(lo: int, hi: int) -> float:
        t = time.perf_counter()
        for start in range(lo, hi, per):
            body = json.dumps([message(i) for i in range(start, min(start + per, hi))]).encode()
            headers = {k: v for k, v in box.signed_headers(body).items() if k != "Content-Type"}
            response = client.post("/platforms/doudian/push/", data=body, content_type="application/json",
                                   headers=headers)
            assert response.status_code == 200, response.content
        return time.perf_counter() - t

    # tasks go to the real queue (django-q ORM broker) as in production: nothing is applied inline
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    elapsed = send(0, args.size)
    stored = PlatformEvent.objects.filter(message_id__startswith="bench-").count()
    print(f"[{vendor()}] intake: {args.size:,} messages in {args.size // per:,} pushes of {per}: {elapsed:.1f}s = "
          f"{args.size / elapsed:,.0f} messages/s ({stored:,} inbox rows)")
    elapsed = send(0, args.size)
    print(f"[{vendor()}] the same pushes again (duplicates): {elapsed:.1f}s = {args.size / elapsed:,.0f} messages/s; "
          f"inbox rows still {PlatformEvent.objects.filter(message_id__startswith='bench-').count():,}")
    # baseline: the same rows bulk-inserted, no HTTP, no signature, no queue
    PlatformEvent.objects.filter(message_id__startswith="bench-").delete()
    t = time.perf_counter()
    PlatformEvent.objects.bulk_create([PlatformEvent(platform="doudian", message_id=f"bench-{i:08d}", connection=conn,
                                                     tag="200", aftersale_id=str(7_400_000_000_000_000 + i),
                                                     payload={}) for i in range(args.size)], batch_size=2000)
    base = time.perf_counter() - t
    print(f"[{vendor()}] baseline bulk insert of the same {args.size:,} inbox rows: {base:.2f}s = "
          f"{args.size / base:,.0f} rows/s")

    # end to end: orders exist, the sandbox knows the requests, each event is applied (detail over HTTP + case)
    n = min(args.apply, args.size)
    for i in range(n):
        order = Order.objects.create(shop=shop, order_no=str(6_900_000_000_000_000 + i), status="delivered")
        OrderLine.objects.create(shop=shop, order=order, line_key=str(6_910_000_000_000_000 + i),
                                 product_name="压测商品", price_paid=99)
        box.add_aftersale(order_id=str(6_900_000_000_000_000 + i), sku_order_id=str(6_910_000_000_000_000 + i),
                          aftersale_id=str(7_400_000_000_000_000 + i), push=False, reason="其他", refund_amount=9900)
    ids = list(PlatformEvent.objects.filter(message_id__startswith="bench-").order_by("pk")
               .values_list("pk", flat=True)[:n])
    t = time.perf_counter()
    for pk in ids:
        services.event_apply(pk)
    elapsed = time.perf_counter() - t
    made = PlatformAftersale.objects.filter(connection=conn, case__isnull=False).count()
    print(f"[{vendor()}] applied end to end: {n} messages in {elapsed:.1f}s = {n / elapsed:,.1f} messages/s "
          f"({made} cases opened through the policy)")
    box.stop()


if __name__ == "__main__":
    main()
