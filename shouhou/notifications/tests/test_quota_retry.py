"""微信 45009 (the daily API quota is used up) waits for the next midnight, Beijing time; -1 keeps the short back-off."""

import datetime as dt

import pytest
import time_machine

from shouhou.core.testing.factories import CustomerFactory
from shouhou.notifications import providers
from shouhou.notifications.models import OutboundMessage
from shouhou.notifications.providers.base import DailyQuotaError, Provider, RetryableError, SendResult
from shouhou.notifications.providers.wechat import WeChatSubscribeProvider
from shouhou.notifications.services import (
    message_send,
    next_quota_reset,
    notification_enqueue,
    outbox_dispatch,
)

SH = dt.timezone(dt.timedelta(hours=8))
AFTERNOON = dt.datetime(2026, 11, 20, 14, 0, tzinfo=SH)
MIDNIGHT = dt.datetime(2026, 11, 21, 0, 0, tzinfo=SH)
S = OutboundMessage.Status


class Gateway(Provider):
    """Answers like the WeChat adapter: the first `failures` calls raise `error`, then it sends."""

    name = "quota_gateway"
    calls: list[int] = []
    failures = 1
    error: type = DailyQuotaError

    def send(self, message):
        Gateway.calls.append(message.pk)
        if len(Gateway.calls) <= Gateway.failures:
            raise Gateway.error("微信 errcode 45009: reach max api daily quota limit")
        return SendResult(provider_message_id="wx-1")


@pytest.fixture
def gateway(settings):
    providers.register(Gateway)
    Gateway.calls, Gateway.failures, Gateway.error = [], 1, DailyQuotaError
    settings.SHOUHOU_NOTIFY_CHANNELS = {"sms": "quota_gateway"}
    yield Gateway
    providers.REGISTRY.pop("quota_gateway")


@pytest.fixture
def customer(shop):
    return CustomerFactory(shop=shop, name="王小明", phone="13812345678")


def _enqueue(shop, customer):
    return notification_enqueue(shop=shop, customer=customer, trigger="order_placed", context={"order_no": "OD1"},
                                idempotency_key="q1")


@pytest.mark.parametrize(("at", "reset"), [
    (AFTERNOON, MIDNIGHT),
    (dt.datetime(2026, 11, 20, 23, 59, 59, tzinfo=SH), MIDNIGHT),
    (MIDNIGHT, dt.datetime(2026, 11, 22, 0, 0, tzinfo=SH)),
    (dt.datetime(2026, 11, 20, 17, 30, tzinfo=dt.UTC), dt.datetime(2026, 11, 22, 0, 0, tzinfo=SH)),  # 01:30 SH
    (dt.datetime(2026, 12, 31, 15, 59, tzinfo=dt.UTC), dt.datetime(2027, 1, 1, 0, 0, tzinfo=SH)),
])
def test_quota_resets_at_the_next_midnight_in_beijing_time(at, reset):
    assert next_quota_reset(at) == reset


def test_quota_error_waits_for_midnight_not_the_back_off(shop, customer, gateway, settings):
    settings.SHOUHOU_NOTIFY_QUIET_START = settings.SHOUHOU_NOTIFY_QUIET_END = 0  # no quiet hours
    with time_machine.travel(AFTERNOON, tick=False) as clock:
        msg = _enqueue(shop, customer)
        assert message_send(pk=msg.pk) == S.QUEUED
        msg.refresh_from_db()
        assert msg.send_after == MIDNIGHT
        assert msg.attempts == 0  # waiting for the quota is no attempt
        assert "45009" in msg.last_error and "今日接口调用额度已用完" in msg.last_error
        assert "2026-11-21 00:00 后重试" in msg.last_error
        clock.move_to(MIDNIGHT - dt.timedelta(seconds=1))
        assert outbox_dispatch() == {}  # not before midnight
        clock.move_to(MIDNIGHT)
        assert outbox_dispatch() == {"sent": 1}
    msg.refresh_from_db()
    assert (msg.status, msg.attempts, msg.last_error) == (S.SENT, 1, "")
    assert gateway.calls == [msg.pk, msg.pk]


def test_quota_wait_keeps_the_quiet_hours(shop, customer, gateway):
    with time_machine.travel(AFTERNOON, tick=False):
        msg = _enqueue(shop, customer)
        message_send(pk=msg.pk)
    msg.refresh_from_db()
    assert msg.send_after == dt.datetime(2026, 11, 21, 8, 0, tzinfo=SH)  # midnight is in the quiet hours (22–8)
    assert "2026-11-21 08:00 后重试" in msg.last_error


def test_system_busy_keeps_the_short_back_off(shop, customer, gateway):
    gateway.error = RetryableError  # 微信 -1
    with time_machine.travel(AFTERNOON, tick=False):
        msg = _enqueue(shop, customer)
        assert message_send(pk=msg.pk) == S.QUEUED
    msg.refresh_from_db()
    assert msg.send_after == AFTERNOON + dt.timedelta(seconds=60)
    assert msg.attempts == 1


def test_quota_used_up_three_days_running_returns_to_the_back_off(shop, customer, gateway, settings):
    settings.SHOUHOU_NOTIFY_QUIET_START = settings.SHOUHOU_NOTIFY_QUIET_END = 0
    gateway.failures = 10
    with time_machine.travel(AFTERNOON, tick=False) as clock:
        msg = _enqueue(shop, customer)
        for day in range(3):
            assert message_send(pk=msg.pk) == S.QUEUED
            msg.refresh_from_db()
            assert f"第 {day + 1} 天" in msg.last_error
            clock.move_to(msg.send_after)
        assert message_send(pk=msg.pk) == S.QUEUED  # the fourth day: the ordinary back-off (~2 h, then failed)
    msg.refresh_from_db()
    assert msg.attempts == 1 and msg.send_after == dt.datetime(2026, 11, 23, 0, 1, tzinfo=SH)


def test_quota_reason_shown_on_the_timeline(shop, customer, gateway, agent_client):
    with time_machine.travel(AFTERNOON, tick=False):
        msg = _enqueue(shop, customer)
        message_send(pk=msg.pk)
    page = agent_client.get(f"/notifications/customers/{customer.pk}/timeline/").content.decode()
    assert "今日接口调用额度已用完" in page


@pytest.mark.parametrize(("errcode", "daily"), [(45009, True), (-1, False)])
def test_wechat_quota_error_is_told_from_system_busy(http_stub, errcode, daily):
    http_stub.answer((200, {"errcode": errcode, "errmsg": "x"}))
    message = OutboundMessage(pk=1, trigger="order_shipped", recipient="oOPENID", context={"order_no": "OD1"},
                              body="您的订单已发货")
    opts = {"base_url": http_stub.base_url, "access_token": "T", "template_ids": {"order_shipped": "s-1"}}
    with pytest.raises(RetryableError) as caught:
        WeChatSubscribeProvider(opts).send(message)
    assert isinstance(caught.value, DailyQuotaError) is daily


def test_wecom_45009_end_to_end_waits_for_midnight(shop, customer, http_stub, settings):
    """Through the real adapter, the gateway answering 45009 over HTTP (before: retried 60 s later)."""
    settings.SHOUHOU_NOTIFY_QUIET_START = settings.SHOUHOU_NOTIFY_QUIET_END = 0
    settings.SHOUHOU_NOTIFY_CHANNELS = {"sms": "wecom"}
    settings.SHOUHOU_NOTIFY_PROVIDERS = {"wecom": {"base_url": http_stub.base_url, "access_token": "T", "agent_id": 1}}
    http_stub.answer((200, {"errcode": 45009, "errmsg": "reach max api daily quota limit"}))
    with time_machine.travel(AFTERNOON, tick=False):
        msg = _enqueue(shop, customer)
        assert message_send(pk=msg.pk) == S.QUEUED
    msg.refresh_from_db()
    assert (msg.send_after, msg.attempts) == (MIDNIGHT, 0)
    assert msg.last_error.startswith("企业微信 errcode 45009: reach max api daily quota limit：今日接口调用额度已用完")
