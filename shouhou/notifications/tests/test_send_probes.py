"""Probes of the outbox as a merchant and a customer would meet it: quiet hours across midnight (and a window
that does not cross it), a template variable with no value, a phone number changed while a message waited,
a gateway that times out after taking the request (no second SMS), and the gateways' real error codes mapped
to clear reasons and the right retry decision."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from shouhou.core.testing.factories import CustomerFactory
from shouhou.notifications import providers
from shouhou.notifications.models import OutboundMessage
from shouhou.notifications.providers.aliyun_sms import AliyunSmsProvider
from shouhou.notifications.providers.base import PermanentError, Provider, RetryableError, SendResult
from shouhou.notifications.providers.tencent_sms import TencentSmsProvider
from shouhou.notifications.services import message_send, notification_enqueue, outbox_dispatch, quiet_until

pytestmark = pytest.mark.django_db

SH = dt.timezone(dt.timedelta(hours=8))
S = OutboundMessage.Status


def _at(y, mo, d, h, mi=0, s=0):
    return dt.datetime(y, mo, d, h, mi, s, tzinfo=SH)


# --- quiet hours ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("at", "until"), [
    (_at(2026, 12, 31, 21, 59, 59), None),
    (_at(2026, 12, 31, 22, 0), _at(2027, 1, 1, 8)),           # across midnight and the year
    (_at(2026, 12, 31, 23, 59, 59), _at(2027, 1, 1, 8)),
    (_at(2027, 1, 1, 0, 0), _at(2027, 1, 1, 8)),
    (_at(2027, 1, 1, 7, 59, 59), _at(2027, 1, 1, 8)),
    (_at(2027, 1, 1, 8, 0), None),
    (dt.datetime(2027, 2, 28, 15, 30, tzinfo=dt.UTC), _at(2027, 3, 1, 8)),  # 23:30 in Shanghai, given in UTC
])
def test_default_quiet_hours_in_shanghai_across_midnight(at, until):
    assert quiet_until(at) == until


@pytest.mark.parametrize(("at", "until"), [
    (_at(2026, 12, 6, 0, 30), _at(2026, 12, 6, 7)),
    (_at(2026, 12, 6, 6, 59), _at(2026, 12, 6, 7)),
    (_at(2026, 12, 6, 7, 0), None),
    (_at(2026, 12, 6, 12, 0), None),          # was "quiet until tomorrow 07:00": every hour counted as quiet
    (_at(2026, 12, 6, 23, 30), None),
])
def test_a_quiet_window_that_does_not_cross_midnight(settings, at, until):
    settings.SHOUHOU_NOTIFY_QUIET_START, settings.SHOUHOU_NOTIFY_QUIET_END = 0, 7
    assert quiet_until(at) == until


def test_equal_start_and_end_means_no_quiet_hours(settings):
    settings.SHOUHOU_NOTIFY_QUIET_START = settings.SHOUHOU_NOTIFY_QUIET_END = 0
    assert quiet_until(_at(2026, 12, 6, 3, 0)) is None
    assert quiet_until(_at(2026, 12, 6, 23, 0)) is None


# --- a template variable with no value ------------------------------------------------------------------

@pytest.fixture
def customer(shop):
    return CustomerFactory(shop=shop, name="王小明", phone="13812345678", email="wang@example.cn")


DAY = _at(2026, 11, 20, 14, 0)


@pytest.mark.parametrize(("trigger", "context", "missing"), [
    ("order_shipped", {"order_no": "OD1", "carrier": "顺丰速运", "tracking_no": ""}, "tracking_no"),
    ("case_rejected", {"case_no": "AS1"}, "reason"),
    ("case_inspection_progress", {"case_no": "AS1", "progress": None}, "progress"),
])
def test_a_required_variable_without_a_value_is_not_sent_and_says_which(shop, customer, trigger, context, missing,
                                                                        django_capture_on_commit_callbacks):
    with time_machine.travel(DAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        msg = notification_enqueue(shop=shop, customer=customer, trigger=trigger, context=context,
                                   idempotency_key=f"m:{trigger}")
    msg.refresh_from_db()
    assert msg.status == S.FAILED and msg.sent_at is None and msg.attempts == 0
    assert f"{{{{{missing}}}}}" in msg.last_error


# --- the phone number changed while the message waited ----------------------------------------------------

class Recorder(Provider):
    name = "recorder"
    sent: list[tuple[int, str]] = []

    def send(self, message):
        Recorder.sent.append((message.pk, message.recipient))
        return SendResult(provider_message_id=f"r-{message.pk}")


@pytest.fixture
def recorder(settings):
    providers.register(Recorder)
    Recorder.sent = []
    settings.SHOUHOU_NOTIFY_CHANNELS = {"sms": "recorder", "email": "recorder"}
    yield Recorder
    providers.REGISTRY.pop("recorder")


NIGHT = _at(2026, 11, 20, 23, 30)
MORNING = _at(2026, 11, 21, 8, 5)


def test_a_phone_changed_overnight_gets_the_message_not_the_old_number(shop, customer, recorder):
    with time_machine.travel(NIGHT, tick=False):
        msg = notification_enqueue(shop=shop, customer=customer, trigger="order_placed", context={"order_no": "OD1"},
                                   idempotency_key="night")
    assert msg.status == S.QUEUED and msg.recipient == "13812345678"
    customer.phone = "13900001111"
    customer.save()
    with time_machine.travel(MORNING, tick=False):
        assert outbox_dispatch() == {"sent": 1}
    msg.refresh_from_db()
    assert recorder.sent == [(msg.pk, "13900001111")]
    assert (msg.status, msg.recipient) == (S.SENT, "13900001111")


def test_a_phone_removed_overnight_fails_with_the_reason_and_sends_nothing(shop, customer, recorder):
    with time_machine.travel(NIGHT, tick=False):
        msg = notification_enqueue(shop=shop, customer=customer, trigger="order_placed", context={"order_no": "OD1"},
                                   idempotency_key="night")
    customer.phone = ""
    customer.save()
    with time_machine.travel(MORNING, tick=False):
        assert message_send(pk=msg.pk) == S.FAILED
    msg.refresh_from_db()
    assert recorder.sent == [] and "手机号" in msg.last_error


def test_an_email_changed_while_waiting_goes_to_the_new_address(shop, customer, recorder):
    with time_machine.travel(NIGHT, tick=False):
        msg = notification_enqueue(shop=shop, customer=customer, trigger="order_placed", context={"order_no": "OD1"},
                                   idempotency_key="night-mail", channel="email")
    customer.email = "wang.new@example.cn"
    customer.save()
    with time_machine.travel(MORNING, tick=False):
        assert message_send(pk=msg.pk) == S.SENT
    assert recorder.sent == [(msg.pk, "wang.new@example.cn")]


# --- the gateways' error codes ---------------------------------------------------------------------------

@pytest.fixture
def sms_message(shop, customer):
    return OutboundMessage.objects.create(
        shop=shop, customer=customer, channel="sms", trigger="order_shipped", recipient="13812345678",
        body="您的订单已发货", context={"carrier": "顺丰速运", "tracking_no": "SF100"}, idempotency_key="p1")


ALIYUN = {"access_key_id": "LTAIexample", "access_key_secret": "secret-x", "sign_name": "小鹿直播",
          "template_codes": {"order_shipped": "SMS_123456"}}
TENCENT = {"secret_id": "AKIDexample", "secret_key": "key-y", "sdk_app_id": "1400006666", "sign_name": "小鹿直播",
           "template_ids": {"order_shipped": "449739"}, "host": "sms.tencentcloudapi.com"}


@pytest.mark.parametrize(("code", "error", "reason"), [
    ("isp.SYSTEM_ERROR", RetryableError, "系统错误"),               # the gateway's own fault: was failed for good
    ("isv.MOBILE_NUMBER_ILLEGAL", PermanentError, "手机号格式错误"),
    ("isv.TEMPLATE_MISSING_PARAMETERS", PermanentError, "模板变量缺少参数"),
    ("isv.SMS_TEMPLATE_ILLEGAL", PermanentError, "模板不可用"),
    ("isv.SMS_SIGNATURE_ILLEGAL", PermanentError, "签名不可用"),
    ("isv.AMOUNT_NOT_ENOUGH", RetryableError, "余额不足"),
    ("isv.DAY_LIMIT_CONTROL", PermanentError, "今日已达"),
    ("isv.BUSINESS_LIMIT_CONTROL", RetryableError, "流控"),
    ("isv.SOMETHING_NEW", PermanentError, "服务商返回错误：新错误"),
])
def test_aliyun_codes_have_clear_reasons(http_stub, sms_message, code, error, reason):
    http_stub.answer((200, {"Code": code, "Message": "新错误", "RequestId": "r1"}))
    with pytest.raises(error) as raised:
        AliyunSmsProvider({**ALIYUN, "base_url": http_stub.base_url}).send(sms_message)
    assert code in str(raised.value) and reason in str(raised.value)


@pytest.mark.parametrize(("code", "error", "reason"), [
    ("FailedOperation.PhoneNumberInBlacklist", PermanentError, "免打扰"),
    ("FailedOperation.TemplateIncorrectOrUnapproved", PermanentError, "模板未审批"),
    ("FailedOperation.SignatureIncorrectOrUnapproved", PermanentError, "签名未审批"),
    ("FailedOperation.InsufficientBalanceInSmsPackage", RetryableError, "套餐包余量不足"),
    ("FailedOperation.MarketingSendTimeConstraint", RetryableError, "8 点到 22 点"),
    ("LimitExceeded.PhoneNumberDailyLimit", PermanentError, "今日已达"),          # was retried all day
    ("LimitExceeded.PhoneNumberSameContentDailyLimit", PermanentError, "相同内容"),
    ("LimitExceeded.PhoneNumberThirtySecondLimit", RetryableError, "30 秒"),
    ("InternalError.Timeout", RetryableError, "超时"),
    ("InvalidParameterValue.IncorrectPhoneNumber", PermanentError, "手机号格式错误"),
])
def test_tencent_codes_have_clear_reasons(http_stub, sms_message, code, error, reason):
    http_stub.answer((200, {"Response": {"SendStatusSet": [{"Code": code, "Message": "x", "SerialNo": "",
                                                            "PhoneNumber": "+8613812345678"}], "RequestId": "q"}}))
    with pytest.raises(error) as raised:
        TencentSmsProvider({**TENCENT, "base_url": http_stub.base_url}).send(sms_message)
    assert code in str(raised.value) and reason in str(raised.value)


def test_tencent_request_level_error_codes_are_mapped_too(http_stub, sms_message):
    http_stub.answer((200, {"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "x"},
                                         "RequestId": "q"}}))
    with pytest.raises(PermanentError, match="SecretKey"):
        TencentSmsProvider({**TENCENT, "base_url": http_stub.base_url}).send(sms_message)


# --- a gateway that took the request and then timed out: no second SMS ------------------------------------

@pytest.mark.parametrize(("provider", "options"), [(AliyunSmsProvider, ALIYUN), (TencentSmsProvider, TENCENT)])
def test_an_sms_gateway_timing_out_after_the_request_is_not_sent_again(http_stub, sms_message, provider, options):
    http_stub.delay = 1.0  # the gateway read the request: it may have sent the SMS
    with pytest.raises(PermanentError, match="结果未知"):
        provider({**options, "base_url": http_stub.base_url, "timeout": 0.2}).send(sms_message)
    assert len(http_stub.requests) == 1


def test_an_sms_gateway_that_cannot_be_reached_is_retried(sms_message):
    with pytest.raises(RetryableError):
        AliyunSmsProvider({**ALIYUN, "base_url": "http://127.0.0.1:9", "timeout": 0.5}).send(sms_message)


# --- the frequency cap counts what reached the customer ---------------------------------------------------

@pytest.mark.parametrize("path", ["single", "bulk_placed"])
def test_failed_messages_do_not_use_up_the_daily_cap(shop, customer, path):
    from shouhou.core.testing.factories import OrderFactory
    from shouhou.notifications.services import notify_orders_placed

    with time_machine.travel(DAY, tick=False):
        for i in range(3):  # three that failed (a template the gateway had not approved): none reached her
            OutboundMessage.objects.create(shop=shop, customer=customer, channel="sms", trigger="order_placed",
                                           recipient=customer.phone, body="x", idempotency_key=f"failed:{i}",
                                           status=S.FAILED, last_error="阿里云短信 isv.SMS_TEMPLATE_ILLEGAL")
        order = OrderFactory(shop=shop, customer=customer, paid_at=DAY - dt.timedelta(hours=1))
        if path == "single":
            notification_enqueue(shop=shop, customer=customer, trigger="survey_invitation",
                                 context={"survey_url": "https://x.cn/s"}, idempotency_key="new")
        else:
            notify_orders_placed(shop=shop, order_ids=[order.pk])
    new = OutboundMessage.objects.exclude(status=S.FAILED).get()
    assert (new.status, new.suppressed_reason) == (S.QUEUED, "")
    # and three that were sent do use it up
    with time_machine.travel(DAY, tick=False):
        OutboundMessage.objects.filter(status=S.FAILED).update(status=S.SENT)
        capped = notification_enqueue(shop=shop, customer=customer, trigger="survey_invitation",
                                      context={"survey_url": "https://x.cn/s"}, idempotency_key="capped")
    assert capped.suppressed_reason == "frequency_cap"
