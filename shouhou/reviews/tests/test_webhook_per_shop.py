"""A review push signature stands for one shop (attacker report #7).

It was HMAC(SHOUHOU_WEBHOOK_SECRET, ts + "." + body) for every shop without a key of its own, and the shop code in
the URL was not signed: the same signed bytes posted to another shop's address were applied there, and every
shop's integration held a key good for all the others. Now such shops verify with a key derived from the
install-wide secret and their code, and the signature is claimed once (core.webhooks.webhook_verify)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from shouhou.core.models import IdempotencyKey
from shouhou.core.signatures import sign
from shouhou.reviews.models import Review
from shouhou.reviews.services import review_webhook_secret

pytestmark = pytest.mark.django_db
INSTALL = "install-wide-review-secret-0123456789abcdef"
BODY = json.dumps({"event_id": "e1", "platform": "douyin", "reviews": [
    {"external_id": "x1", "text": "垃圾产品，客服态度极差，再也不买了", "rating": 1}]}).encode()


@pytest.fixture(autouse=True)
def install_secret(settings):
    settings.SHOUHOU = {**settings.SHOUHOU, "WEBHOOK_SECRET": INSTALL}


def _post(shop_code: str, secret: str, body: bytes = BODY, ts: str | None = None):
    ts = ts or str(int(time.time()))
    return Client().post(f"/api/reviews/webhook/{shop_code}", data=body, content_type="application/json",
                         HTTP_X_SHOUHOU_TIMESTAMP=ts, HTTP_X_SHOUHOU_SIGNATURE=sign(secret, ts, body))


def test_the_shop_key_is_derived_from_the_install_secret_and_the_shop_code(shop, other_shop):
    expected = hmac.new(INSTALL.encode(), b"shouhou.reviews.webhook:" + shop.code.encode(), hashlib.sha256).hexdigest()
    assert review_webhook_secret(shop) == expected
    assert review_webhook_secret(other_shop) not in (expected, INSTALL)


def test_a_push_signed_for_one_shop_is_refused_by_another(shop, other_shop):
    ts = str(int(time.time()))
    assert _post(shop.code, review_webhook_secret(shop), ts=ts).status_code == 202
    crossed = _post(other_shop.code, review_webhook_secret(shop), ts=ts)
    assert crossed.status_code == 401 and "签名不匹配" in crossed.json()["detail"]
    assert Review.objects.filter(shop=other_shop).count() == 0
    assert Review.objects.filter(shop=shop).count() == 1


def test_the_install_wide_secret_itself_signs_for_no_shop(shop):
    answer = _post(shop.code, INSTALL)
    assert answer.status_code == 401
    assert Review.objects.count() == 0


def test_a_shop_key_of_its_own_still_works_and_the_install_key_does_not_replace_it(shop, other_shop):
    shop.settings = {**(shop.settings or {}), "webhook_secret": "shop-own-key"}
    shop.save()
    assert _post(shop.code, "shop-own-key").status_code == 202
    assert _post(other_shop.code, "shop-own-key").status_code == 401


def test_a_signed_request_is_claimed_once(shop):
    ts = str(int(time.time()))
    first = _post(shop.code, review_webhook_secret(shop), ts=ts)
    again = _post(shop.code, review_webhook_secret(shop), ts=ts)
    assert first.status_code == 202 and again.status_code == 200 and again.json() == first.json()
    assert IdempotencyKey.objects.filter(scope="webhook:reviews.webhook", shop=shop).count() == 1
    assert Review.objects.count() == 1


def test_a_refused_body_does_not_spend_its_signature(shop):
    ts = str(int(time.time()))
    assert _post(shop.code, review_webhook_secret(shop), body=b"[1]", ts=ts).status_code == 400
    assert not IdempotencyKey.objects.filter(scope="webhook:reviews.webhook").exists()


def test_the_command_shows_the_shop_key(shop):
    out = StringIO()
    call_command("reviews", "webhook-key", shop.code, stdout=out)
    assert out.getvalue().strip() == review_webhook_secret(shop)
    with pytest.raises(CommandError, match="店铺不存在"):
        call_command("reviews", "webhook-key", "no-such-shop", stdout=StringIO())
