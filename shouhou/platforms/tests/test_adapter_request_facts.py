"""What the adapters read from a platform request (QA rounds wxc_youzan and douyin_ks,
2026-12-08): the buyer's application time (抖店 apply_time, 快手 submitTime / createTime), 快手's published status 12,
a whole-order 抖店 request (店铺单) naming several lines, 抖店 types 4 / 5, 有赞's TRADE_ORDER_REFUND and
TRADE_ORDER_STATE pushes, and both keys of 微信小店's rejectreason/get (whose shop a push is: test_push_shop_scope.py).
Pushes go through the real push URLs (test client), the platforms are the sandboxes on a local port."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from shouhou.platforms.adapters.doudian import DoudianAdapter, push_sign
from shouhou.platforms.adapters.kuaishou import KuaishouAdapter
from shouhou.platforms.sandbox.kuaishou import KuaishouSandbox
from shouhou.platforms.tests.conftest import ORDER_ID

pytestmark = pytest.mark.django_db(transaction=True)
SH = dt.timezone(dt.timedelta(hours=8))
SIGNED = dt.datetime(2026, 11, 4, 15, 0, tzinfo=SH)  # the factory order's sign-off
DAY5 = dt.datetime(2026, 11, 9, 12, 0, tzinfo=SH)


def _doudian_push(client, conn, secret: str, messages: list[dict]):
    body = json.dumps(messages, ensure_ascii=False).encode()
    return client.post("/platforms/doudian/push/", data=body, content_type="application/json",
                       headers={"app-id": conn.app_key, "event-sign": push_sign(conn.app_key, secret, body)})


def _doudian_adapter(sandbox) -> DoudianAdapter:
    return DoudianAdapter(app_key=sandbox.app_key, app_secret=sandbox.app_secret, api_base=sandbox.url)


class KsBox(KuaishouSandbox):
    """The 快手 sandbox with a refund's detail overlaid (`overlay[refund_id]`)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.overlay: dict[str, dict] = {}

    def _row(self, r) -> dict:
        return {**super()._row(r), **self.overlay.get(r.refund_id, {})}


@pytest.fixture
def ks_box():
    box = KsBox().start()
    yield box
    box.stop()


def _ks_adapter(box) -> KuaishouAdapter:
    return KuaishouAdapter(app_key=box.app_key, app_secret=box.app_secret, sign_secret=box.sign_secret,
                           api_base=box.url)


# --- 快手 status 12 -------------------------------------------------------------------------------------------------

def test_kuaishou_status_12_is_the_published_seller_refused_state(ks_box):
    """open.seller.order.refund.pcursor.list's status enum (ks_shop_api schema; a public Go SDK's AfterSalesStatus12):
    [12 卖家已拒绝，等待买家处理]. Until 2026-12-08 it was "未知状态 12" and the refused request stayed open."""
    r = ks_box.add_refund(order_id=ORDER_ID, handling_way=10, refund_fee=100, push=False)
    ks_box.overlay[r.refund_id] = {"status": 12}
    got = _ks_adapter(ks_box).fetch_aftersale(ks_box.access_token, r.refund_id)
    assert (got.platform_status, got.case_status, got.status_text) == ("12", "rejected", "卖家已拒绝，等待买家处理")
