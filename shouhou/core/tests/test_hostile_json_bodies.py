"""Deeply nested and huge-number JSON on every push and webhook: refused 4xx in the caller's shape, in neutral words.

Before core/jsonbody, `[`×100000 raised RecursionError and a 5,000-digit integer ValueError past the adapters'
`except JSONDecodeError` (快手, 有赞, 微信小店: 500 before any signature check) and past the signed hooks' `except
ValueError` (500 once signed); the 400s that did come back repeated Python's 「Exceeds the limit (4300 digits)」.
"""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from shouhou.core.jsonbody import MAX_DEPTH, MAX_INT_DIGITS, NOT_JSON, JsonBodyError, json_body
from shouhou.core.webhooks import signed_headers
from shouhou.inbox.choices import Channel
from shouhou.inbox.models import ChannelAccount
from shouhou.notifications import gateway_pushes
from shouhou.platforms.adapters.doudian import push_sign
from shouhou.platforms.crypto import seal
from shouhou.platforms.models import PlatformConnection
from shouhou.reviews.services import review_webhook_secret

SECRET = "s" * 48
AES = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
HOSTILE = {
    "deep_array": b"[" * 100_000,
    "deep_object": b'{"a":' * 50_000,
    "long_int": b'{"a": ' + b"1" * 5_000 + b"}",
    "long_int_in_list": b"[" + b"1" * 5_000 + b"]",
    "closed_but_deep": b"[" * 500 + b"]" * 500,
    "nan": b'{"a": NaN}',
}
PARSER_WORDS = ("Exceeds", "4300", "recursion", "Expecting", "NaN")


def _text(response) -> str:
    try:
        return json.dumps(response.json(), ensure_ascii=False)
    except ValueError:
        return response.content.decode()


def _neutral(response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:200])
    text = _text(response)
    assert not any(word in text for word in PARSER_WORDS), text[:300]


# --- the helper ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(HOSTILE))
def test_json_body_refuses_hostile_bodies_in_neutral_words(name):
    with pytest.raises(JsonBodyError) as caught:
        json_body(HOSTILE[name])
    assert str(caught.value) == NOT_JSON
    assert isinstance(caught.value, json.JSONDecodeError)  # the adapters' `except JSONDecodeError` answers it


def test_json_body_keeps_what_a_platform_sends():
    nested = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert json_body(nested) is not None
    with pytest.raises(JsonBodyError):
        json_body(b"[" + nested + b"]")
    assert json_body(b'{"id": ' + b"9" * MAX_INT_DIGITS + b', "n": -12, "x": 1.5e3}')["n"] == -12
    with pytest.raises(JsonBodyError):
        json_body(b"-" + b"9" * (MAX_INT_DIGITS + 1))
    assert json_body(b"", empty={}) == {}
    with pytest.raises(JsonBodyError):
        json_body(b"")
    with pytest.raises(JsonBodyError):
        json_body(b"\xff\xfe{")
    assert json_body('{"名": "小鹿"}') == {"名": "小鹿"}


# --- the platform pushes: anonymous, before any signature check ------------------------------------------------------

@pytest.fixture
def connections(shop):
    for platform in ("doudian", "kuaishou", "wechat_shop", "youzan"):
        PlatformConnection.objects.create(
            shop=shop, platform=platform, platform_shop_id="s1", app_key=f"key-{platform}",
            secrets=seal({"app_secret": f"sec-{platform}", "sign_secret": f"tok-{platform}", "msg_secret": AES,
                          "access_token": "at"}))
    return shop


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(HOSTILE))
@pytest.mark.parametrize("path", ["/platforms/kuaishou/push/", "/platforms/kuaishou/push/key-kuaishou/",
                                  "/platforms/youzan/push/", "/platforms/youzan/push/key-youzan/",
                                  "/platforms/wechat_shop/push/", "/platforms/doudian/push/"])
def test_platform_pushes_refuse_hostile_json_in_their_shape(connections, path, name):
    query = f"?timestamp={int(time.time())}&nonce=1&msg_signature=x&encrypt_type=aes"
    client = Client(raise_request_exception=False)
    response = client.post(path + query, data=HOSTILE[name], content_type="application/json")
    _neutral(response)
    if "youzan" in path:
        assert response.json()["code"] == 401 and "success" not in response.json()["msg"]
    if "kuaishou" in path:
        assert response.json()["result"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_signed_doudian_push_of_hostile_json_is_refused(connections, name):
    body = HOSTILE[name]
    response = Client(raise_request_exception=False).post(
        "/platforms/doudian/push/", data=body, content_type="application/json",
        headers={"app-id": "key-doudian", "event-sign": push_sign("key-doudian", "sec-doudian", body)})
    _neutral(response)
    assert response.json()["code"] == 1


# --- the signed webhooks ---------------------------------------------------------------------------------------------

@pytest.fixture
def webhooks(shop, settings):
    shop.settings = {**(shop.settings or {}), "tracking_secret": SECRET, "webhook_secret": SECRET}
    shop.save(update_fields=["settings"])
    settings.SHOUHOU_NOTIFY_WEBHOOK_SECRET = SECRET
    for kind, channel in (("social", Channel.SOCIAL_COMMENT), ("email", Channel.EMAIL)):
        ChannelAccount.objects.create(shop=shop, channel=channel, name=kind, key=f"{kind}-hj", secret=SECRET)
    assert review_webhook_secret(shop) == SECRET
    return ["/inbox/hooks/social/social-hj/", "/inbox/hooks/email/email-hj/", "/notifications/webhooks/sms-reply/",
            "/notifications/webhooks/receipts/aliyun_sms/", f"/logistics/push/generic/{shop.code}/",
            f"/api/reviews/webhook/{shop.code}"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(HOSTILE))
def test_signed_webhooks_answer_400_in_neutral_words(webhooks, name):
    client = Client(raise_request_exception=False)
    for path in webhooks:
        response = client.post(path, data=HOSTILE[name], content_type="application/json",
                               headers=signed_headers(SECRET, HOSTILE[name]))
        _neutral(response)
        assert response.status_code == 400, (path, response.content[:200])
        assert NOT_JSON in _text(response), (path, _text(response)[:200])


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(HOSTILE))
def test_gateway_pushes_refuse_hostile_json_in_the_gateways_shape(settings, name):
    settings.SHOUHOU_NOTIFY_WEBHOOK_SECRET = SECRET
    client = Client(raise_request_exception=False)
    for provider, kind in gateway_pushes.PARSERS:
        token = gateway_pushes.push_token(provider)
        response = client.post(f"/notifications/push/{provider}/{token}/{kind}/", data=HOSTILE[name],
                               content_type="application/json")
        _neutral(response)
        assert response.json() == gateway_pushes.refusal(provider, NOT_JSON)
