"""The 抖店 push endpoint exactly as the platform calls it: signature, handshake, batches, duplicates,
unknown tags, refusals."""

from __future__ import annotations

import json

import pytest

from shouhou.platforms.adapters.doudian import DoudianAdapter, api_sign, push_sign
from shouhou.platforms.models import PlatformConnection, PlatformEvent

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/platforms/doudian/push/"


def _post(client, sandbox, messages, *, secret=None, app_id=None):
    body = json.dumps(messages, ensure_ascii=False).encode()
    headers = sandbox.signed_headers(body)
    if secret is not None:
        headers["event-sign"] = push_sign(sandbox.app_key, secret, body)
    if app_id is not None:
        headers["app-id"] = app_id
    return client.post(URL, data=body, content_type="application/json",
                       headers={k: v for k, v in headers.items() if k != "Content-Type"})


def test_signatures_match_the_documented_formulas():
    # event-sign = md5(app_key + body + app_secret); API sign = hmac-sha256(secret, secret+pattern+secret)
    import hashlib
    import hmac

    assert push_sign("k", "s", b"[]") == hashlib.md5(b"k[]s").hexdigest()  # noqa: S324
    pattern = "app_keykmethodafterSale.Listparam_json{\"page\":0}timestamp1700000000v2"
    assert api_sign("k", "s", "afterSale.List", '{"page":0}', "1700000000") == \
        hmac.new(b"s", ("s" + pattern + "s").encode(), hashlib.sha256).hexdigest()


def test_handshake_answered_as_the_platform_expects(client, connect, sandbox):
    connect()
    response = _post(client, sandbox, [{"tag": "0", "msg_id": "", "data": "{}"}])
    assert response.status_code == 200
    assert response.json() == {"code": 0, "msg": "success"}
    assert PlatformEvent.objects.count() == 0


def test_wrong_signature_refused_in_platform_format_nothing_stored(client, connect, sandbox, order_line):
    conn = connect()
    record = sandbox.add_aftersale(order_id="6920000000000001", sku_order_id="6920000000000002", push=False)
    response = _post(client, sandbox, [sandbox.message("200", record)], secret="not-the-secret")
    assert response.status_code == 401
    assert response.json()["code"] != 0 and "msg" in response.json()
    unknown_app = _post(client, sandbox, [sandbox.message("200", record)], app_id="someone-else")
    assert unknown_app.status_code == 401
    missing = client.post(URL, data=b"[]", content_type="application/json", headers={"app-id": sandbox.app_key})
    assert missing.status_code == 401
    assert PlatformEvent.objects.count() == 0
    conn.refresh_from_db()
    assert conn.last_push_at is None


def test_batch_duplicates_and_unknown_tags(client, connect, sandbox, order_line, claim_clock):
    connect()
    first = sandbox.add_aftersale(order_id="6920000000000001", sku_order_id="6920000000000002", push=False)
    created = sandbox.message("200", first)
    unknown = {"tag": "10999", "msg_id": "m-unknown-1", "data": json.dumps({"shop_id": int(sandbox.shop_id)})}
    response = _post(client, sandbox, [created, unknown])
    assert response.status_code == 200 and response.json() == {"code": 0, "msg": "success"}
    again = _post(client, sandbox, [created, unknown])  # the platform retries the same batch
    assert again.json() == {"code": 0, "msg": "success"}
    assert PlatformEvent.objects.count() == 2
    assert PlatformEvent.objects.get(message_id="m-unknown-1").status == "ignored"
    applied = PlatformEvent.objects.get(message_id=created["msg_id"])
    assert applied.status == "applied"
    assert order_line.cases.count() == 1  # the duplicate opened nothing more
    assert PlatformConnection.objects.get().last_push_at is not None


def test_push_not_json_refused(client, connect, sandbox):
    connect()
    body = b"not json"
    response = client.post(URL, data=body, content_type="application/json",
                           headers={k: v for k, v in sandbox.signed_headers(body).items() if k != "Content-Type"})
    assert response.status_code == 401
    assert PlatformEvent.objects.count() == 0


def test_adapter_reads_data_string_and_shop():
    adapter = DoudianAdapter(app_key="k", app_secret="s")
    body = json.dumps([{"tag": "200", "msg_id": "1", "data": json.dumps({"aftersale_id": 5, "p_id": 6, "shop_id": 7})}])
    (msg,) = adapter.parse_push(body.encode())
    assert (msg.aftersale_id, msg.order_id, msg.platform_shop_id, msg.known) == ("5", "6", "7", True)
