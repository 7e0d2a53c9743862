"""What a hostile or broken value must not do to the outbox: a crafted email address, a provider bug, a
worker that dies, a backlog running into the night, an opt-out written another way, a bad phone in a reply."""

import datetime as dt
import json
import time

import pytest
import time_machine
from django.core import mail

from shouhou.core.signatures import sign
from shouhou.core.testing.factories import CustomerFactory
from shouhou.notifications import providers
from shouhou.notifications.models import DeliveryReceipt, OutboundMessage
from shouhou.notifications.providers.base import Provider, SendResult
from shouhou.notifications.services import (
    MAX_ATTEMPTS,
    is_opt_out_reply,
    message_send,
    notification_enqueue,
    outbox_dispatch,
)

SH = dt.timezone(dt.timedelta(hours=8))
DAY = dt.datetime(2026, 11, 20, 14, 0, tzinfo=SH)
S = OutboundMessage.Status


@pytest.fixture
def email_channel(settings):
    settings.SHOUHOU_NOTIFY_CHANNELS = {"email": "email"}
    settings.SHOUHOU_NOTIFY_PROVIDERS = {"email": {"backend": "django.core.mail.backends.locmem.EmailBackend",
                                                  "from_email": "care@shop.example"}}
    mail.outbox = []


def _email_message(shop, address, key):
    customer = CustomerFactory(shop=shop, phone="", wechat_id="", email=address, contact_consent=True)
    return notification_enqueue(shop=shop, customer=customer, trigger="case_created",
                                context={"case_no": "AS1", "order_no": "OD1"}, idempotency_key=key,
                                channel="email")


@pytest.mark.parametrize("address", [
    "a@shop.example\nBcc: everyone@evil.example",   # header injection
    "a@shop.example\r\nSubject: 中奖",
    "a@shop.example, victim@evil.example",          # two people for one customer
    '"王" <a@shop.example>',
    "not-an-address",
])
def test_an_email_that_is_not_one_address_fails_at_once_and_the_outbox_goes_on(shop, email_channel, address):
    with time_machine.travel(DAY, tick=False):
        bad = _email_message(shop, address, "bad")
        good = _email_message(shop, "ok@shop.example", "good")
        assert outbox_dispatch() == {"failed": 1, "sent": 1}
    bad.refresh_from_db()
    good.refresh_from_db()
    assert (bad.status, bad.attempts) == (S.FAILED, 1)  # not left SENDING to be tried again every 10 minutes
    assert "收件人邮箱无效" in bad.last_error
    assert good.status == S.SENT
    assert [m.to for m in mail.outbox] == [["ok@shop.example"]]


class Broken(Provider):
    """A provider with a bug: it raises something that is not a ProviderError."""

    name = "broken"

    def send(self, message):
        if message.idempotency_key == "first":
            raise KeyError("template_params")
        return SendResult(provider_message_id="ok")


@pytest.fixture
def broken(settings):
    providers.register(Broken)
    settings.SHOUHOU_NOTIFY_CHANNELS = {"sms": "broken"}
    yield
    providers.REGISTRY.pop("broken")


def test_a_provider_bug_fails_that_message_and_the_dispatch_run_sends_the_rest(shop, broken):
    customer = CustomerFactory(shop=shop, phone="13812345678")
    with time_machine.travel(DAY, tick=False):
        first = notification_enqueue(shop=shop, customer=customer, trigger="case_created",
                                     context={"case_no": "AS1"}, idempotency_key="first")
        second = notification_enqueue(shop=shop, customer=customer, trigger="case_created",
                                      context={"case_no": "AS2"}, idempotency_key="second")
        assert outbox_dispatch() == {"failed": 1, "sent": 1}
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == S.FAILED and "服务商程序异常" in first.last_error
    assert "template_params" not in first.last_error  # the internal error stays in the log
    assert second.status == S.SENT


def test_a_row_stuck_in_sending_after_its_last_attempt_fails_instead_of_looping(shop):
    customer = CustomerFactory(shop=shop, phone="13812345678")
    with time_machine.travel(DAY, tick=False):
        msg = notification_enqueue(shop=shop, customer=customer, trigger="case_created",
                                   context={"case_no": "AS1"}, idempotency_key="k")
        OutboundMessage.objects.filter(pk=msg.pk).update(status=S.SENDING, attempts=MAX_ATTEMPTS,
                                                         claimed_at=DAY - dt.timedelta(minutes=11))
        again = notification_enqueue(shop=shop, customer=customer, trigger="case_created",
                                     context={"case_no": "AS2"}, idempotency_key="k2")
        OutboundMessage.objects.filter(pk=again.pk).update(status=S.SENDING, attempts=1,
                                                           claimed_at=DAY - dt.timedelta(minutes=11))
        assert outbox_dispatch() == {"sent": 1}
    msg.refresh_from_db()
    again.refresh_from_db()
    assert msg.status == S.FAILED
    assert again.status == S.SENT  # released and sent, as before


def test_a_message_due_before_the_quiet_hours_is_not_sent_inside_them(shop):
    customer = CustomerFactory(shop=shop, phone="13812345678")
    with time_machine.travel(dt.datetime(2026, 11, 20, 21, 59, tzinfo=SH), tick=False):
        msg = notification_enqueue(shop=shop, customer=customer, trigger="case_created",
                                   context={"case_no": "AS1"}, idempotency_key="late")
    assert msg.send_after is None  # due at once…
    with time_machine.travel(dt.datetime(2026, 11, 20, 22, 30, tzinfo=SH), tick=False):
        assert outbox_dispatch() == {"queued": 1}  # …but the worker only gets to it at 22:30
    msg.refresh_from_db()
    assert (msg.status, msg.attempts) == (S.QUEUED, 0)
    assert msg.send_after == dt.datetime(2026, 11, 21, 8, 0, tzinfo=SH)
    with time_machine.travel(dt.datetime(2026, 11, 21, 3, 0, tzinfo=SH), tick=False):
        assert outbox_dispatch() == {}
        assert message_send(pk=msg.pk) == ""
    with time_machine.travel(dt.datetime(2026, 11, 21, 8, 0, 1, tzinfo=SH), tick=False):
        assert outbox_dispatch() == {"sent": 1}


@pytest.mark.parametrize("reply", ["ＴＤ", "td。", "TD!", " t ", "退订。", "退订!", "请帮我退订，谢谢", "不要再发了 退订",
                                   "取消订阅"])
def test_an_opt_out_written_another_way_is_still_an_opt_out(reply):
    assert is_opt_out_reply(reply)


@pytest.mark.parametrize("reply", ["谢谢", "T恤收到了", "好的", "Nice", "", "TDX", "我拒收了快递，退款呢"])
def test_an_ordinary_reply_is_not_an_opt_out(reply):
    assert not is_opt_out_reply(reply)


def _signed_post(client, url, payload):
    body = json.dumps(payload, ensure_ascii=False).encode()
    ts = str(int(time.time()))
    return client.post(url, body, content_type="application/json",
                       HTTP_X_SHOUHOU_TIMESTAMP=ts, HTTP_X_SHOUHOU_SIGNATURE=sign("hook-secret", ts, body))


def test_a_full_width_td_reply_stops_the_next_message(client, shop):
    customer = CustomerFactory(shop=shop, phone="13812345678", contact_consent=True)
    r = _signed_post(client, "/notifications/webhooks/sms-reply/", {"id": "r1", "phone": "13812345678", "text": "ＴＤ。"})
    assert r.json() == {"opted_out": 1, "duplicate": False}
    customer.refresh_from_db()
    msg = notification_enqueue(shop=shop, customer=customer, trigger="order_placed",
                               context={"order_no": "OD1"}, idempotency_key="after")
    assert (msg.status, msg.suppressed_reason) == (S.SUPPRESSED, "opted_out")


def test_a_reply_with_a_phone_that_is_not_one_is_400_and_its_retry_is_applied(client, shop):
    customer = CustomerFactory(shop=shop, phone="13812345678")
    r = _signed_post(client, "/notifications/webhooks/sms-reply/", {"id": "r2", "phone": "abc", "text": "退订"})
    assert r.status_code == 400 and "phone" in r.json()["detail"]
    r = _signed_post(client, "/notifications/webhooks/sms-reply/", {"id": "r2", "phone": "13812345678", "text": "退订"})
    assert r.json() == {"opted_out": 1, "duplicate": False}  # the refused delivery claimed nothing
    customer.refresh_from_db()
    assert customer.opted_out_at is not None


def test_a_receipt_with_a_long_detail_is_recorded(client, shop):
    customer = CustomerFactory(shop=shop, phone="13812345678")
    with time_machine.travel(DAY, tick=False):
        msg = notification_enqueue(shop=shop, customer=customer, trigger="case_created",
                                   context={"case_no": "AS1"}, idempotency_key="rc")
    OutboundMessage.objects.filter(pk=msg.pk).update(status=S.SENT, provider="aliyun_sms", provider_message_id="B1")
    r = _signed_post(client, "/notifications/webhooks/receipts/aliyun_sms/",
                     [{"provider_message_id": "B1", "status": "failed", "detail": "运营商拒收" * 200}])
    assert r.status_code == 200 and r.json() == {"recorded": 1}
    assert len(DeliveryReceipt.objects.get().detail) == 300
