"""Attacker, round nine: the signed webhooks (one verifier, core/webhooks.py) against replays and odd shapes.

For every webhook the verifier checks: a correctly signed push whose timestamp is just outside the window (an
old capture replayed, or one signed ahead), a signature cut short, an empty one, a right signature on a body
sent as text/plain or as a form, a signed body larger than the upload limit, and a signed body that is not
JSON. None is a server error; the stale, cut and empty ones are 401 and change nothing.
"""

from __future__ import annotations

import json

import pytest
import time_machine
from django.apps import apps

from shouhou.core.signatures import sign
from shouhou.inbox.choices import Channel
from shouhou.inbox.models import ChannelAccount

pytestmark = pytest.mark.django_db

NOW = 1764576060
SECRET = "a-long-webhook-secret-for-round-nine"


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def webhooks(shop, settings):
    shop.settings = {**(shop.settings or {}), "tracking_secret": SECRET, "webhook_secret": SECRET}
    shop.save(update_fields=["settings"])
    settings.SHOUHOU_NOTIFY_WEBHOOK_SECRET = SECRET
    for kind, channel in (("social", Channel.SOCIAL_COMMENT), ("email", Channel.EMAIL)):
        ChannelAccount.objects.create(shop=shop, channel=channel, name=kind, key=f"{kind}-r9", secret=SECRET)
    return [f"/logistics/push/generic/{shop.code}/", f"/api/reviews/webhook/{shop.code}",
            "/notifications/webhooks/sms-reply/", "/notifications/webhooks/receipts/aliyun_sms/",
            "/inbox/hooks/social/social-r9/", "/inbox/hooks/email/email-r9/"]


def _counts() -> dict[str, int]:
    return {m._meta.label_lower: m.objects.count() for m in apps.get_models()
            if m._meta.label_lower not in {"sessions.session", "core.securitycounter"} and not m._meta.proxy}


def _post(client, path, body: bytes, timestamp: int, signature: str, content_type="application/json"):
    return client.post(path, data=body, content_type=content_type,
                       HTTP_X_SHOUHOU_TIMESTAMP=str(timestamp), HTTP_X_SHOUHOU_SIGNATURE=signature)


BODY = json.dumps({"id": "r9-1", "event_id": "r9-1", "tracking_no": "SF1", "text": "好评"}).encode()


@pytest.mark.parametrize("case", ["old", "ahead", "cut", "half", "empty", "other-body"])
def test_a_stale_cut_or_empty_signature_is_refused_and_changes_nothing(client, webhooks, case):
    before = _counts()
    for path in webhooks:
        ts = {"old": NOW - 301, "ahead": NOW + 301}.get(case, NOW)
        good = sign(SECRET, str(ts), BODY)
        signature = {"cut": good[:-1], "half": good[:32], "empty": "",
                     "other-body": sign(SECRET, str(ts), BODY + b" ")}.get(case, good)
        response = _post(client, path, BODY, ts, signature)
        assert response.status_code == 401, (path, case, response.status_code)
    assert _counts() == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "application/json; charset=gbk"])
def test_a_signed_body_of_another_content_type_is_no_server_error(client, webhooks, content_type):
    for path in webhooks:
        response = _post(client, path, BODY, NOW, sign(SECRET, str(NOW), BODY), content_type=content_type)
        assert response.status_code < 500, (path, content_type, response.status_code)


def test_a_signed_body_that_is_not_json_is_refused_not_a_server_error(client, webhooks):
    for body in (b"not json", b"\xff\xfe", b'"text"', b"1e999999"):
        for path in webhooks:
            response = _post(client, path, body, NOW, sign(SECRET, str(NOW), body))
            assert 400 <= response.status_code < 500, (path, body, response.status_code)


def test_a_signed_body_over_the_upload_limit_is_refused_not_a_server_error(client, webhooks, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096  # the limit's behaviour, without sending 10 MB six times
    body = json.dumps({"id": "big", "text": "字" * 4000}).encode()
    before = _counts()
    for path in webhooks:
        response = _post(client, path, body, NOW, sign(SECRET, str(NOW), body))
        assert 400 <= response.status_code < 500, (path, response.status_code)
    assert _counts() == before
