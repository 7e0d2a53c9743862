"""An SMS goes to exactly one phone number: Aliyun's `PhoneNumbers` is a comma-separated list, so a customer
phone holding two numbers (or a line break, a name) sent the message to both. Refused before any request."""

from __future__ import annotations

import pytest

from shouhou.core.testing.factories import CustomerFactory
from shouhou.notifications.models import OutboundMessage
from shouhou.notifications.providers.aliyun_sms import AliyunSmsProvider
from shouhou.notifications.providers.base import PermanentError, sms_recipient_check
from shouhou.notifications.providers.tencent_sms import TencentSmsProvider

pytestmark = pytest.mark.django_db

ALIYUN = {"access_key_id": "LTAIexample", "access_key_secret": "secret-x", "sign_name": "小鹿直播",
          "template_codes": {"order_shipped": "SMS_123456"}, "base_url": "http://127.0.0.1:9"}
TENCENT = {"secret_id": "AKIDexample", "secret_key": "k", "sdk_app_id": "1400000000", "sign_name": "小鹿直播",
           "template_ids": {"order_shipped": "1234567"}, "host": "127.0.0.1:9", "scheme": "http"}
BAD = ["13812345678,13900000000", "13812345678\r\n", " 13812345678", "1381234567８", "张三 13812345678", "", "+"]


@pytest.mark.parametrize("recipient", BAD)
def test_only_one_plain_number_is_accepted(recipient):
    with pytest.raises(PermanentError, match="收件手机号无效"):
        sms_recipient_check(recipient)


@pytest.mark.parametrize("recipient", ["13812345678", "+8613812345678", "+14155550100"])
def test_plain_numbers_pass(recipient):
    assert sms_recipient_check(recipient) == recipient


@pytest.mark.parametrize("provider, options", [(AliyunSmsProvider, ALIYUN), (TencentSmsProvider, TENCENT)])
def test_the_sms_providers_refuse_two_numbers_before_sending(shop, monkeypatch, provider, options):
    import shouhou.notifications.providers.aliyun_sms as aliyun
    import shouhou.notifications.providers.tencent_sms as tencent

    sent = []
    for module in (aliyun, tencent):
        monkeypatch.setattr(module, "http_json", lambda *a, **k: sent.append(a) or (200, {}))
    customer = CustomerFactory(shop=shop, phone="13812345678")
    message = OutboundMessage.objects.create(
        shop=shop, customer=customer, channel="sms", trigger="order_shipped", recipient="13812345678,13900000000",
        body="您的订单已发货", context={"carrier": "顺丰速运", "tracking_no": "SF100"}, idempotency_key="two")

    with pytest.raises(PermanentError, match="收件手机号无效"):
        provider(options).send(message)
    assert sent == []
