"""Every inbound webhook refuses every delivery when its secret is empty (or blank), and WeChat/WeCom
refuse a signature over a timestamp outside the 5-minute window. Before: WeChat plain mode accepted the
SHA-1 of an empty token, which anyone can compute from the public timestamp and nonce (issue 15)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
import time_machine

from shouhou.core.signatures import SignatureError, verify
from shouhou.core.webhooks import signed_headers
from shouhou.inbox.channels import crypto, testing
from shouhou.inbox.choices import Channel
from shouhou.inbox.models import ChannelAccount, Message
from shouhou.logistics.pushes import kuaidi100_sign

pytestmark = pytest.mark.django_db

NOW = 1764576060  # 2025-12-01 08:01 UTC
SIGNED_AT = "1764576000"
TEXT = ("<xml><ToUserName><![CDATA[gh_demo]]></ToUserName><FromUserName><![CDATA[oCustomer]]></FromUserName>"
        "<CreateTime>1764576000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        "<Content><![CDATA[我的快递到哪了]]></Content><MsgId>900001</MsgId></xml>")


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _account(shop, channel, key, **secrets):
    return ChannelAccount.objects.create(shop=shop, channel=channel, name=key, key=key, app_id="wx5823bf96d3bd56c7",
                                         aes_key=testing.AES_KEY, **secrets)


@pytest.mark.parametrize("token", ["", "  "])
def test_wechat_plain_push_signed_with_an_empty_token_is_refused(client, shop, token):
    # given an official account whose token was never filled in
    _account(shop, Channel.WECHAT, "gh-empty", token=token)
    # when an attacker signs a push with the SHA-1 over the empty token (everything else is public)
    query = urlencode({"signature": crypto.sha1_signature(token, SIGNED_AT, "n"), "timestamp": SIGNED_AT,
                       "nonce": "n"})
    response = client.post(f"/inbox/hooks/wechat/gh-empty/?{query}", data=TEXT.encode(), content_type="text/xml")
    # then it is refused and nothing is stored
    assert response.status_code == 403
    assert not Message.objects.exists()
    # and so is the URL check
    echo = client.get(f"/inbox/hooks/wechat/gh-empty/?{query}&echostr=42")
    assert echo.status_code == 403 and echo.content != b"42"


def test_wechat_plain_push_outside_the_time_window_is_refused(client, shop):
    _account(shop, Channel.WECHAT, "gh-ok", token="tok-real")
    old = str(NOW - 301)
    query = urlencode({"signature": crypto.sha1_signature("tok-real", old, "n"), "timestamp": old, "nonce": "n"})
    response = client.post(f"/inbox/hooks/wechat/gh-ok/?{query}", data=TEXT.encode(), content_type="text/xml")
    assert response.status_code == 403
    assert "时间戳" in response.content.decode()
    assert not Message.objects.exists()
    # the same push signed inside the window is taken
    fresh = testing.wechat_query(token="tok-real", timestamp=str(NOW - 299))
    assert client.post(f"/inbox/hooks/wechat/gh-ok/?{fresh}", data=TEXT.encode(),
                       content_type="text/xml").status_code == 200
    assert Message.objects.count() >= 1


def test_wechat_safe_mode_with_an_empty_token_is_refused(client, shop):
    _account(shop, Channel.WECHAT, "gh-safe", token="")
    query, body = testing.wechat_safe_push(token="", aes_key=testing.AES_KEY, app_id="wx5823bf96d3bd56c7",
                                           inner_xml=TEXT, timestamp=SIGNED_AT)
    assert client.post(f"/inbox/hooks/wechat/gh-safe/?{query}", data=body, content_type="text/xml").status_code == 403
    assert not Message.objects.exists()


@pytest.mark.parametrize("timestamp", [SIGNED_AT, str(NOW - 3600)])
def test_wecom_with_an_empty_token_or_an_old_timestamp_is_refused(client, shop, timestamp):
    token = "" if timestamp == SIGNED_AT else "tok-wecom"
    _account(shop, Channel.WECOM, "wecom-x", token=token)
    inner = testing.wecom_text_xml(user_id="zhangsan", content="你好", msg_id="7001", corp_id="wx5823bf96d3bd56c7")
    query, body = testing.wecom_push(token=token, aes_key=testing.AES_KEY, corp_id="wx5823bf96d3bd56c7",
                                     inner_xml=inner, timestamp=timestamp)
    assert client.post(f"/inbox/hooks/wecom/wecom-x/?{query}", data=body, content_type="text/xml").status_code == 403
    assert not Message.objects.exists()


@pytest.mark.parametrize("secret", ["", " "])
@pytest.mark.parametrize("kind", ["social", "email"])
def test_signed_json_channels_with_a_blank_secret_refuse(client, shop, secret, kind):
    _account(shop, Channel.SOCIAL_COMMENT if kind == "social" else Channel.EMAIL, f"{kind}-x", secret=secret)
    body = json.dumps({"messages": []}).encode()
    response = client.post(f"/inbox/hooks/{kind}/{kind}-x/", data=body, content_type="application/json",
                           **_headers(signed_headers(secret, body, timestamp=NOW)))
    assert response.status_code in (401, 403)


def _headers(headers: dict) -> dict:
    return {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}


@pytest.mark.parametrize("secret", ["", "   "])
def test_generic_tracking_push_with_a_blank_secret_refuses(client, shop, secret):
    shop.settings = {**(shop.settings or {}), "tracking_secret": secret}
    shop.save(update_fields=["settings"])
    body = json.dumps({"carrier": "SF", "tracking_no": "SF1", "events": []}).encode()
    response = client.post(f"/logistics/push/generic/{shop.code}/", data=body, content_type="application/json",
                           **_headers(signed_headers(secret, body, timestamp=NOW)))
    assert response.status_code == 401


def test_kuaidi100_push_with_a_blank_salt_refuses(client, shop):
    shop.settings = {**(shop.settings or {}), "kuaidi100_salt": " "}
    shop.save(update_fields=["settings"])
    param = json.dumps({"lastResult": {"nu": "SF1", "com": "shunfeng", "data": []}})
    response = client.post(f"/logistics/push/kuaidi100/{shop.code}/", {"param": param,
                                                                        "sign": kuaidi100_sign(param, " ")})
    assert response.status_code == 403


@pytest.mark.parametrize("secret", ["", " "])
def test_notification_receipts_with_a_blank_secret_refuse(client, settings, secret):
    settings.SHOUHOU_NOTIFY_WEBHOOK_SECRET = secret
    body = json.dumps({"id": "r1", "status": "delivered"}).encode()
    for path in ("/notifications/webhooks/receipts/aliyun/", "/notifications/webhooks/sms-reply/"):
        response = client.post(path, data=body, content_type="application/json",
                               **_headers(signed_headers(secret, body, timestamp=NOW)))
        assert response.status_code == 401, path


@pytest.mark.parametrize("secret", ["", " \t"])
def test_the_one_verifier_refuses_a_blank_secret(secret):
    from shouhou.core.signatures import sign
    with pytest.raises(SignatureError, match="未配置签名密钥"):
        verify(secret, str(NOW), b"{}", sign(secret, str(NOW), b"{}"))
