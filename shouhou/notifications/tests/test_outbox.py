"""Enqueue, quiet hours, caps, opt-out, retries, receipts, timeline, bulk."""

import datetime as dt
import json
import time

import pytest
import time_machine
from django.db import transaction

from shouhou.accounts.actors import SYSTEM
from shouhou.core.signatures import sign
from shouhou.core.testing.factories import CustomerFactory, OrderFactory, ShipmentFactory
from shouhou.notifications import providers
from shouhou.notifications.choices import Trigger
from shouhou.notifications.models import DeliveryReceipt, OutboundMessage
from shouhou.notifications.providers.base import PermanentError, Provider, RetryableError, SendResult
from shouhou.notifications.services import (
    message_send,
    notification_enqueue,
    notify_orders_placed,
    notify_orders_shipped,
    outbox_dispatch,
    template_save,
)
from shouhou.notifications.templates_text import VARIABLES

SH = dt.timezone(dt.timedelta(hours=8))
DAY = dt.datetime(2026, 11, 20, 14, 0, tzinfo=SH)
NIGHT = dt.datetime(2026, 11, 20, 23, 30, tzinfo=SH)
S = OutboundMessage.Status


@pytest.fixture
def customer(shop):
    return CustomerFactory(shop=shop, name="王小明", phone="13812345678")


def _enqueue(shop, customer, trigger="order_placed", key="k1", **ctx):
    return notification_enqueue(shop=shop, customer=customer, trigger=trigger,
                                context=ctx or {"order_no": "OD1"}, idempotency_key=key)


@pytest.mark.parametrize("trigger", list(Trigger.values))
def test_each_trigger_enqueues_and_sends(shop, customer, trigger, django_capture_on_commit_callbacks):
    ctx = {v: f"值{v}" for v in VARIABLES[trigger] if v not in ("shop_name", "customer_name", "service_contact")}
    with time_machine.travel(DAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        msg = notification_enqueue(shop=shop, customer=customer, trigger=trigger, context=ctx,
                                   idempotency_key=f"t:{trigger}")
    msg.refresh_from_db()
    assert msg.status == S.SENT
    assert msg.channel == "sms" and msg.recipient == "13812345678"
    assert msg.provider == "local" and msg.provider_message_id == f"local-{msg.pk}"
    for value in ctx.values():
        assert value in msg.body
    assert msg.body.startswith(f"【{shop.name}】")


def test_order_placed_tells_how_to_reach_after_sales(shop, customer):
    shop.service_phone = "400-820-1234"
    shop.save()
    with time_machine.travel(DAY, tick=False):
        msg = _enqueue(shop, customer)
    assert "售后团队" in msg.body and "400-820-1234" in msg.body


def test_shop_template_overrides_default(shop, customer):
    template_save(actor=SYSTEM, shop=shop, trigger="order_shipped", channel="sms",
                  body="{{carrier}}已揽收，单号{{tracking_no}}，签收时请当面验货")
    with time_machine.travel(DAY, tick=False):
        msg = _enqueue(shop, customer, "order_shipped", carrier="顺丰速运", tracking_no="SF1")
    assert msg.body == "顺丰速运已揽收，单号SF1，签收时请当面验货"


def test_same_idempotency_key_gives_one_message(shop, customer):
    with time_machine.travel(DAY, tick=False):
        a = _enqueue(shop, customer, key="order:1:placed")
        b = _enqueue(shop, customer, key="order:1:placed")
    assert a.pk == b.pk
    assert OutboundMessage.objects.count() == 1


def test_outbox_row_disappears_with_a_rolled_back_change(shop, customer):
    with time_machine.travel(DAY, tick=False):
        with pytest.raises(RuntimeError), transaction.atomic():
            _enqueue(shop, customer)
            raise RuntimeError("business change failed")
    assert OutboundMessage.objects.count() == 0


def test_quiet_hours_delay_until_eight_next_morning(shop, customer, django_capture_on_commit_callbacks):
    with time_machine.travel(NIGHT, tick=False), django_capture_on_commit_callbacks(execute=True):
        msg = _enqueue(shop, customer)
        assert outbox_dispatch() == {}
    msg.refresh_from_db()
    assert msg.status == S.QUEUED
    assert msg.send_after == dt.datetime(2026, 11, 21, 8, 0, tzinfo=SH)
    with time_machine.travel(dt.datetime(2026, 11, 21, 8, 0, 1, tzinfo=SH), tick=False):
        assert outbox_dispatch() == {"sent": 1}


def test_after_midnight_quiet_hours_end_same_morning(shop, customer):
    with time_machine.travel(dt.datetime(2026, 11, 21, 2, 0, tzinfo=SH), tick=False):
        msg = _enqueue(shop, customer)
    assert msg.send_after == dt.datetime(2026, 11, 21, 8, 0, tzinfo=SH)


def test_frequency_cap_suppresses_with_reason(shop, customer):
    with time_machine.travel(DAY, tick=False):
        for i in range(3):
            assert _enqueue(shop, customer, key=f"c{i}").status == S.QUEUED
        fourth = _enqueue(shop, customer, key="c3")
        # shipped notices are transactional and exempt from the cap
        shipped = _enqueue(shop, customer, "order_shipped", key="c4", carrier="中通", tracking_no="ZT1")
    assert (fourth.status, fourth.suppressed_reason) == (S.SUPPRESSED, "frequency_cap")
    assert shipped.status == S.QUEUED


def test_cap_window_rolls_after_24_hours(shop, customer):
    with time_machine.travel(DAY, tick=False):
        for i in range(3):
            _enqueue(shop, customer, key=f"c{i}")
    with time_machine.travel(DAY + dt.timedelta(hours=24, minutes=1), tick=False):
        assert _enqueue(shop, customer, key="c9").status == S.QUEUED


def _signed_post(client, url, payload, ts: str | None = None):
    body = json.dumps(payload).encode()
    ts = ts or str(int(time.time()))
    return client.post(url, body, content_type="application/json",
                       HTTP_X_SHOUHOU_TIMESTAMP=ts, HTTP_X_SHOUHOU_SIGNATURE=sign("hook-secret", ts, body))


@pytest.mark.parametrize("reply", ["TD", "td", "退订"])
def test_sms_reply_td_opts_out_and_later_messages_are_suppressed(client, shop, customer, reply):
    r = _signed_post(client, "/notifications/webhooks/sms-reply/", {"id": "m1", "phone": "13812345678", "text": reply})
    assert r.status_code == 200 and r.json() == {"opted_out": 1, "duplicate": False}
    customer.refresh_from_db()
    assert customer.opted_out_at is not None
    msg = _enqueue(shop, customer)
    assert (msg.status, msg.suppressed_reason) == (S.SUPPRESSED, "opted_out")


def test_sms_reply_other_text_does_not_opt_out(client, customer):
    r = _signed_post(client, "/notifications/webhooks/sms-reply/", {"id": "m2", "phone": "13812345678", "text": "谢谢"})
    assert r.json()["opted_out"] == 0
    customer.refresh_from_db()
    assert customer.opted_out_at is None


def test_sms_reply_with_bad_signature_is_refused(client, customer):
    r = client.post("/notifications/webhooks/sms-reply/", json.dumps({"id": "x", "phone": "13812345678", "text": "TD"}),
                    content_type="application/json", HTTP_X_SHOUHOU_TIMESTAMP=str(int(time.time())),
                    HTTP_X_SHOUHOU_SIGNATURE="0" * 64)
    assert r.status_code == 401
    customer.refresh_from_db()
    assert customer.opted_out_at is None


class Flaky(Provider):
    name = "flaky"
    calls: list[int] = []
    failures = 2
    error = RetryableError

    def send(self, message):
        Flaky.calls.append(message.pk)
        if len(Flaky.calls) <= Flaky.failures:
            raise Flaky.error("网关超时")
        return SendResult(provider_message_id="ok-1")


@pytest.fixture
def flaky(settings):
    providers.register(Flaky)
    Flaky.calls, Flaky.failures, Flaky.error = [], 2, RetryableError
    settings.SHOUHOU_NOTIFY_CHANNELS = {"sms": "flaky"}
    yield Flaky
    providers.REGISTRY.pop("flaky")


def test_provider_failing_twice_then_succeeding_sends_exactly_once(shop, customer, flaky):
    with time_machine.travel(DAY, tick=False) as clock:
        msg = _enqueue(shop, customer)
        assert message_send(pk=msg.pk) == S.QUEUED
        msg.refresh_from_db()
        assert msg.send_after == DAY + dt.timedelta(seconds=60)  # back-off 60s
        assert outbox_dispatch() == {}  # not yet due
        clock.move_to(DAY + dt.timedelta(seconds=61))
        assert outbox_dispatch() == {"queued": 1}
        msg.refresh_from_db()
        assert msg.send_after == DAY + dt.timedelta(seconds=61 + 120)  # doubled
        clock.move_to(DAY + dt.timedelta(seconds=200))
        assert outbox_dispatch() == {"sent": 1}
        clock.move_to(DAY + dt.timedelta(hours=1))
        assert outbox_dispatch() == {}
    msg.refresh_from_db()
    assert (msg.status, msg.attempts, msg.provider_message_id) == (S.SENT, 3, "ok-1")
    assert flaky.calls == [msg.pk] * 3


def test_outage_messages_wait_and_go_out_once_on_recovery(shop, customer, flaky):
    flaky.failures = 4
    with time_machine.travel(DAY, tick=False) as clock:
        msgs = [_enqueue(shop, customer, "order_shipped", key=f"o{i}", carrier="圆通", tracking_no=f"YT{i}")
                for i in range(2)]
        for minute in range(1, 60):
            clock.move_to(DAY + dt.timedelta(minutes=minute))
            outbox_dispatch()
    statuses = sorted(OutboundMessage.objects.values_list("status", flat=True))
    assert statuses == [S.SENT, S.SENT]
    assert len(flaky.calls) == 4 + 2  # four failures, then each message once
    assert {m.pk for m in msgs} == set(flaky.calls[-2:])


def test_permanent_error_fails_at_once(shop, customer, flaky):
    flaky.error = PermanentError
    with time_machine.travel(DAY, tick=False):
        msg = _enqueue(shop, customer)
        assert message_send(pk=msg.pk) == S.FAILED
    msg.refresh_from_db()
    assert msg.attempts == 1 and "网关超时" in msg.last_error


def test_a_claimed_message_is_not_sent_twice(shop, customer):
    with time_machine.travel(DAY, tick=False):
        msg = _enqueue(shop, customer)
        assert message_send(pk=msg.pk) == S.SENT
        assert message_send(pk=msg.pk) == ""


def test_dispatcher_paces_at_provider_rate(shop, settings):
    settings.SHOUHOU_NOTIFY_PROVIDERS = {"local": {"rate_per_second": 10}}
    waits, clock = [], [100.0]

    def fake_sleep(seconds):
        waits.append(round(seconds, 6))
        clock[0] += seconds

    with time_machine.travel(DAY, tick=False):
        for i in range(3):
            c = CustomerFactory(shop=shop)
            _enqueue(shop, c, key=f"r{i}")
        assert outbox_dispatch(sleep=fake_sleep, monotonic=lambda: clock[0]) == {"sent": 3}
    assert waits == [0.1, 0.1]


def test_receipts_recorded_once_and_mark_delivered(client, shop, customer):
    with time_machine.travel(DAY, tick=False):
        msg = _enqueue(shop, customer)
        message_send(pk=msg.pk)
    msg.refresh_from_db()
    payload = [{"provider_message_id": msg.provider_message_id, "status": "delivered",
                "reported_at": "2026-11-20T14:00:05+08:00"}]
    ts = str(int(time.time()))  # one timestamp: the second post is the very same signed request
    assert _signed_post(client, "/notifications/webhooks/receipts/local/", payload, ts).json() == {"recorded": 1}
    # the very same signed request again is a replay: not applied, answered with the first result
    replay = _signed_post(client, "/notifications/webhooks/receipts/local/", payload, ts).json()
    assert replay == {"recorded": 1, "duplicate": True}
    msg.refresh_from_db()
    assert msg.status == S.DELIVERED
    assert msg.delivered_at == dt.datetime(2026, 11, 20, 14, 0, 5, tzinfo=SH)
    assert DeliveryReceipt.objects.count() == 1


def test_receipt_with_bad_signature_refused(client, db):
    r = client.post("/notifications/webhooks/receipts/local/", "[]", content_type="application/json")
    assert r.status_code == 401


def test_bulk_order_placed_is_set_based_and_idempotent(shop, django_assert_max_num_queries):
    orders = [OrderFactory(shop=shop, paid_at=DAY - dt.timedelta(hours=1)) for _ in range(30)]
    orders[0].customer.opted_out_at = DAY
    orders[0].customer.save()
    ids = [o.pk for o in orders]
    with time_machine.travel(DAY, tick=False):
        with django_assert_max_num_queries(6):
            assert notify_orders_placed(shop=shop, order_ids=ids) == 30
        notify_orders_placed(shop=shop, order_ids=ids)
    assert OutboundMessage.objects.filter(trigger="order_placed").count() == 30
    assert OutboundMessage.objects.filter(status=S.SUPPRESSED, suppressed_reason="opted_out").count() == 1
    assert OutboundMessage.objects.get(idempotency_key=f"order:{orders[1].pk}:placed").context["order_no"] == \
        orders[1].order_no


def test_bulk_shipped_has_carrier_and_tracking(shop):
    s = ShipmentFactory(order=OrderFactory(shop=shop), carrier="ZTO", tracking_no="ZT9001")
    with time_machine.travel(DAY, tick=False):
        assert notify_orders_shipped(shop=shop, shipment_ids=[s.pk]) == 1
    body = OutboundMessage.objects.get().body
    assert "中通快递" in body and "ZT9001" in body and "签收时请当面验货" in body


def test_timeline_api_and_page_show_only_this_shops_messages(shop, other_shop, customer, agent_client):
    stranger = CustomerFactory(shop=other_shop)
    with time_machine.travel(DAY, tick=False):
        _enqueue(shop, customer, key="mine")
        _enqueue(other_shop, stranger, key="theirs")
    page = agent_client.get(f"/notifications/customers/{customer.pk}/timeline/")
    assert page.status_code == 200
    assert "王小明" in page.content.decode() and "OD1" in page.content.decode()
    assert "138****5678" in page.content.decode()
    assert agent_client.get(f"/notifications/customers/{stranger.pk}/timeline/").status_code == 404


def test_receipt_replayed_with_a_fresh_signature_is_recorded_once(client, shop, customer):
    with time_machine.travel(DAY, tick=False):
        msg = _enqueue(shop, customer)
        message_send(pk=msg.pk)
    msg.refresh_from_db()
    body = json.dumps([{"provider_message_id": msg.provider_message_id, "status": "failed",
                        "detail": "用户停机", "reported_at": "2026-11-20 14:00:05"}]).encode()
    for ts in (str(int(time.time())), str(int(time.time()) - 2)):
        r = client.post("/notifications/webhooks/receipts/local/", body, content_type="application/json",
                        HTTP_X_SHOUHOU_TIMESTAMP=ts, HTTP_X_SHOUHOU_SIGNATURE=sign("hook-secret", ts, body))
        assert r.status_code == 200
    msg.refresh_from_db()
    assert (msg.status, msg.last_error) == (S.FAILED, "用户停机")
    assert DeliveryReceipt.objects.get().reported_at == dt.datetime(2026, 11, 20, 14, 0, 5, tzinfo=SH)


@pytest.mark.parametrize("body", [b"{}", b"[1, 2]", b'[{"status": "delivered"}]',
                                  b'[{"provider_message_id": "x", "status": "read"}]',
                                  b'[{"provider_message_id": "x", "status": "delivered", "reported_at": "yesterday"}]',
                                  b"not json"])
def test_malformed_receipts_are_400_not_500(client, db, body):
    ts = str(int(time.time()))
    r = client.post("/notifications/webhooks/receipts/local/", body, content_type="application/json",
                    HTTP_X_SHOUHOU_TIMESTAMP=ts, HTTP_X_SHOUHOU_SIGNATURE=sign("hook-secret", ts, body))
    assert r.status_code == 400 and r.json()["detail"]
    assert DeliveryReceipt.objects.count() == 0


def test_sms_reply_replay_is_not_applied_twice(client, shop, customer):
    body = json.dumps({"id": "m9", "phone": "13812345678", "text": "TD"}).encode()
    ts = str(int(time.time()))
    headers = {"HTTP_X_SHOUHOU_TIMESTAMP": ts, "HTTP_X_SHOUHOU_SIGNATURE": sign("hook-secret", ts, body)}
    first = client.post("/notifications/webhooks/sms-reply/", body, content_type="application/json", **headers)
    replay = client.post("/notifications/webhooks/sms-reply/", body, content_type="application/json", **headers)
    assert first.json() == {"opted_out": 1, "duplicate": False}
    assert replay.json() == {"opted_out": 1, "duplicate": True}


def test_bulk_enqueue_caps_a_customer_with_many_orders_in_one_import(shop):
    """A fan who bought five items in one live session gets three "order placed" messages, not five."""
    fan = CustomerFactory(shop=shop, phone="13900001111")
    orders = [OrderFactory(shop=shop, customer=fan, paid_at=DAY - dt.timedelta(hours=1)) for _ in range(5)]
    with time_machine.travel(DAY, tick=False):
        notify_orders_placed(shop=shop, order_ids=[o.pk for o in orders])
    statuses = sorted(OutboundMessage.objects.filter(customer=fan).values_list("status", "suppressed_reason"))
    assert statuses == [(S.QUEUED, "")] * 3 + [(S.SUPPRESSED, "frequency_cap")] * 2


# --- an examiner's cases (2026-12-06) -----------------------------------------------------------------------

def test_an_opt_out_after_queueing_stops_the_message_at_sending(shop, customer, django_capture_on_commit_callbacks):
    # queued at 23:00 for 08:00 (quiet hours); the customer replies 退订 at 23:30
    with time_machine.travel(dt.datetime(2026, 11, 20, 23, 0, tzinfo=SH), tick=False):
        msg = _enqueue(shop, customer)
    customer.opted_out_at = dt.datetime(2026, 11, 20, 23, 30, tzinfo=SH)
    customer.save()
    with time_machine.travel(dt.datetime(2026, 11, 21, 8, 1, tzinfo=SH), tick=False):
        assert outbox_dispatch() == {"suppressed": 1}
    msg.refresh_from_db()
    assert (msg.status, msg.suppressed_reason, msg.sent_at) == (S.SUPPRESSED, "opted_out", None)


def test_a_retry_waits_for_the_end_of_the_quiet_hours(shop, customer, flaky):
    # sent at 21:59:30, the gateway times out: the retry would fall at 22:00:30, inside quiet hours
    with time_machine.travel(dt.datetime(2026, 11, 20, 21, 59, 30, tzinfo=SH), tick=False):
        msg = _enqueue(shop, customer)
        assert message_send(pk=msg.pk) == S.QUEUED
    msg.refresh_from_db()
    assert msg.send_after == dt.datetime(2026, 11, 21, 8, 0, tzinfo=SH)


def test_a_recall_and_a_rejection_reach_the_customer_whatever_the_cap(shop, customer):
    with time_machine.travel(DAY, tick=False):
        for i in range(3):
            _enqueue(shop, customer, key=f"c{i}")
        recall = _enqueue(shop, customer, "recall", key="r1", product="婴儿推车", reason="刹车缺陷")
        rejected = _enqueue(shop, customer, "case_rejected", key="r2", case_no="C1", reason="超过七天")
    assert (recall.status, rejected.status) == (S.QUEUED, S.QUEUED)


def test_a_missing_value_is_never_sent_as_the_word_none(shop, customer):
    with time_machine.travel(DAY, tick=False):
        msg = _enqueue(shop, customer, "logistics_exception", key="n1", order_no="OD1", carrier=None,
                       tracking_no=None, problem="包裹被退回")
    assert "None" not in msg.body and "包裹被退回" in msg.body
