"""After-sale pushes of one platform — 抖店 by default, or 快手小店, 微信小店, 有赞 (`--platform`): N messages
enveloped and signed as that platform sends them, through its real push endpoint (signature check or
decryption, inbox insert by message id, task queued); the same again (duplicates); and a sample applied end to
end against the platform's local sandbox (detail read over HTTP, policy decision, case). Baseline: a bulk
insert of the same inbox rows.

    python -m bench.platform_pushes [--platform doudian|kuaishou|wechat_shop|youzan] [--size 10000]
                                    [--per-push 1] [--apply 300]

Each push is built by the project's own sandbox helpers, as the platform tests build theirs:
- 抖店 (/platforms/doudian/push/): a JSON array of {tag "200", msg_id, data}, headers app-id and event-sign
  (DoudianSandbox.signed_headers); --per-push N puts N messages in one push, as 抖店 batches them.
- 快手小店 (/platforms/kuaishou/push/): the kwaishop_aftersales_addRefund envelope (KuaishouSandbox.envelope),
  AES-CBC with the app's message secret, Base64 text body (KuaishouSandbox.encrypted).
- 微信小店 (/platforms/wechat_shop/push/): channels_ec_aftersale_update (WechatShopSandbox.message), safe mode:
  timestamp, nonce and msg_signature in the query, the message AES-encrypted in a JSON body (sealed).
- 有赞 (/platforms/youzan/push/): trade_refund_BuyerCreated (YouzanSandbox.message: msg URL-encoded, signed in
  the body), Event-Sign header over the raw body (signed); the duplicate carries the same msg_id, sendCount 2.
Every answer is checked against the platform's success answer. Only 抖店 batches messages in one push.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from urllib.parse import urlencode

from bench._notify_setup import prepare, vendor

PLATFORMS = ("doudian", "kuaishou", "wechat_shop", "youzan")
ORDER_BASE, LINE_BASE, DOUDIAN_AFTERSALE_BASE = 6_900_000_000_000_000, 6_910_000_000_000_000, 7_400_000_000_000_000


def order_no(i: int) -> str:
    return str(ORDER_BASE + i)


def line_key(i: int) -> str:
    return str(LINE_BASE + i)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


class Feed:
    """One platform's side of the bench: its sandbox, the connection to it, and its pushes."""

    platform = label = path = ""
    batches = False  # several messages in one push

    def connect(self, shop):
        raise NotImplementedError

    def post(self, client, lo: int, hi: int, *, again: bool):
        """Push messages lo..hi-1 (one push; more than one message only where the platform batches)."""
        raise NotImplementedError

    def accepted(self, response) -> bool:
        raise NotImplementedError

    def request_known(self, i: int) -> None:
        """The sandbox knows request i (read back when its message is applied)."""

    def stop(self) -> None:
        self.box.stop()


class Doudian(Feed):
    platform, label, path, batches = "doudian", "抖店", "/platforms/doudian/push/", True

    def __init__(self, size: int):
        from shouhou.platforms.sandbox.doudian import DoudianSandbox

        self.box = DoudianSandbox(shop_id="9900001").start()

    def connect(self, shop):
        from shouhou.accounts.actors import SYSTEM
        from shouhou.platforms import services

        return services.connection_connect(shop=shop, actor=SYSTEM, platform="doudian", app_key=self.box.app_key,
                                           app_secret=self.box.app_secret, platform_shop_id=self.box.shop_id,
                                           api_base=self.box.url, backfill=False)

    def message(self, i: int) -> dict:
        return {"tag": "200", "msg_id": f"bench-{i:08d}", "data": json.dumps(
            {"aftersale_id": DOUDIAN_AFTERSALE_BASE + i, "aftersale_status": 6, "aftersale_type": 1,
             "p_id": ORDER_BASE + i, "s_id": LINE_BASE + i, "shop_id": int(self.box.shop_id),
             "reason_code": 1, "refund_amount": 9900, "update_time": 1_700_000_000})}

    def post(self, client, lo: int, hi: int, *, again: bool):
        body = json.dumps([self.message(i) for i in range(lo, hi)]).encode()
        headers = {k: v for k, v in self.box.signed_headers(body).items() if k != "Content-Type"}
        return client.post(self.path, data=body, content_type="application/json", headers=headers)

    def accepted(self, response) -> bool:
        return response.status_code == 200 and response.json() == {"code": 0, "msg": "success"}

    def request_known(self, i: int) -> None:
        self.box.add_aftersale(order_id=order_no(i), sku_order_id=line_key(i),
                               aftersale_id=str(DOUDIAN_AFTERSALE_BASE + i), push=False, reason="其他",
                               refund_amount=9900)


class Kuaishou(Feed):
    platform, label, path = "kuaishou", "快手小店", "/platforms/kuaishou/push/"

    def __init__(self, size: int):
        from shouhou.platforms.sandbox.kuaishou import KuaishouSandbox

        self.box = KuaishouSandbox().start()
        # the buyer's requests exist on the platform before it pushes them (refund fee in fen)
        self.refunds = [self.box.add_refund(order_id=order_no(i), handling_way=10, refund_fee=9900, reason="其他",
                                            push=False) for i in range(size)]

    def connect(self, shop):
        from shouhou.accounts.actors import SYSTEM
        from shouhou.platforms import services

        box = self.box
        return services.connection_connect(
            shop=shop, actor=SYSTEM, platform="kuaishou", app_key=box.app_key, app_secret=box.app_secret,
            platform_shop_id=box.seller_id, code="sandbox-code", api_base=box.url, backfill=False,
            extra_secrets={"sign_secret": box.sign_secret, "msg_secret": box.msg_secret})

    def post(self, client, lo: int, hi: int, *, again: bool):
        # msgId names the message (a redelivery repeats it); the sandbox numbers its own, the bench its own
        envelope = {**self.box.envelope("kwaishop_aftersales_addRefund", self.refunds[lo]),
                    "msgId": f"bench-{lo:08d}", "eventId": f"bench-ev-{lo:08d}"}
        return client.post(self.path, data=self.box.encrypted(envelope), content_type="text/plain")

    def accepted(self, response) -> bool:
        return response.status_code == 200 and response.json() == {"result": 1}


class WechatShop(Feed):
    platform, label, path = "wechat_shop", "微信小店", "/platforms/wechat_shop/push/"

    def __init__(self, size: int):
        from shouhou.platforms.sandbox.wechat_shop import WechatShopSandbox

        self.box = WechatShopSandbox().start()  # JSON format, safe mode
        self.records = [self.box.add_aftersale(order_id=order_no(i), sku_id=line_key(i), amount=9900, reason="其他",
                                               push=False) for i in range(size)]

    def connect(self, shop):
        from shouhou.accounts.actors import SYSTEM
        from shouhou.platforms import services

        box = self.box
        return services.connection_connect(
            shop=shop, actor=SYSTEM, platform="wechat_shop", app_key=box.app_id, app_secret=box.app_secret,
            platform_shop_id=box.username, api_base=box.url, backfill=False,
            extra_secrets={"sign_secret": box.push_token, "msg_secret": box.aes_key})

    def post(self, client, lo: int, hi: int, *, again: bool):
        # no MsgId in WeChat's event pushes: the same event (same fields, fresh timestamp and nonce) is the retry
        params, body = self.box.sealed(self.box.message(self.records[lo]))
        return client.post(f"{self.path}?{urlencode(params)}", data=body, content_type="application/json")

    def accepted(self, response) -> bool:
        return response.status_code == 200 and response.content == b"success"


class Youzan(Feed):
    platform, label, path = "youzan", "有赞", "/platforms/youzan/push/"

    def __init__(self, size: int):
        from shouhou.platforms.sandbox.youzan import YouzanSandbox

        self.box = YouzanSandbox().start()
        # demand 1 仅退款, reason 17 其他, refund_fee in yuan
        self.refunds = [self.box.add_refund(tid=order_no(i), oid=line_key(i), demand=1, refund_fee="99.00", reason=17,
                                            push=False) for i in range(size)]

    def connect(self, shop):
        from shouhou.accounts.actors import SYSTEM
        from shouhou.platforms import services

        box = self.box
        return services.connection_connect(shop=shop, actor=SYSTEM, platform="youzan", app_key=box.client_id,
                                           app_secret=box.client_secret, platform_shop_id=box.kdt_id,
                                           api_base=box.url, backfill=False)

    def post(self, client, lo: int, hi: int, *, again: bool):
        # a redelivery repeats msg_id with a higher sendCount (the sandbox draws a fresh uuid: the bench fixes it)
        body = {**self.box.message("trade_refund_BuyerCreated", self.refunds[lo]), "msg_id": f"bench-{lo:08d}",
                "sendCount": 2 if again else 1}
        raw, headers = self.box.signed(body)
        return client.post(self.path, data=raw, content_type="application/json",
                           headers={k: v for k, v in headers.items() if k != "Content-Type"})

    def accepted(self, response) -> bool:
        return response.status_code == 200 and response.json() == {"code": 0, "msg": "success"}


FEEDS = {feed.platform: feed for feed in (Doudian, Kuaishou, WechatShop, Youzan)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--platform", choices=PLATFORMS, default="doudian")
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--per-push", type=int, default=1, help="messages per push (抖店 only: it batches them)")
    ap.add_argument("--apply", type=int, default=300, help="messages applied end to end through the sandbox")
    args = ap.parse_args()
    per = max(1, args.per_push)
    if per > 1 and not FEEDS[args.platform].batches:
        ap.error(f"--per-push: only 抖店 puts several messages in one push, {args.platform} sends one each")
    print(f"load average at start: {load()}")
    prepare()
    from django.conf import settings
    from django.test import Client

    from shouhou.cases.models import Case
    from shouhou.commerce.models import Order, OrderLine, Shop
    from shouhou.platforms import services
    from shouhou.platforms.models import PlatformAftersale, PlatformEvent

    settings.ALLOWED_HOSTS = ["*"]
    for old in Shop.objects.filter(code="bench-platforms"):  # a previous run's: its cases hold its orders (PROTECT)
        Case.objects.filter(shop=old).delete()
        old.delete()
    PlatformEvent.objects.filter(platform=args.platform, message_id__startswith="bench-").delete()
    shop = Shop.objects.create(name="压测平台店铺", code="bench-platforms")
    feed = FEEDS[args.platform](args.size)
    # the local sandbox is an API address this operator's run admits (platforms.services.api_base_checked)
    settings.SHOUHOU = {**settings.SHOUHOU,
                        "PLATFORM_API_BASES": [*settings.SHOUHOU.get("PLATFORM_API_BASES", []), feed.box.url]}
    conn = feed.connect(shop)
    tag = f"[{vendor()} {args.platform}]"
    print(f"{tag} {feed.label}: pushes to {feed.path}")
    client = Client()

    def send(lo: int, hi: int, *, again: bool = False) -> float:
        t = time.perf_counter()
        for start in range(lo, hi, per):
            response = feed.post(client, start, min(start + per, hi), again=again)
            assert feed.accepted(response), (response.status_code, response.content)
        return time.perf_counter() - t

    def inbox() -> int:
        return PlatformEvent.objects.filter(connection=conn).count()

    # tasks go to the real queue (django-q ORM broker) as in production: nothing is applied inline
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    elapsed = send(0, args.size)
    pushes = -(-args.size // per)
    print(f"{tag} intake: {args.size:,} messages in {pushes:,} pushes of {per}: {elapsed:.1f}s = "
          f"{args.size / elapsed:,.0f} messages/s ({inbox():,} inbox rows)")
    elapsed = send(0, args.size, again=True)
    print(f"{tag} the same pushes again (duplicates): {elapsed:.1f}s = {args.size / elapsed:,.0f} messages/s; "
          f"inbox rows still {inbox():,}")
    # baseline: the rows the pushes stored, bulk-inserted again: no HTTP, no signature, no queue
    fields = ("platform", "message_id", "connection_id", "tag", "aftersale_id", "order_id", "payload", "status")
    rows = list(PlatformEvent.objects.filter(connection=conn).order_by("pk").values(*fields))
    PlatformEvent.objects.filter(connection=conn).delete()
    t = time.perf_counter()
    PlatformEvent.objects.bulk_create([PlatformEvent(**row) for row in rows], batch_size=2000)
    base = time.perf_counter() - t
    print(f"{tag} baseline bulk insert of the same {len(rows):,} inbox rows: {base:.2f}s = "
          f"{len(rows) / base:,.0f} rows/s")

    # end to end: orders exist, the sandbox knows the requests, each event is applied (detail over HTTP + case)
    n = min(args.apply, args.size)
    for i in range(n):
        order = Order.objects.create(shop=shop, order_no=order_no(i), status="delivered")
        OrderLine.objects.create(shop=shop, order=order, line_key=line_key(i), product_name="压测商品", price_paid=99)
        feed.request_known(i)
    ids = list(PlatformEvent.objects.filter(connection=conn).order_by("pk").values_list("pk", flat=True)[:n])
    t = time.perf_counter()
    for pk in ids:
        services.event_apply(pk)
    elapsed = time.perf_counter() - t
    made = PlatformAftersale.objects.filter(connection=conn, case__isnull=False).count()
    print(f"{tag} applied end to end: {n} messages in {elapsed:.1f}s = {n / elapsed:,.1f} messages/s "
          f"({made} cases opened through the policy)")
    feed.stop()
    print(f"load average at end: {load()}")


if __name__ == "__main__":
    main()
