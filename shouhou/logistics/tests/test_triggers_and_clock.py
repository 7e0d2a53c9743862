"""The carrier's first scan sends the "shipped" message once; sign-off starts the policy's 7-day clock;
the carrier-exception rule; malformed pushes answer 400, never 500."""

import datetime as dt
import json
import re
import time

import pytest
import time_machine

from shouhou.accounts.actors import SYSTEM
from shouhou.cases.services import case_preview
from shouhou.commerce.choices import Category
from shouhou.commerce.choices import ShipmentStatus as St
from shouhou.core.signatures import sign
from shouhou.core.testing.factories import CustomerFactory, OrderFactory, OrderLineFactory, ShipmentFactory
from shouhou.inbox.models import Ticket
from shouhou.logistics.models import ExceptionRuleSet, LogisticsException, TrackingEvent
from shouhou.logistics.pushes import kuaidi100_sign
from shouhou.logistics.services import Event, exception_sweep, tracking_ingest, tracking_ingest_many
from shouhou.notifications.models import OutboundMessage
from shouhou.policies.document import default_source
from shouhou.policies.services import policy_publish

SH = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 11, 20, 10, 0, tzinfo=SH)


@pytest.fixture
def secret_shop(shop):
    shop.settings = {"kuaidi100_salt": "salt-abc", "tracking_secret": "track-secret"}
    shop.save()
    return shop


def _pending(shop, **kw):
    order = OrderFactory(shop=shop, delivered_at=None, shipped_at=None, status="paid")
    return ShipmentFactory(order=order, status=St.PENDING, shipped_at=None, signed_at=None, last_event_at=None,
                           promised_ship_by=T0 + dt.timedelta(hours=48), **kw)


def test_first_pickup_scan_sends_shipped_message_once(shop):
    s = _pending(shop, carrier="ZTO", tracking_no="ZT7001")
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        tracking_ingest(shop=shop, actor=SYSTEM, carrier="ZTO", tracking_no="ZT7001",
                        events=[Event(T0, St.INFO_RECEIVED, "商家已下单")], source="kuaidi100")
        assert OutboundMessage.objects.count() == 0  # an electronic waybill is not a shipment yet
        tracking_ingest(shop=shop, actor=SYSTEM, carrier="ZTO", tracking_no="ZT7001",
                        events=[Event(T0 + dt.timedelta(minutes=30), St.PICKED_UP, "【杭州】已揽收")],
                        source="kuaidi100")
        tracking_ingest(shop=shop, actor=SYSTEM, carrier="ZTO", tracking_no="ZT7001",
                        events=[Event(T0 + dt.timedelta(minutes=50), St.IN_TRANSIT, "离开【杭州中心】")],
                        source="kuaidi100")
    msg = OutboundMessage.objects.get()
    assert (msg.trigger, msg.customer_id, msg.idempotency_key) == ("order_shipped", s.order.customer_id,
                                                                   f"shipment:{s.pk}:shipped")
    assert "中通快递" in msg.body and "ZT7001" in msg.body and "签收时请当面验货" in msg.body


def test_bulk_ingest_sends_shipped_once_and_not_for_returns_or_first_news_signed(shop):
    a = _pending(shop, carrier="YTO", tracking_no="YT1")
    _pending(shop, carrier="YTO", tracking_no="YT2", is_return=True)
    _pending(shop, carrier="YTO", tracking_no="YT3")
    pushes = [("YTO", "YT1", [Event(T0, St.PICKED_UP, "已揽收")]),
              ("YTO", "YT2", [Event(T0, St.PICKED_UP, "退货已揽收")]),
              ("YTO", "YT3", [Event(T0, St.SIGNED, "已签收")])]
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        tracking_ingest_many(shop=shop, actor=SYSTEM, pushes=pushes, source="batch")
        tracking_ingest_many(shop=shop, actor=SYSTEM, pushes=pushes, source="batch")
    assert list(OutboundMessage.objects.values_list("idempotency_key", flat=True)) == [f"shipment:{a.pk}:shipped"]


def test_sign_off_time_starts_the_policy_seven_day_clock(client, secret_shop):
    """Signed at 2026-11-20 15:00 → the no-reason return runs to 11-27 (day 7) and is refused on day 8."""
    order = OrderFactory(shop=secret_shop, delivered_at=None, status="shipped")
    line = OrderLineFactory(order=order, category=Category.CLOTHING, price_paid="199.00")
    ShipmentFactory(order=order, carrier="SF", tracking_no="SF900", status=St.OUT_FOR_DELIVERY, signed_at=None,
                    last_event_at=T0)
    signed = dt.datetime(2026, 11, 20, 15, 0, tzinfo=SH)
    param = json.dumps({"status": "polling", "lastResult": {"state": "3", "ischeck": "1", "com": "shunfeng",
                        "nu": "SF900", "data": [{"context": "已签收，签收人：本人", "time": "2026-11-20 15:00:00",
                                                 "ftime": "2026-11-20 15:00:00", "statusCode": "301"}]}},
                       ensure_ascii=False)
    with time_machine.travel(signed + dt.timedelta(minutes=1), tick=False):
        r = client.post("/logistics/push/kuaidi100/xiaolu/", {"param": param, "sign": kuaidi100_sign(param, "salt-abc")})
        assert r.status_code == 200
    line.order.refresh_from_db()
    assert line.order.delivered_at == signed
    with time_machine.travel(dt.datetime(2026, 11, 27, 20, 0, tzinfo=SH), tick=False):
        day7 = case_preview(shop=secret_shop, order_line=line, reason="no_reason")
    with time_machine.travel(dt.datetime(2026, 11, 28, 9, 0, tzinfo=SH), tick=False):
        day8 = case_preview(shop=secret_shop, order_line=line, reason="no_reason")
    assert day7.deadlines["no_reason_until"] == "2026-11-27" and day7.day == 7
    assert "return_refund" in day7.allowed
    assert day8.day == 8 and "return_refund" not in day8.allowed


def test_carrier_exception_rule_opens_and_recovery_closes(shop):
    order = OrderFactory(shop=shop, delivered_at=None, status="shipped")
    s = ShipmentFactory(order=order, status=St.EXCEPTION, shipped_at=T0, last_event_at=T0, signed_at=None)
    with time_machine.travel(T0 + dt.timedelta(minutes=5), tick=False):
        assert exception_sweep(shop=shop)["opened"] == 1
    exc = LogisticsException.objects.get(shipment=s)
    assert exc.kind == "carrier_exception"
    assert OutboundMessage.objects.get().trigger == "logistics_exception"
    with time_machine.travel(T0 + dt.timedelta(hours=2), tick=False):
        tracking_ingest(shop=shop, actor=SYSTEM, carrier="SF", tracking_no=s.tracking_no,
                        events=[Event(T0 + dt.timedelta(hours=2), St.IN_TRANSIT, "问题已处理，继续转运")],
                        source="kuaidi100")
    exc.refresh_from_db()
    assert exc.status == "resolved"
    assert Ticket.objects.get().status == "resolved"


def _late_for(shop, tier: str):
    """A shipment past its promised dispatch time for a customer of `tier`; returns the message."""
    customer = CustomerFactory(shop=shop, tier=tier)
    order = OrderFactory(shop=shop, customer=customer, delivered_at=None, shipped_at=None, status="paid")
    ShipmentFactory(order=order, status=St.PENDING, shipped_at=None, signed_at=None, last_event_at=None,
                    promised_ship_by=T0 + dt.timedelta(hours=48))
    with time_machine.travel(T0 + dt.timedelta(hours=49), tick=False):
        exception_sweep(shop=shop)
    return OutboundMessage.objects.get(trigger="dispatch_late", customer=customer)


def _without_late_shipment_steps(source: str) -> str:
    return re.sub(r'\[\[compensation\.ladder\]\]\nreason = "late_shipment"\n(?:[a-z]+ = .*\n)+\n?', "", source)


def test_dispatch_late_message_without_a_policy_uses_the_shops_reason_and_remedy(shop):
    # given a shop with its own late-dispatch texts and no published policy
    ExceptionRuleSet.objects.create(shop=shop, dispatch_late_reason="面料补货延误两天",
                                    dispatch_late_remedy="10元无门槛券")
    # when a regular and a VIP customer's orders are not dispatched in time
    regular, vip = _late_for(shop, "regular"), _late_for(shop, "vip")
    # then both hear the shop's reason and the rule set's remedy, and no policy clause is recorded
    for msg in (regular, vip):
        assert "原因：面料补货延误两天" in msg.body and "补偿：10元无门槛券。" in msg.body
        assert msg.context["_remedy_clause"] == ""
    assert "按本店售后政策" not in regular.body + vip.body


def test_dispatch_late_remedy_follows_the_policy_ladder_by_tier(shop):
    # given the shop published the default policy (late shipment: a 5 yuan coupon, VIPs a 10 yuan red packet)
    ExceptionRuleSet.objects.create(shop=shop, dispatch_late_reason="面料补货延误两天",
                                    dispatch_late_remedy="10元无门槛券")
    policy_publish(actor=SYSTEM, shop=shop, source=default_source())
    # when orders of a regular, a gold and a VIP customer are dispatched late
    regular, gold, vip = _late_for(shop, "regular"), _late_for(shop, "gold"), _late_for(shop, "vip")
    # then each is offered its own step of the ladder, cited as the shop's policy
    assert "补偿：5元优惠券（按本店售后政策，发货延迟补偿）。" in regular.body
    assert "补偿：5元优惠券（按本店售后政策，发货延迟补偿）。" in gold.body  # no gold step: the "*" one
    assert "补偿：10元红包（按本店售后政策，VIP会员的发货延迟补偿）。" in vip.body
    assert [m.context["_remedy_clause"] for m in (regular, gold, vip)] == [
        "compensation.late_shipment.*", "compensation.late_shipment.*", "compensation.late_shipment.vip"]
    assert all("原因：面料补货延误两天" in m.body and "10元无门槛券" not in m.body for m in (regular, gold, vip))
    # and the bodies pass the compliance guard (a red packet as an apology is not a review bribe)
    assert all(m.status == "queued" for m in (regular, gold, vip))


def test_dispatch_late_falls_back_when_the_policy_has_no_late_shipment_step(shop):
    # given a published policy whose ladder has no late-shipment step
    source = _without_late_shipment_steps(default_source())
    assert "late_shipment" not in source and 'reason = "quality"' in source
    ExceptionRuleSet.objects.create(shop=shop, dispatch_late_remedy="顺丰加急补发")
    policy_publish(actor=SYSTEM, shop=shop, source=source)
    # when a VIP's order is late, then the rule set's remedy is used
    msg = _late_for(shop, "vip")
    assert "补偿：顺丰加急补发。" in msg.body and msg.context["_remedy_clause"] == ""


def test_dispatch_late_remedy_is_the_shops_default_text_without_a_rule_set(shop):
    msg = _late_for(shop, "vip")
    assert "补偿：5元无门槛优惠券。" in msg.body  # ExceptionRuleSet's default, no policy published


def _generic(client, body: bytes):
    ts = str(int(time.time()))
    return client.post("/logistics/push/generic/xiaolu/", body, content_type="application/json",
                       HTTP_X_SHOUHOU_TIMESTAMP=ts, HTTP_X_SHOUHOU_SIGNATURE=sign("track-secret", ts, body))


@pytest.mark.parametrize("doc", [
    {"carrier": "SF", "tracking_no": "SF1", "events": "已签收"},
    {"carrier": "SF", "tracking_no": "SF1", "events": None},
    {"carrier": "SF", "tracking_no": "SF1", "events": [["2026-11-20", "signed"]]},
    {"carrier": "SF", "tracking_no": "SF1", "events": [{"time": 20261120, "status": "signed"}]},
    {"carrier": "SF", "tracking_no": ["SF1"], "events": []},
    {"carrier": "SF", "tracking_no": "SF1", "events": [{"time": "0323-08-15T19:41:48Z", "status": "signed"}]},
    ["not", "an", "object"],
])
def test_malformed_generic_push_is_400_with_a_reason(client, secret_shop, doc):
    _pending(secret_shop, tracking_no="SF1")
    r = _generic(client, json.dumps(doc).encode())
    assert r.status_code == 400 and r.json()["detail"]
    assert TrackingEvent.objects.count() == 0


@pytest.mark.parametrize("param", [
    "不是JSON", json.dumps({"lastResult": {"com": "shunfeng", "nu": "SF1", "data": ["已签收"]}}),
    json.dumps({"lastResult": {"com": "shunfeng", "nu": "SF1", "data": [{"context": "x", "time": "昨天"}]}}),
    json.dumps({"lastResult": {"com": "shunfeng", "nu": "SF1", "data": "x"}}),
    json.dumps({"lastResult": "x"}),
])
def test_malformed_kuaidi100_push_is_400(client, secret_shop, param):
    _pending(secret_shop, tracking_no="SF1")
    r = client.post("/logistics/push/kuaidi100/xiaolu/", {"param": param, "sign": kuaidi100_sign(param, "salt-abc")})
    assert r.status_code == 400 and r.json()["result"] is False
    assert TrackingEvent.objects.count() == 0


def test_replayed_generic_push_changes_nothing_and_says_so(client, secret_shop):
    _pending(secret_shop, tracking_no="SF1")
    body = json.dumps({"carrier": "SF", "tracking_no": "SF1", "events": [
        {"time": "2026-11-20T11:00:00+08:00", "status": "picked_up", "description": "已揽收"}]}).encode()
    ts = str(int(time.time()))
    headers = {"HTTP_X_SHOUHOU_TIMESTAMP": ts, "HTTP_X_SHOUHOU_SIGNATURE": sign("track-secret", ts, body)}
    first = client.post("/logistics/push/generic/xiaolu/", body, content_type="application/json", **headers)
    replay = client.post("/logistics/push/generic/xiaolu/", body, content_type="application/json", **headers)
    assert first.json() == {"stored": 1, "received": 1}
    assert replay.status_code == 200 and replay.json() == {"stored": 1, "received": 1, "duplicate": True}
    assert TrackingEvent.objects.count() == 1
    assert OutboundMessage.objects.filter(trigger="order_shipped").count() == 1


def test_nul_characters_in_carrier_text_are_dropped(client, secret_shop):
    _pending(secret_shop, tracking_no="SF1")
    body = json.dumps({"carrier": "SF", "tracking_no": "SF1", "events": [
        {"time": "2026-11-20T11:00:00+08:00", "status": "picked_up", "description": "已揽\u0000收",
         "location": "杭\u0000州"}]}).encode()
    assert _generic(client, body).status_code == 200
    event = TrackingEvent.objects.get()
    assert (event.description, event.location) == ("已揽收", "杭州")


def test_a_cancelled_order_is_never_late_to_ship(shop, tmp_path, django_capture_on_commit_callbacks):
    """A buyer refunded before dispatch (未发货仅退款: the export says 已退款) must not be told the parcel is late, nor
    an agent be given a ticket for it; an order cancelled after its late-dispatch exception opened closes it."""
    from shouhou.commerce.models import Shipment
    from shouhou.commerce.services import orders_import
    from shouhou.commerce.tests.exports import HEADERS, write_csv

    row = dict.fromkeys(HEADERS, "")
    row.update({"订单号": "DY-REFUNDED-1", "商品名称": "加绒卫衣女", "数量": "1", "实付金额": "129.00",
                "下单时间": "2026-11-20 10:00:00", "支付时间": "2026-11-20 10:01:00", "承诺发货时间": "2026-11-22 10:01:00",
                "收货人": "张三", "手机号": "13812345678"})
    headers = [*HEADERS, "订单状态"]
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "o.csv", [[*row.values(), "已退款"]],
                                                                   headers))
    assert job.status == "done", job.errors
    shipment = Shipment.objects.get(order__order_no="DY-REFUNDED-1")
    assert (shipment.order.status, shipment.status) == ("cancelled", St.PENDING)
    with time_machine.travel(T0 + dt.timedelta(days=5), tick=False):
        assert exception_sweep(shop=shop)["opened"] == 0
    assert not LogisticsException.objects.exists()
    assert not OutboundMessage.objects.filter(trigger="dispatch_late").exists()
    assert not Ticket.objects.exists()
    # an order that was late, then cancelled (the platform refunded it): its exception and ticket are closed
    late = _pending(shop)
    with time_machine.travel(T0 + dt.timedelta(hours=49), tick=False):
        assert exception_sweep(shop=shop)["opened"] == 1
    assert LogisticsException.objects.get(shipment=late).status == "open"
    late.order.status = "cancelled"
    late.order.save()
    with time_machine.travel(T0 + dt.timedelta(hours=50), tick=False):
        assert exception_sweep(shop=shop)["resolved"] == 1
    assert LogisticsException.objects.get(shipment=late).status == "resolved"
    # a cancelled order's parcel intercepted and sent back (拦截退回) is what was asked: no "returned" exception
    back = ShipmentFactory(order=OrderFactory(shop=shop, status="cancelled", delivered_at=None), status=St.RETURNED,
                           carrier="ZTO", tracking_no="ZT7999", signed_at=None)
    kept = ShipmentFactory(order=OrderFactory(shop=shop, status="shipped", delivered_at=None), status=St.RETURNED,
                           carrier="ZTO", tracking_no="ZT7998", signed_at=None)
    with time_machine.travel(T0 + dt.timedelta(hours=51), tick=False):
        exception_sweep(shop=shop)
    assert not LogisticsException.objects.filter(shipment=back).exists()
    assert LogisticsException.objects.get(shipment=kept).kind == "returned"  # a live order's parcel sent back
