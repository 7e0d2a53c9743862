"""notify_orders_placed writes an import's messages in one INSERT … SELECT: each message must be what
notification_enqueue would have written for the same order (channel, recipient, text, context, quiet hours,
opt-out, cap, idempotency)."""
import datetime as dt

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shouhou.core.testing.factories import CustomerFactory, OrderFactory
from shouhou.notifications.models import MessageTemplate, OutboundMessage
from shouhou.notifications.services import notification_enqueue, notify_orders_placed

SH = dt.timezone(dt.timedelta(hours=8))
DAY = dt.datetime(2026, 11, 20, 14, 0, tzinfo=SH)
NIGHT = dt.datetime(2026, 11, 20, 23, 30, tzinfo=SH)
S = OutboundMessage.Status
PAID = DAY - dt.timedelta(hours=31)  # the orders' payment: within 48 h of every moment below (recent orders)
FIELDS = ("channel", "recipient", "body", "status", "suppressed_reason", "send_after", "customer_id", "trigger")


def _orders(shop):
    sms = CustomerFactory(shop=shop, name="王小明", phone="13812345678")
    wechat = CustomerFactory(shop=shop, name="", phone="", wechat_id="wx_li", email="li@example.com")
    mail = CustomerFactory(shop=shop, name="赵六", phone="", email="zhao@example.com")
    app = CustomerFactory(shop=shop, name="钱七", phone="")
    return [OrderFactory(shop=shop, customer=c, paid_at=PAID) for c in (sms, wechat, mail, app)] + [
        OrderFactory(shop=shop, customer=None, paid_at=PAID)]


def _one_by_one(shop, orders):
    return [notification_enqueue(shop=shop, customer=o.customer, trigger="order_placed",
                                 context={"order_no": o.order_no}, idempotency_key=f"order:{o.pk}:placed") for o in orders]


def test_the_set_based_messages_equal_notification_enqueues_at_night(shop, other_shop):
    shop.service_phone = "400-800-1234"
    shop.save()
    MessageTemplate.objects.create(shop=shop, trigger="order_placed", channel="wechat_subscribe",
                                   body="{{customer_name}}，订单{{order_no}}已收到 {{service_contact}}",
                                   provider_template_code="TPL-77")
    orders = _orders(shop)
    with time_machine.travel(NIGHT, tick=False):
        expected = {m.idempotency_key: m for m in _one_by_one(shop, orders)}
        OutboundMessage.objects.all().delete()
        with CaptureQueriesContext(connection) as ctx:
            assert notify_orders_placed(shop=shop, order_ids=[o.pk for o in orders]) == 5
    assert len(ctx.captured_queries) <= 6  # channels, templates, the INSERT (+ savepoint, SQLite changes())
    got = {m.idempotency_key: m for m in OutboundMessage.objects.all()}
    assert got.keys() == expected.keys()
    for key, want in expected.items():
        assert [getattr(got[key], f) for f in FIELDS] == [getattr(want, f) for f in FIELDS], key
        assert got[key].context == want.context, key
    by_channel = {m.channel: m for m in got.values()}
    assert set(by_channel) == {"sms", "wechat_subscribe", "email", "in_app"}
    assert by_channel["wechat_subscribe"].body.startswith("亲，订单") and \
        by_channel["wechat_subscribe"].context["_template_code"] == "TPL-77"
    assert by_channel["sms"].send_after == dt.datetime(2026, 11, 21, 8, 0, tzinfo=SH)  # quiet hours end
    assert "400-800-1234" in by_channel["sms"].body


def test_the_cap_counts_the_last_24_hours_and_this_batch_in_order_id_order(shop):
    fan = CustomerFactory(shop=shop, phone="13900001111")
    gone = CustomerFactory(shop=shop, phone="13900002222", opted_out_at=DAY - dt.timedelta(days=3))
    earlier = OrderFactory(shop=shop, customer=fan, paid_at=PAID)
    with time_machine.travel(DAY - dt.timedelta(hours=30), tick=False):  # outside the 24 h window
        notify_orders_placed(shop=shop, order_ids=[OrderFactory(shop=shop, customer=fan, paid_at=PAID).pk])
    with time_machine.travel(DAY - dt.timedelta(hours=2), tick=False):  # inside: one of today's three
        notify_orders_placed(shop=shop, order_ids=[earlier.pk])
    new = [OrderFactory(shop=shop, customer=fan, paid_at=PAID) for _ in range(4)]
    quits = OrderFactory(shop=shop, customer=gone, paid_at=PAID)
    with time_machine.travel(DAY, tick=False):
        assert notify_orders_placed(shop=shop, order_ids=[o.pk for o in new] + [quits.pk]) == 5
        assert notify_orders_placed(shop=shop, order_ids=[o.pk for o in new] + [quits.pk]) == 0  # a re-import
    status = {o.pk: OutboundMessage.objects.get(idempotency_key=f"order:{o.pk}:placed") for o in [*new, quits]}
    assert [(status[o.pk].status, status[o.pk].suppressed_reason) for o in new] == \
        [(S.QUEUED, "")] * 2 + [(S.SUPPRESSED, "frequency_cap")] * 2
    assert (status[quits.pk].status, status[quits.pk].suppressed_reason) == (S.SUPPRESSED, "opted_out")
    assert status[quits.pk].send_after is None and status[new[0].pk].send_after is None  # 14:00, not quiet
    assert OutboundMessage.objects.count() == 2 + 5
