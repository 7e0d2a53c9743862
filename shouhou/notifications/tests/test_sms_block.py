"""Tencent SMS answers FailedOperation.PhoneNumberInBlacklist when the person blocked or unsubscribed at the carrier
or the provider: the number is recorded as opted out of SMS for that shop (source: the provider), shown on the
staff timeline and the API, and the shop stops trying it — the messages waiting for it and every later one. Another
shop's messages to the same number are its own business."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from shouhou.accounts.actors import SYSTEM
from shouhou.core.testing.factories import CustomerFactory
from shouhou.notifications.models import OptOutRequest, OutboundMessage
from shouhou.notifications.services import message_send, notification_enqueue, notify_orders_shipped

pytestmark = pytest.mark.django_db

SH = dt.timezone(dt.timedelta(hours=8))
DAY = dt.datetime(2026, 11, 20, 14, 0, tzinfo=SH)
S = OutboundMessage.Status
BLACKLISTED = (200, {"Response": {"SendStatusSet": [{"Code": "FailedOperation.PhoneNumberInBlacklist",
                                                      "Message": "phone number in blacklist", "SerialNo": ""}],
                                  "RequestId": "r1"}})
SENT = (200, {"Response": {"SendStatusSet": [{"Code": "Ok", "SerialNo": "s9"}], "RequestId": "r2"}})


@pytest.fixture
def tencent(settings, http_stub):
    settings.SHOUHOU_NOTIFY_CHANNELS = {"sms": "tencent_sms"}
    settings.SHOUHOU_NOTIFY_PROVIDERS = {"tencent_sms": {
        "secret_id": "AKIDexample", "secret_key": "key-y", "sdk_app_id": "1400006666", "sign_name": "小鹿直播",
        "template_ids": {"case_created": "1001", "case_approved": "1002", "order_shipped": "1003"},
        "base_url": http_stub.base_url}}
    return http_stub


def _case_message(shop, customer, key, trigger="case_created"):
    return notification_enqueue(shop=shop, customer=customer, trigger=trigger,
                                context={"case_no": "AS1", "order_no": "XL1", "next_step": "寄回"},
                                idempotency_key=key)


def test_a_blacklisted_number_is_recorded_as_an_sms_opt_out_and_no_longer_tried(
        shop, other_shop, agent, client, tencent):
    customer = CustomerFactory(shop=shop, name="李女士", phone="13812345678", wechat_id="")
    neighbour = CustomerFactory(shop=other_shop, phone="13812345678", wechat_id="")
    tencent.answer(BLACKLISTED, SENT)
    with time_machine.travel(DAY, tick=False):
        first = _case_message(shop, customer, "k1")
        waiting = _case_message(shop, customer, "k2", trigger="case_approved")
        OutboundMessage.objects.filter(pk=waiting.pk).update(send_after=DAY + dt.timedelta(hours=1))
        assert message_send(pk=first.pk) == S.FAILED
        later = _case_message(shop, customer, "k3", trigger="case_approved")
        elsewhere = _case_message(other_shop, neighbour, "k4")
        assert message_send(pk=elsewhere.pk) == S.SENT  # the other shop learns it from its own gateway answer
    first.refresh_from_db()
    waiting.refresh_from_db()
    assert "PhoneNumberInBlacklist" in first.last_error
    assert (waiting.status, waiting.suppressed_reason) == (S.SUPPRESSED, "sms_blocked")
    assert (later.status, later.suppressed_reason) == (S.SUPPRESSED, "sms_blocked")
    assert len(tencent.requests) == 2
    record = OptOutRequest.objects.get()
    assert (record.shop, record.customer, record.source, record.scope, record.outcome, record.contact_handle) == (
        shop, customer, "tencent_sms", "sms", "opted_out", "13812345678")
    customer.refresh_from_db()
    assert customer.opted_out_at is None  # WeChat, email and the chat still reach them

    client.force_login(agent)
    page = client.get(f"/notifications/customers/{customer.pk}/timeline/").content.decode()
    assert 'data-scope="sms"' in page and "tencent_sms" in page and "PhoneNumberInBlacklist" in page
    assert "13812345678" not in page  # masked on the page
    from shouhou.accounts.choices import Role
    from shouhou.accounts.services import token_issue

    token = token_issue(actor=SYSTEM, shop=other_shop, name="t", scopes=["*"], role=Role.ADMIN)
    assert client.get("/api/notifications/opt-outs", headers={"Authorization": token.header}).json() == []


def test_a_bulk_batch_skips_a_blocked_number(shop, tencent):
    from shouhou.core.testing.factories import OrderFactory, ShipmentFactory

    customer = CustomerFactory(shop=shop, phone="13812345678", wechat_id="")
    tencent.answer(BLACKLISTED)
    with time_machine.travel(DAY, tick=False):
        assert message_send(pk=_case_message(shop, customer, "k1").pk) == S.FAILED
        order = OrderFactory(shop=shop, customer=customer)
        ship = ShipmentFactory(order=order)
        assert notify_orders_shipped(shop=shop, shipment_ids=[ship.pk]) == 1
    row = OutboundMessage.objects.get(trigger="order_shipped")
    assert (row.status, row.suppressed_reason) == (S.SUPPRESSED, "sms_blocked")
