"""Delivery reports and replies pushed by Aliyun and Tencent SMS in their published shapes (an examiner replayed
them: every one was refused, as the gateways cannot sign shouhou's own webhook, and no receipt or 「TD」 was ever
applied). Each gateway posts to its own address holding a secret path token and gets its own answer."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.core.management import call_command

from shouhou.core.testing.factories import CustomerFactory
from shouhou.notifications import gateway_pushes
from shouhou.notifications.models import DeliveryReceipt, OptOutRequest, OutboundMessage
from shouhou.notifications.services import notification_enqueue

SH = dt.timezone(dt.timedelta(hours=8))
DAY = dt.datetime(2026, 11, 20, 14, 0, tzinfo=SH)
S = OutboundMessage.Status


def _url(provider: str, kind: str, token: str | None = None) -> str:
    return f"/notifications/push/{provider}/{token or gateway_pushes.push_token(provider)}/{kind}/"


def _post(client, url, body):
    return client.post(url, data=json.dumps(body, ensure_ascii=False), content_type="application/json")


def _sent(shop, provider: str, provider_id: str, key: str):
    customer = CustomerFactory(shop=shop)
    with time_machine.travel(DAY, tick=False):
        msg = notification_enqueue(shop=shop, customer=customer, trigger="order_placed",
                                   context={"order_no": "OD1"}, idempotency_key=key)
    OutboundMessage.objects.filter(pk=msg.pk).update(status=S.SENT, provider=provider, provider_message_id=provider_id)
    return msg, customer


# Aliyun SmsReport / SmsUp (help.aliyun.com, 短信服务 → 消息回执 → SmsReport、SmsUp): JSON arrays
ALIYUN_REPORT = [
    {"phone_number": "13812345678", "send_time": "2026-11-20 14:00:01", "report_time": "2026-11-20 14:00:05",
     "success": True, "err_code": "DELIVERED", "err_msg": "用户接收成功", "sms_size": "1",
     "biz_id": "932702304080415357^0", "out_id": "1234"},
    {"phone_number": "13900001111", "send_time": "2026-11-20 14:00:01", "report_time": "2026-11-20 14:00:09",
     "success": False, "err_code": "MK:0001", "err_msg": "用户停机", "sms_size": "1",
     "biz_id": "932702304080415358^0", "out_id": "1235"},
]
ALIYUN_UP = [{"phone_number": "13812345678", "content": "TD", "send_time": "2026-11-20 14:03:00",
              "dest_code": "1234", "sequence_id": 1234567890}]
# Tencent Cloud SMS callbacks (cloud.tencent.com/document/api/382/5807 status, /5809 reply)
TENCENT_REPORT = [{"user_receive_time": "2026-11-20 14:00:05", "nationcode": "86", "mobile": "13812345678",
                   "report_status": "SUCCESS", "errmsg": "DELIVRD", "description": "用户短信送达成功",
                   "sid": "2019:-7008466427013960291"},
                  {"user_receive_time": "2026-11-20 14:00:07", "nationcode": "86", "mobile": "13900001111",
                   "report_status": "FAIL", "errmsg": "MK:0005", "description": "用户拒收",
                   "sid": "2019:-7008466427013960292"}]
TENCENT_REPLY = {"extend": "", "mobile": "13812345678", "nationcode": "86", "sign": "小鹿优选", "text": "T",
                 "time": 1763618580}


@pytest.mark.django_db
def test_aliyun_reports_as_published_are_applied_and_answered_as_aliyun_expects(client, shop):
    ok, _ = _sent(shop, "aliyun_sms", "932702304080415357^0", "a1")
    bad, _ = _sent(shop, "aliyun_sms", "932702304080415358^0", "a2")
    answer = _post(client, _url("aliyun_sms", "report"), ALIYUN_REPORT)
    assert answer.status_code == 200 and answer.json() == {"code": 0, "msg": "接收成功"}
    ok.refresh_from_db()
    bad.refresh_from_db()
    assert ok.status == S.DELIVERED and ok.delivered_at == dt.datetime(2026, 11, 20, 14, 0, 5, tzinfo=SH)
    assert bad.status == S.FAILED and bad.last_error == "MK:0001 用户停机"
    # Aliyun retries (after 1, 5 and 10 minutes) a push it thinks failed: the same receipts are kept once
    assert _post(client, _url("aliyun_sms", "report"), ALIYUN_REPORT).status_code == 200
    assert DeliveryReceipt.objects.count() == 2


@pytest.mark.django_db
def test_tencent_reports_as_published_are_applied(client, shop):
    ok, _ = _sent(shop, "tencent_sms", "2019:-7008466427013960291", "t1")
    bad, _ = _sent(shop, "tencent_sms", "2019:-7008466427013960292", "t2")
    answer = _post(client, _url("tencent_sms", "report"), TENCENT_REPORT)
    assert answer.status_code == 200 and answer.json() == {"result": 0, "errmsg": "OK"}
    ok.refresh_from_db()
    bad.refresh_from_db()
    assert (ok.status, bad.status) == (S.DELIVERED, S.FAILED) and bad.last_error == "MK:0005 用户拒收"


@pytest.mark.django_db
@pytest.mark.parametrize("provider, body", [("aliyun_sms", ALIYUN_UP), ("tencent_sms", TENCENT_REPLY)])
def test_a_td_reply_as_published_opts_the_customer_out_once(client, shop, provider, body):
    customer = CustomerFactory(shop=shop, phone="13812345678")
    with time_machine.travel(DAY, tick=False):
        first = _post(client, _url(provider, "reply"), body)
        again = _post(client, _url(provider, "reply"), body)
    assert first.status_code == again.status_code == 200
    assert first.json() == gateway_pushes.ANSWERS[provider]
    customer.refresh_from_db()
    assert customer.opted_out_at == DAY
    assert OptOutRequest.objects.filter(customer=customer).count() == 1


@pytest.mark.django_db
def test_a_wrong_token_or_body_is_refused_in_the_gateways_words(client, shop):
    refused = _post(client, _url("aliyun_sms", "report", token="0" * 32), ALIYUN_REPORT)
    assert refused.status_code == 403 and refused.json()["code"] == 1
    # another gateway's token is no key to this one
    assert _post(client, _url("aliyun_sms", "report", token=gateway_pushes.push_token("tencent_sms")),
                 ALIYUN_REPORT).status_code == 403
    bad = _post(client, _url("tencent_sms", "report"), [{"sid": "x", "report_status": "MAYBE"}])
    assert bad.status_code == 400 and bad.json() == {
        "result": 1, "errmsg": "第 1 条 report_status: 应为 SUCCESS 或 FAIL，实际为 'MAYBE'"}
    assert _post(client, _url("aliyun_sms", "report"), {"not": "a list"}).json()["msg"] == "应为 JSON 数组"
    assert client.post(_url("aliyun_sms", "report"), data=b"{", content_type="application/json").status_code == 400
    assert _post(client, _url("aliyun_sms", "refund"), []).status_code == 404
    assert client.get(_url("aliyun_sms", "report")).status_code == 405


@pytest.mark.django_db
def test_without_a_secret_every_push_is_refused(client, shop, settings):
    token = gateway_pushes.push_token("aliyun_sms")
    settings.SHOUHOU_NOTIFY_WEBHOOK_SECRET = ""
    assert gateway_pushes.push_token("aliyun_sms") == ""
    assert _post(client, _url("aliyun_sms", "report", token=token), ALIYUN_REPORT).status_code == 403
    # a gateway's own push_token option works without it
    settings.SHOUHOU_NOTIFY_PROVIDERS = {"aliyun_sms": {"push_token": "own-token-123"}}
    assert _post(client, _url("aliyun_sms", "report", token="own-token-123"), ALIYUN_REPORT).status_code == 200


def test_the_cli_prints_the_four_addresses(capsys, settings):
    settings.SHOUHOU_NOTIFY_WEBHOOK_SECRET = "hook-secret"
    call_command("notify", "push-urls")
    out = capsys.readouterr().out
    for provider in gateway_pushes.PROVIDERS:
        for kind in gateway_pushes.KINDS:
            assert f"/notifications/push/{provider}/{gateway_pushes.push_token(provider)}/{kind}/" in out
