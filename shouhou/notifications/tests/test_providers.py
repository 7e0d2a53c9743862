"""Each HTTP adapter against a real local HTTP server that checks the documented request shape."""

import base64
import hashlib
import hmac
import json
import socketserver
import threading
from urllib.parse import parse_qsl, quote

import pytest

from shouhou.core.testing.factories import CustomerFactory
from shouhou.notifications.models import OutboundMessage
from shouhou.notifications.providers import provider_for_channel
from shouhou.notifications.providers.aliyun_sms import AliyunSmsProvider
from shouhou.notifications.providers.base import PermanentError, RetryableError
from shouhou.notifications.providers.email import EmailProvider
from shouhou.notifications.providers.tencent_sms import TencentSmsProvider
from shouhou.notifications.providers.wechat import (
    WeChatSubscribeProvider,
    WeChatTemplateProvider,
    WeComProvider,
)


@pytest.fixture
def message(shop):
    c = CustomerFactory(shop=shop, phone="13812345678")
    return OutboundMessage.objects.create(
        shop=shop, customer=c, channel="sms", trigger="order_shipped", recipient="13812345678",
        body="您的订单已发货", context={"carrier": "顺丰速运", "tracking_no": "SF100"}, idempotency_key="p1")


ALIYUN = {"access_key_id": "LTAIexample", "access_key_secret": "secret-x", "sign_name": "小鹿直播",
          "template_codes": {"order_shipped": "SMS_123456"}}


def _aliyun_expected_signature(fields: dict[str, str], secret: str) -> str:
    enc = lambda v: quote(v, safe="~")  # noqa: E731
    canonical = "&".join(f"{enc(k)}={enc(fields[k])}" for k in sorted(fields))
    to_sign = "POST&%2F&" + enc(canonical)
    return base64.b64encode(hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


def test_aliyun_sendsms_request_shape_and_signature(http_stub, message):
    http_stub.answer((200, {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "r1"}))
    result = AliyunSmsProvider({**ALIYUN, "base_url": http_stub.base_url}).send(message)
    assert result.provider_message_id == "900619746936498440^0"
    req = http_stub.requests[0]
    assert req["headers"]["content-type"] == "application/x-www-form-urlencoded"
    fields = dict(parse_qsl(req["body"].decode()))
    assert fields["Action"] == "SendSms" and fields["Version"] == "2017-05-25"
    assert fields["PhoneNumbers"] == "13812345678" and fields["SignName"] == "小鹿直播"
    assert fields["TemplateCode"] == "SMS_123456" and fields["OutId"] == str(message.pk)
    assert json.loads(fields["TemplateParam"]) == {"carrier": "顺丰速运", "tracking_no": "SF100"}
    assert fields["SignatureMethod"] == "HMAC-SHA1" and fields["SignatureVersion"] == "1.0"
    signature = fields.pop("Signature")
    assert signature == _aliyun_expected_signature(fields, "secret-x")


@pytest.mark.parametrize(("answer", "error"), [
    ((200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}), PermanentError),
    ((200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "业务限流"}), RetryableError),
    ((503, {"Code": "ServiceUnavailable"}), RetryableError),
])
def test_aliyun_failures_classified(http_stub, message, answer, error):
    http_stub.answer(answer)
    with pytest.raises(error):
        AliyunSmsProvider({**ALIYUN, "base_url": http_stub.base_url}).send(message)


TENCENT = {"secret_id": "AKIDexample", "secret_key": "key-y", "sdk_app_id": "1400006666", "sign_name": "小鹿直播",
           "template_ids": {"order_shipped": "449739"}, "host": "sms.tencentcloudapi.com"}


def test_tencent_sendsms_tc3_request(http_stub, message):
    http_stub.answer((200, {"Response": {"SendStatusSet": [{"SerialNo": "5000:1045710669157053657849499619",
                                                            "PhoneNumber": "+8613812345678", "Code": "Ok",
                                                            "Message": "send success"}], "RequestId": "a0"}}))
    result = TencentSmsProvider({**TENCENT, "base_url": http_stub.base_url}).send(message)
    assert result.provider_message_id == "5000:1045710669157053657849499619"
    req = http_stub.requests[0]
    h = req["headers"]
    assert h["x-tc-action"] == "SendSms" and h["x-tc-version"] == "2021-01-11" and h["x-tc-region"] == "ap-guangzhou"
    body = json.loads(req["body"])
    assert body == {"PhoneNumberSet": ["+8613812345678"], "SmsSdkAppId": "1400006666", "TemplateId": "449739",
                    "SignName": "小鹿直播", "TemplateParamSet": ["顺丰速运", "SF100"], "SessionContext": str(message.pk)}
    # independent TC3-HMAC-SHA256 recomputation
    ts = int(h["x-tc-timestamp"])
    import datetime as dt

    date = dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d")
    creq = "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:sms.tencentcloudapi.com\n\n" \
           "content-type;host\n" + hashlib.sha256(req["body"]).hexdigest()
    sts = f"TC3-HMAC-SHA256\n{ts}\n{date}/sms/tc3_request\n" + hashlib.sha256(creq.encode()).hexdigest()
    k = hmac.new(b"TC3key-y", date.encode(), hashlib.sha256).digest()
    k = hmac.new(k, b"sms", hashlib.sha256).digest()
    k = hmac.new(k, b"tc3_request", hashlib.sha256).digest()
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    assert h["authorization"] == (f"TC3-HMAC-SHA256 Credential=AKIDexample/{date}/sms/tc3_request, "
                                  f"SignedHeaders=content-type;host, Signature={sig}")


@pytest.mark.parametrize(("answer", "error"), [
    ({"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "签名错误"}, "RequestId": "x"}},
     PermanentError),
    ({"Response": {"Error": {"Code": "RequestLimitExceeded", "Message": "限频"}, "RequestId": "x"}}, RetryableError),
    ({"Response": {"SendStatusSet": [{"Code": "InvalidParameterValue.IncorrectPhoneNumber", "Message": "手机号错误",
                                      "SerialNo": ""}], "RequestId": "x"}}, PermanentError),
])
def test_tencent_failures_classified(http_stub, message, answer, error):
    http_stub.answer((200, answer))
    with pytest.raises(error):
        TencentSmsProvider({**TENCENT, "base_url": http_stub.base_url}).send(message)


def test_wechat_template_message(http_stub, message):
    message.recipient = "oOPENID123"
    http_stub.answer((200, {"errcode": 0, "errmsg": "ok", "msgid": 200228332}))
    opts = {"base_url": http_stub.base_url, "access_token": "TOKEN1", "template_ids": {"order_shipped": "tpl-1"}}
    assert WeChatTemplateProvider(opts).send(message).provider_message_id == "200228332"
    req = http_stub.requests[0]
    assert req["path"] == "/cgi-bin/message/template/send?access_token=TOKEN1"
    body = json.loads(req["body"])
    assert body["touser"] == "oOPENID123" and body["template_id"] == "tpl-1"
    assert body["data"]["tracking_no"] == {"value": "SF100"}


@pytest.mark.parametrize(("errcode", "error"), [(43101, PermanentError), (40003, PermanentError),
                                                (-1, RetryableError), (45009, RetryableError)])
def test_wechat_subscribe_errors(http_stub, message, errcode, error):
    http_stub.answer((200, {"errcode": errcode, "errmsg": "x"}))
    opts = {"base_url": http_stub.base_url, "access_token": "T", "template_ids": {"order_shipped": "s-1"}}
    with pytest.raises(error):
        WeChatSubscribeProvider(opts).send(message)
    assert http_stub.requests[0]["path"] == "/cgi-bin/message/subscribe/send?access_token=T"
    assert json.loads(http_stub.requests[0]["body"])["page"] == "pages/index/index"


def test_wecom_text_message(http_stub, message):
    http_stub.answer((200, {"errcode": 0, "errmsg": "ok", "msgid": "m-9"}))
    opts = {"base_url": http_stub.base_url, "access_token": "W", "agent_id": 1000002}
    assert WeComProvider(opts).send(message).provider_message_id == "m-9"
    body = json.loads(http_stub.requests[0]["body"])
    assert body == {"touser": "13812345678", "msgtype": "text", "agentid": 1000002, "text": {"content": "您的订单已发货"}}


def test_provider_unreachable_is_retryable(message):
    with pytest.raises(RetryableError):
        AliyunSmsProvider({**ALIYUN, "base_url": "http://127.0.0.1:9"}).send(message)


class _SMTPHandler(socketserver.StreamRequestHandler):
    def handle(self):
        w = lambda s: self.wfile.write(s.encode() + b"\r\n")  # noqa: E731
        w("220 test")
        data_mode, lines = False, []
        while True:
            line = self.rfile.readline().decode("utf-8", "replace").rstrip("\r\n")
            if not line and not data_mode:
                return
            if data_mode:
                if line == ".":
                    data_mode = False
                    self.server.received.append("\n".join(lines))
                    w("250 queued")
                else:
                    lines.append(line)
                continue
            cmd = line.split(" ")[0].upper()
            if cmd in ("EHLO", "HELO"):
                w("250 test")
            elif cmd == "RCPT" and "refuse" in line:
                w("550 no such user")
            elif cmd in ("MAIL", "RCPT", "RSET", "NOOP"):
                w("250 ok")
            elif cmd == "DATA":
                data_mode = True
                w("354 go")
            elif cmd == "QUIT":
                w("221 bye")
                return


def test_smtp_email_through_django_backend(message):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        opts = {"host": "127.0.0.1", "port": server.server_address[1], "from_email": "care@shop.example"}
        message.recipient = "buyer@example.com"
        assert EmailProvider(opts).send(message).provider_message_id == f"email-{message.pk}"
        assert len(server.received) == 1 and "buyer@example.com" in server.received[0]
        message.recipient = "refuse@example.com"
        with pytest.raises(PermanentError):
            EmailProvider(opts).send(message)
    finally:
        server.shutdown()
        server.server_close()


def test_channel_routing_from_settings(settings):
    settings.SHOUHOU_NOTIFY_CHANNELS = {"sms": "aliyun_sms"}
    settings.SHOUHOU_NOTIFY_PROVIDERS = {"aliyun_sms": {"rate_per_second": 50}}
    p = provider_for_channel("sms")
    assert (p.name, p.rate_per_second) == ("aliyun_sms", 50.0)
    assert provider_for_channel("email").name == "local"


# --- what a real enqueued message carries: only the template's own variables go to the gateway ---------

@pytest.fixture
def enqueued(shop, django_capture_on_commit_callbacks):
    """A message as notification_enqueue writes it (context with shop name, service contact ...)."""
    from shouhou.notifications.services import notification_enqueue

    shop.service_phone = "400-820-1234"
    shop.save()
    c = CustomerFactory(shop=shop, phone="13812345678", name="王小明")
    return notification_enqueue(shop=shop, customer=c, trigger="order_shipped",
                                context={"order_no": "DD2026112001", "carrier": "顺丰速运", "tracking_no": "SF100"},
                                idempotency_key="shipment:7:shipped")


def test_aliyun_template_param_holds_only_the_triggers_variables(http_stub, enqueued):
    http_stub.answer((200, {"Code": "OK", "BizId": "b1"}))
    AliyunSmsProvider({**ALIYUN, "base_url": http_stub.base_url}).send(enqueued)
    fields = dict(parse_qsl(http_stub.requests[0]["body"].decode()))
    assert json.loads(fields["TemplateParam"]) == {"order_no": "DD2026112001", "carrier": "顺丰速运",
                                                   "tracking_no": "SF100"}


def test_tencent_param_set_follows_the_configured_order(http_stub, enqueued):
    """Tencent templates are positional ({1}, {2}): the configured list fixes the order and the count."""
    http_stub.answer((200, {"Response": {"SendStatusSet": [{"Code": "Ok", "SerialNo": "s1"}], "RequestId": "r"}}))
    opts = {**TENCENT, "base_url": http_stub.base_url,
            "template_params": {"order_shipped": ["tracking_no", "carrier"]}}
    TencentSmsProvider(opts).send(enqueued)
    body = json.loads(http_stub.requests[0]["body"])
    assert body["TemplateParamSet"] == ["SF100", "顺丰速运"]


def test_wechat_token_fetched_cached_and_refreshed_after_40001(http_stub, enqueued, settings):
    from django.core.cache import cache

    cache.clear()
    enqueued.recipient = "oOPENID123"
    opts = {"base_url": http_stub.base_url, "appid": "wx123", "secret": "app-secret",
            "template_ids": {"order_shipped": "tpl-1"},
            "fields": {"order_shipped": {"character_string1": "order_no", "thing2": "carrier"}}}
    http_stub.answer(
        (200, {"access_token": "TOKEN-A", "expires_in": 7200}),
        (200, {"errcode": 0, "errmsg": "ok", "msgid": 1}),
        (200, {"errcode": 0, "errmsg": "ok", "msgid": 2}),
        (200, {"errcode": 40001, "errmsg": "invalid credential"}),
        (200, {"access_token": "TOKEN-B", "expires_in": 7200}),
        (200, {"errcode": 0, "errmsg": "ok", "msgid": 3}),
    )
    provider = WeChatTemplateProvider(opts)
    assert provider.send(enqueued).provider_message_id == "1"
    assert provider.send(enqueued).provider_message_id == "2"  # token from the cache
    with pytest.raises(RetryableError):
        provider.send(enqueued)  # the token was revoked: dropped, the outbox retries
    assert provider.send(enqueued).provider_message_id == "3"
    paths = [(r["method"], r["path"]) for r in http_stub.requests]
    assert paths == [
        ("GET", "/cgi-bin/token?grant_type=client_credential&appid=wx123&secret=app-secret"),
        ("POST", "/cgi-bin/message/template/send?access_token=TOKEN-A"),
        ("POST", "/cgi-bin/message/template/send?access_token=TOKEN-A"),
        ("POST", "/cgi-bin/message/template/send?access_token=TOKEN-A"),
        ("GET", "/cgi-bin/token?grant_type=client_credential&appid=wx123&secret=app-secret"),
        ("POST", "/cgi-bin/message/template/send?access_token=TOKEN-B"),
    ]
    body = json.loads(http_stub.requests[1]["body"])
    assert body == {"touser": "oOPENID123", "template_id": "tpl-1", "client_msg_id": "shipment:7:shipped",
                    "data": {"character_string1": {"value": "DD2026112001"}, "thing2": {"value": "顺丰速运"}}}


def test_wechat_token_refused_is_permanent(http_stub, enqueued):
    from django.core.cache import cache

    cache.clear()
    http_stub.answer((200, {"errcode": 40125, "errmsg": "invalid appsecret"}))
    opts = {"base_url": http_stub.base_url, "appid": "wx9", "secret": "bad", "template_ids": {"order_shipped": "t"}}
    with pytest.raises(PermanentError, match="40125"):
        WeChatSubscribeProvider(opts).send(enqueued)
    assert len(http_stub.requests) == 1  # no message sent without a token


def test_wecom_token_from_corpid(http_stub, enqueued):
    from django.core.cache import cache

    cache.clear()
    http_stub.answer((200, {"errcode": 0, "access_token": "WT", "expires_in": 7200}),
                     (200, {"errcode": 0, "errmsg": "ok", "msgid": "m-1"}))
    opts = {"base_url": http_stub.base_url, "corpid": "ww1", "corpsecret": "cs", "agent_id": 1000002}
    assert WeComProvider(opts).send(enqueued).provider_message_id == "m-1"
    assert [r["path"] for r in http_stub.requests] == ["/cgi-bin/gettoken?corpid=ww1&corpsecret=cs",
                                                       "/cgi-bin/message/send?access_token=WT"]


def test_wechat_subscribe_values_fit_each_keywords_published_limit(http_stub, message):
    # an order number is a character_string (32), not a thing (20): it was cut to 20 and sent wrong, silently
    message.recipient = "oOPENID123"
    message.context = {"order_no": "231120-012345678901234", "carrier": "顺丰速运国际快递有限公司上海浦东新区分公司",
                       "who": "欧阳娜娜欧阳娜娜欧阳娜娜", "state": "已发货请注意查收", "when": "2026-11-20 14:00"}
    http_stub.answer((200, {"errcode": 0, "errmsg": "ok"}))
    opts = {"base_url": http_stub.base_url, "access_token": "T", "template_ids": {"order_shipped": "s-1"},
            "fields": {"order_shipped": {"character_string1": "order_no", "thing2": "carrier", "name3": "who",
                                         "phrase4": "state", "time5": "when"}}}
    WeChatSubscribeProvider(opts).send(message)
    data = json.loads(http_stub.requests[0]["body"])["data"]
    assert data["character_string1"]["value"] == "231120-012345678901234"
    assert len(data["thing2"]["value"]) == 20
    assert data["name3"]["value"] == "欧阳娜娜欧阳娜娜欧阳"  # 10 Chinese characters
    assert data["phrase4"]["value"] == "已发货请注"  # 5
    assert data["time5"]["value"] == "2026-11-20 14:00"


def test_tencent_ids_given_as_numbers_are_sent_as_strings(http_stub, message):
    http_stub.answer((200, {"Response": {"SendStatusSet": [{"Code": "Ok", "SerialNo": "s-1", "PhoneNumber": "+8613812345678"}],
                                         "RequestId": "r"}}))
    opts = {**TENCENT, "base_url": http_stub.base_url, "sdk_app_id": 1400006666, "template_ids": {"order_shipped": 449739}}
    TencentSmsProvider(opts).send(message)
    body = json.loads(http_stub.requests[0]["body"])
    assert body["SmsSdkAppId"] == "1400006666" and body["TemplateId"] == "449739"
