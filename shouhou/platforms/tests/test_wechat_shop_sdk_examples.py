"""微信小店's own example payloads (fixtures/wechat_*, sources in fixtures/wechat_youzan_sources.md) replayed end to end: the push
example sealed in safe mode exactly as written (JSON and XML, ToUserName "gh_*" and all) and posted to the push URL
through the test client, the getaftersaleorder example served by a sandbox on a local port, then the case made.

What they hold: the published getaftersaleorder example names its reason by the older literal code
(`"reason": "NO_LONGER_WANT"`, no `reason_text`): until 2026-12-07 the adapter classified the buyer's words
("1234") instead and the request became a case of reason "other", which the policy does not treat as a no-reason
return."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.cases.choices import CaseKind, ClaimReason
from shouhou.cases.models import Case
from shouhou.core.testing.factories import OrderFactory, OrderLineFactory, ProductFactory
from shouhou.inbox.channels import crypto as wx_crypto
from shouhou.platforms import services
from shouhou.platforms.adapters.wechat_shop import WechatShopAdapter
from shouhou.platforms.models import PlatformAftersale, PlatformEvent
from shouhou.platforms.sandbox.wechat_shop import WechatShopSandbox

FIXTURES = Path(__file__).parent / "fixtures"
URL = "/platforms/wechat_shop/push/"


def _fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


DETAIL = json.loads(_fixture("wechat_getaftersaleorder.json"))["after_sale_order"]


class ExampleSandbox(WechatShopSandbox):
    """Answers getaftersaleorder with the published example (the asked id and, when set, the status of the
    moment put in) and keeps what was asked."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.asked: list[tuple[str, dict]] = []
        self.detail: dict = dict(DETAIL)

    def handle(self, path: str, query: dict, body: dict) -> tuple[int, dict]:
        with self.lock:
            self.asked.append((path, body))
            authorised = query.get("access_token") == self.access_token
        if authorised and path == "channels/ec/aftersale/getaftersaleorder":
            return 200, {"errcode": 0, "after_sale_order": {**self.detail,
                                                            "after_sale_order_id": body.get("after_sale_order_id")}}
        return super().handle(path, query, body)


@pytest.fixture
def box():
    sandbox = ExampleSandbox().start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def connected(shop, box):
    return services.connection_connect(
        shop=shop, actor=SYSTEM, platform="wechat_shop", app_key=box.app_id, app_secret=box.app_secret,
        platform_shop_id=box.username, api_base=box.url, backfill=False,
        extra_secrets={"sign_secret": box.push_token, "msg_secret": box.aes_key})


@pytest.fixture
def example_line(shop):
    """The order and SKU the getaftersaleorder example names (order_id 1768683047558651, sku_id 4740)."""
    order = OrderFactory(shop=shop, order_no=DETAIL["order_id"])
    return OrderLineFactory(order=order, product=ProductFactory(shop=shop, name="羊毛开衫", category="clothing"),
                            line_key=DETAIL["product_info"]["sku_id"], price_paid=Decimal("199.00"))


def _seal(plain: str, box, fmt: str, *, timestamp: str | None = None) -> tuple[dict, bytes]:
    """The example text encrypted as it stands (no re-serialising) and wrapped as WeChat posts it in safe mode."""
    timestamp = timestamp or str(int(dt.datetime.now(dt.UTC).timestamp()))
    nonce = "1320562132"
    encrypted = wx_crypto.encrypt(box.aes_key, plain, box.app_id)
    if fmt == "json":
        body = json.dumps({"ToUserName": "gh_*", "Encrypt": encrypted}).encode()
    else:
        body = f"<xml><ToUserName><![CDATA[gh_*]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>".encode()
    return {"signature": wx_crypto.sha1_signature(box.push_token, timestamp, nonce), "timestamp": timestamp,
            "nonce": nonce, "openid": "OpenID", "encrypt_type": "aes",
            "msg_signature": wx_crypto.sha1_signature(box.push_token, timestamp, nonce, encrypted)}, body


def _post(client, params: dict, body: bytes, fmt: str):
    return client.post(f"{URL}?{urlencode(params)}", data=body,
                       content_type="application/json" if fmt == "json" else "text/xml")


# --- the API example ---------------------------------------------------------------------------------------------

def test_the_published_detail_example_is_read_field_by_field(box):
    adapter = WechatShopAdapter(app_key=box.app_id, app_secret=box.app_secret, api_base=box.url)
    got = adapter.fetch_aftersale(adapter.create_token().access_token, "123456")
    assert (got.aftersale_id, got.order_id, got.sub_order_id) == ("123456", "1768683047558651", "4740")
    assert (got.platform_type, got.platform_status, got.kind, got.case_status) == (
        "REFUND", "MERCHANT_REFUND_SUCCESS", CaseKind.REFUND_ONLY, "resolved")
    assert got.refund_amount == Decimal("0.11")  # amount 11 is fen
    assert got.updated == 1612754444 and got.applied_at == dt.datetime.fromtimestamp(1591319454, dt.UTC)
    assert got.deadline is None  # the example has none
    # the older literal reason code is its words (不想要了): a buyer who changed their mind
    assert got.reason == ClaimReason.NO_REASON
    assert got.reason_text == "不想要了：1234"


@pytest.mark.parametrize("code,reason,words", [
    ("QUALITY_ISSUE", ClaimReason.QUALITY, "质量问题"), ("SEND_WRONG_GOODS", ClaimReason.WRONG_ITEM, "卖家发错货"),
    ("NOT_MATCH_PRODUCT_DESC", ClaimReason.NOT_AS_DESCRIBED, "与商品描述不符"),
    ("EMPTY_PACKAGE", ClaimReason.MISSING_PARTS, "包裹为空"), ("INCORRECT_SELECTION", ClaimReason.NO_REASON, "拍错/多拍"),
])
def test_every_older_literal_reason_code_is_read_as_its_words(box, code, reason, words):
    box.detail = {**DETAIL, "reason": code, "details": {"desc": ""}}
    adapter = WechatShopAdapter(app_key=box.app_id, app_secret=box.app_secret, api_base=box.url)
    got = adapter.fetch_aftersale(adapter.create_token().access_token, "123456")
    assert (got.reason, got.reason_text) == (reason, words)


def test_reason_text_when_given_still_wins_over_the_code(box):
    box.detail = {**DETAIL, "reason": "10000019", "reason_text": "7天无理由", "details": {"desc": "质量一般"}}
    adapter = WechatShopAdapter(app_key=box.app_id, app_secret=box.app_secret, api_base=box.url)
    got = adapter.fetch_aftersale(adapter.create_token().access_token, "123456")
    assert (got.reason, got.reason_text) == (ClaimReason.NO_REASON, "7天无理由：质量一般")


def test_a_change_of_mind_named_in_reason_text_is_a_no_reason_return(box):
    """reason_text "不想要了" (the words of code 10000000): the shared word list knew only 七天无理由."""
    box.detail = {**DETAIL, "reason": "10000000", "reason_text": "不想要了", "details": {"desc": ""}}
    adapter = WechatShopAdapter(app_key=box.app_id, app_secret=box.app_secret, api_base=box.url)
    got = adapter.fetch_aftersale(adapter.create_token().access_token, "123456")
    assert (got.reason, got.reason_text) == (ClaimReason.NO_REASON, "不想要了")


# --- the push examples, end to end --------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fmt,name", [("json", "wechat_aftersale_update.json"), ("xml", "wechat_aftersale_update.xml")])
def test_the_published_push_example_makes_the_case_of_the_published_detail(client, box, connected, example_line,
                                                                           claim_clock, fmt, name):
    # the request as it stands when the push says 商家受理中: the detail example at that status, made just now
    now = int(dt.datetime.now(dt.UTC).timestamp())
    box.detail = {**DETAIL, "status": "MERCHANT_PROCESSING", "create_time": now - 60, "update_time": now - 30}
    params, body = _seal(_fixture(name), box, fmt)
    answer = _post(client, params, body, fmt)
    assert answer.status_code == 200 and answer.content == b"success"
    event = PlatformEvent.objects.get()
    assert (event.tag, event.aftersale_id, event.order_id, event.status) == (
        "channels_ec_aftersale_update", "1234567", "12345", "applied")
    assert ("channels/ec/aftersale/getaftersaleorder", {"after_sale_order_id": "1234567"}) in box.asked
    link = PlatformAftersale.objects.select_related("case").get(aftersale_id="1234567")
    case = link.case
    assert (case.kind, case.reason, case.status, case.channel) == ("refund_only", "no_reason", "requested",
                                                                    "wechat_shop")
    assert case.order_line == example_line and link.refund_amount == Decimal("0.11")
    assert (link.aftersale_type, link.status, link.platform_updated_at) == ("REFUND", "MERCHANT_PROCESSING", now - 30)
    assert "不想要了：1234" in case.description
    # WeChat delivers again when it did not hear "success" in time: the same message, kept once
    assert _post(client, params, body, fmt).content == b"success"
    assert PlatformEvent.objects.count() == 1 and Case.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_push_example_in_plaintext_mode_is_refused_and_nothing_is_kept(client, box, connected, example_line):
    """Plaintext mode signs the query only, not the body (and the channels push page says only 安全模式 is sent)."""
    timestamp, nonce = str(int(dt.datetime.now(dt.UTC).timestamp())), "1320562132"
    params = {"signature": wx_crypto.sha1_signature(box.push_token, timestamp, nonce), "timestamp": timestamp,
              "nonce": nonce, "openid": "OpenID"}
    answer = _post(client, params, _fixture("wechat_aftersale_update.json").encode(), "json")
    assert answer.status_code == 403 and b"success" not in answer.content
    assert PlatformEvent.objects.count() == 0 and Case.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_url_check_of_the_console_echoes_echostr(client, box, connected):
    timestamp, nonce = str(int(dt.datetime.now(dt.UTC).timestamp())), "1320562132"
    answer = client.get(URL, {"signature": wx_crypto.sha1_signature(box.push_token, timestamp, nonce),
                              "timestamp": timestamp, "nonce": nonce, "echostr": "5838479218127813673"})
    assert answer.status_code == 200 and answer.content == b"5838479218127813673"


@pytest.mark.django_db(transaction=True)
def test_the_published_order_pay_example_reads_that_order(client, box, connected):
    box.add_order(order_id="3705115058471208928", products=[{"sku_id": "2300000001", "product_id": "10000107",
                                                             "title": "羊毛开衫", "sku_cnt": 1, "real_price": 9900}])
    params, body = _seal(_fixture("wechat_order_pay.json"), box, "json")
    answer = _post(client, params, body, "json")
    assert answer.status_code == 200 and answer.content == b"success"
    event = PlatformEvent.objects.get()
    # order_id is a JSON number larger than 2^53 in the example: read exactly, not through a float
    assert (event.tag, event.order_id, event.aftersale_id) == ("channels_ec_order_pay", "3705115058471208928", "")
    assert ("channels/ec/order/get", {"order_id": "3705115058471208928"}) in box.asked
    assert event.status == "applied"
