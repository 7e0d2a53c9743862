"""A signature header that is not hex is refused like a wrong one (401), never a 500: hmac.compare_digest raises
TypeError on a non-ASCII str, and a header of 「é」 (any byte above 0x7F) broke every webhook checked by the one
verifier (core/signatures.verify)."""

from __future__ import annotations

import json

import pytest
import time_machine

from shouhou.core.signatures import SignatureError, sign, verify
from shouhou.inbox.choices import Channel
from shouhou.inbox.models import ChannelAccount

pytestmark = pytest.mark.django_db

NOW = 1764576060
SECRET = "a-long-webhook-secret-for-tests"
BAD_SIGNATURES = ["é" * 64, "签名", "\u00ff", "ａｂｃ"]


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.parametrize("signature", BAD_SIGNATURES)
def test_the_verifier_refuses_a_signature_that_is_not_hex(signature):
    with pytest.raises(SignatureError, match="签名不匹配"):
        verify(SECRET, str(NOW), b"{}", signature)


def test_the_verifier_still_takes_a_right_signature_in_either_case():
    good = sign(SECRET, str(NOW), b"{}")
    verify(SECRET, str(NOW), b"{}", good.upper())


@pytest.fixture
def webhooks(shop, settings):
    """Every inbound webhook that the one verifier checks, with its secret set."""
    shop.settings = {**(shop.settings or {}), "tracking_secret": SECRET, "webhook_secret": SECRET}
    shop.save(update_fields=["settings"])
    settings.SHOUHOU_NOTIFY_WEBHOOK_SECRET = SECRET
    for kind, channel in (("social", Channel.SOCIAL_COMMENT), ("email", Channel.EMAIL)):
        ChannelAccount.objects.create(shop=shop, channel=channel, name=kind, key=f"{kind}-x", secret=SECRET)
    return [f"/logistics/push/generic/{shop.code}/", f"/api/reviews/webhook/{shop.code}",
            "/notifications/webhooks/sms-reply/", "/notifications/webhooks/receipts/aliyun_sms/",
            "/inbox/hooks/social/social-x/", "/inbox/hooks/email/email-x/"]


@pytest.mark.parametrize("signature", BAD_SIGNATURES)
def test_every_signed_webhook_answers_401_to_a_signature_that_is_not_hex(client, webhooks, signature):
    body = json.dumps({"id": "r1"}).encode()
    for path in webhooks:
        response = client.post(path, data=body, content_type="application/json",
                               HTTP_X_SHOUHOU_TIMESTAMP=str(NOW), HTTP_X_SHOUHOU_SIGNATURE=signature)
        assert response.status_code == 401, (path, response.status_code)


def test_the_wechat_hook_answers_a_non_hex_signature_as_a_wrong_one(client, shop):
    """The WeChat/WeCom hooks' SHA-1 check and the platforms' push checks compare through the same
    core.signatures.same_text: a query or header of 「é」 is a wrong signature, not a TypeError."""
    from shouhou.inbox.channels.crypto import signature_ok

    assert signature_ok(("token", str(NOW), "1"), "é" * 40) is False


@pytest.mark.parametrize("signature", BAD_SIGNATURES)
def test_platform_pushes_refuse_a_non_hex_event_sign(signature):
    from shouhou.platforms.adapters.base import PushRefused
    from shouhou.platforms.adapters.doudian import DoudianAdapter
    from shouhou.platforms.adapters.youzan import YouzanAdapter

    body = json.dumps([{"tag": "0", "msg_id": "1", "data": "{}"}]).encode()
    with pytest.raises(PushRefused):
        DoudianAdapter(app_key="k", app_secret="s").verify_push({"app-id": "k", "event-sign": signature}, body)
    body = json.dumps({"client_id": "k", "msg": "{}", "type": "x"}).encode()
    with pytest.raises(PushRefused):
        YouzanAdapter(app_key="k", app_secret="s").verify_push({"event-sign": signature}, body)
    with pytest.raises(PushRefused):
        YouzanAdapter(app_key="k", app_secret="s").verify_push(
            {}, json.dumps({"client_id": "k", "msg": "{}", "sign": signature}).encode())
