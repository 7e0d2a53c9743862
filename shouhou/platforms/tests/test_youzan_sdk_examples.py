"""有赞's own example payloads (fixtures/youzan_*, sources in fixtures/wechat_youzan_sources.md) replayed end to end: the
trade_refund_BuyerCreated push posted to the push URL through the test client, signed with the documented formulas
(Event-Sign = md5(client_id + raw body + client_secret) over the bytes as saved; the body's sign = md5(client_id + msg
+ client_secret)), the refund.get / refund.search / refund.agree examples of the API pages served by a sandbox on a
local port in their older {"response"} / {"error_response"} envelope, then the case made and the approval sent back.

What they hold: an action answered {"response": {"is_success": false}} in the older envelope was counted as done
(only the newer {success, code, data} envelope had its is_success read): the case said the platform had agreed
while 有赞 had not."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as case_services
from shouhou.cases.choices import CaseKind, ClaimReason
from shouhou.cases.models import Case
from shouhou.core.testing.factories import OrderFactory, OrderLineFactory, ProductFactory
from shouhou.platforms import services
from shouhou.platforms.adapters.base import Action, PlatformError
from shouhou.platforms.adapters.youzan import YouzanAdapter, push_sign
from shouhou.platforms.models import OutboundAction, PlatformAftersale, PlatformEvent
from shouhou.platforms.sandbox.youzan import YouzanSandbox

FIXTURES = Path(__file__).parent / "fixtures"
URL = "/platforms/youzan/push/"


def _json(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


REFUND = _json("youzan_refund_get.json")["response"]


class ExampleSandbox(YouzanSandbox):
    """Answers refund.get, refund.search and refund.agree with the API pages' examples (refund.get at the status of
    the moment when set) and keeps what was asked."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.refund: dict = dict(REFUND)
        self.search_answer: dict = _json("youzan_refund_search.json")
        self.agree_answer: dict = _json("youzan_refund_agree.json")
        self.asked: list[tuple[str, dict]] = []

    def _api(self, name: str, params: dict) -> tuple[int, dict]:
        self.asked.append((name, params))
        if name == "youzan.trade.refund.get":
            if str(params.get("refund_id")) == self.refund["refund_id"]:
                return 200, {"response": self.refund}
            return 200, {"error_response": {"code": 103011024, "message": "退款记录不存在"}}
        if name == "youzan.trade.refund.search":
            return 200, self.search_answer
        if name == "youzan.trade.refund.agree":
            return 200, self.agree_answer
        return super()._api(name, params)


@pytest.fixture
def box():
    sandbox = ExampleSandbox().start()
    yield sandbox
    sandbox.stop()


def _adapter(box) -> YouzanAdapter:
    return YouzanAdapter(app_key=box.client_id, app_secret=box.client_secret, api_base=box.url)


def _token(box) -> str:
    return _adapter(box).create_token(shop_id=box.kdt_id).access_token


@pytest.fixture
def connected(shop, box):
    return services.connection_connect(shop=shop, actor=SYSTEM, platform="youzan", app_key=box.client_id,
                                       app_secret=box.client_secret, platform_shop_id=box.kdt_id, api_base=box.url,
                                       backfill=False)


@pytest.fixture
def example_line(shop):
    """The order and line the examples name (tid E20180701125857069300003, oid 1457682800074819540)."""
    order = OrderFactory(shop=shop, order_no=REFUND["tid"])
    return OrderLineFactory(order=order, product=ProductFactory(shop=shop, name="羊毛开衫", category="clothing"),
                            line_key=REFUND["oid"], price_paid=Decimal("199.00"))


def _push(box, **changes) -> tuple[bytes, dict]:
    """The saved push with this app's client_id and shop put in, its body sign and Event-Sign computed as documented;
    the body stays pretty-printed as saved (the header signs those exact bytes)."""
    body = {**_json("youzan_push_refund_created.json"), "client_id": box.client_id, "kdt_id": int(box.kdt_id),
            "root_kdt_id": int(box.kdt_id), **changes}
    body["sign"] = push_sign(box.client_id, box.client_secret, body["msg"].encode())
    raw = json.dumps(body, ensure_ascii=False, indent=2).encode()
    return raw, {"HTTP_EVENT_SIGN": push_sign(box.client_id, box.client_secret, raw),
                 "HTTP_EVENT_TYPE": body["type"], "HTTP_CLIENT_ID": box.client_id}


# --- the API examples ---------------------------------------------------------------------------------------------

def test_the_published_refund_get_example_is_read_field_by_field(box):
    got = _adapter(box).fetch_aftersale(_token(box), REFUND["refund_id"])
    assert (got.aftersale_id, got.order_id, got.sub_order_id) == ("201807041506110000020693",
                                                                 "E20180701125857069300003", "1457682800074819540")
    assert (got.platform_type, got.kind, got.platform_status, got.case_status) == (
        "1", CaseKind.REFUND_ONLY, "SUCCESS", "resolved")  # return_goods false: 仅退款
    assert got.refund_amount == Decimal("2.00")  # refund_fee is yuan, a string
    assert got.updated == 1530687971462  # version, ms: the lock every action carries
    assert got.applied_at == dt.datetime(2018, 7, 4, 15, 6, 11, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert (got.reason, got.reason_text) == (ClaimReason.NO_REASON, "多买/买错/不想要")  # reason 51
    assert got.deadline is None and not got.not_a_request  # BUYER_APPLY_REFUND is the buyer's request


def test_the_published_search_example_reads_each_refund_it_lists(box):
    box.refund = {**REFUND, "refund_id": "201904281639340000010859", "tid": "E20190428163921085900029", "reason": 54}
    adapter, token = _adapter(box), _token(box)
    page = adapter.fetch_aftersales(token, {"begin": int(dt.datetime.now(dt.UTC).timestamp()) - 3600, "page": 1})
    assert [(a.aftersale_id, a.reason) for a in page.items] == [("201904281639340000010859", ClaimReason.LATE_SHIPMENT)]
    assert [name for name, _ in box.asked] == ["youzan.trade.refund.search", "youzan.trade.refund.get"]


def test_the_published_agree_answers_are_told_apart(box):
    adapter, token = _adapter(box), _token(box)
    action = Action(kind="approve", aftersale_id=REFUND["refund_id"], platform_type="1", updated=REFUND["version"])
    assert adapter.act(token, action) == {"is_success": True}
    assert box.asked[-1] == ("youzan.trade.refund.agree", {"refund_id": REFUND["refund_id"],
                                                           "version": 1530687971462})
    box.agree_answer = _json("youzan_refund_agree_error.json")
    with pytest.raises(PlatformError) as stale:
        adapter.act(token, action)
    assert stale.value.kind == "already_handled" and "退款版本号错误" in stale.value.message
    # the older envelope saying it did not succeed is not a success
    box.agree_answer = {"response": {"is_success": False}}
    with pytest.raises(PlatformError) as refused:
        adapter.act(token, action)
    assert refused.value.kind == "refused"


# --- the push example, end to end ---------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_the_published_push_makes_the_case_and_the_approval_goes_back_with_its_version(client, box, connected,
                                                                                         example_line, claim_clock,
                                                                                         agent):
    box.refund = {**REFUND, "status": "WAIT_SELLER_AGREE"}  # the request as it stands when the push announces it
    raw, headers = _push(box)
    answer = client.post(URL, data=raw, content_type="application/json", **headers)
    assert answer.status_code == 200 and answer.json() == {"code": 0, "msg": "success"}
    event = PlatformEvent.objects.get()
    assert (event.tag, event.aftersale_id, event.order_id, event.status) == (
        "trade_refund_BuyerCreated", REFUND["refund_id"], REFUND["tid"], "applied")
    assert event.payload["msg"]["refund_reason_desc"] == "多买了 一件"  # "+" in msg is a space
    link = PlatformAftersale.objects.select_related("case").get(aftersale_id=REFUND["refund_id"])
    case = link.case
    assert (case.kind, case.reason, case.status, case.order_line) == ("refund_only", "no_reason", "requested",
                                                                      example_line)
    assert link.refund_amount == Decimal("2.00") and link.platform_updated_at == 1530687971462
    # redelivered (sendCount 2, same msg_id), signed in the body only this time: answered, kept once
    again, _ = _push(box, sendCount=2)
    assert client.post(URL, data=again, content_type="application/json").json() == {"code": 0, "msg": "success"}
    assert PlatformEvent.objects.count() == 1 and Case.objects.count() == 1
    # the agent approves: refund.agree with the version the detail gave, answered as the API page shows
    case_services.case_approve(case=case, actor=agent)
    action = OutboundAction.objects.get()
    assert action.status == "done"
    assert ("youzan.trade.refund.agree", {"refund_id": REFUND["refund_id"], "version": 1530687971462}) in box.asked


@pytest.mark.django_db(transaction=True)
def test_an_approval_the_older_envelope_says_failed_is_not_counted_done(client, box, connected, example_line,
                                                                        claim_clock, agent):
    box.refund = {**REFUND, "status": "WAIT_SELLER_AGREE"}
    raw, headers = _push(box)
    assert client.post(URL, data=raw, content_type="application/json", **headers).status_code == 200
    case = Case.objects.get()
    box.agree_answer = {"response": {"is_success": False}}
    case_services.case_approve(case=case, actor=agent)
    action = OutboundAction.objects.get()
    assert action.status == "refused" and "操作未成功" in action.last_error
    assert case.events.filter(kind="platform", note__contains="平台拒绝").exists()


@pytest.mark.django_db(transaction=True)
def test_the_push_signed_with_another_secret_or_a_test_push_keeps_nothing(client, box, connected, example_line):
    raw, headers = _push(box)
    forged = {**headers, "HTTP_EVENT_SIGN": push_sign(box.client_id, "another-secret", raw)}
    answer = client.post(URL, data=raw, content_type="application/json", **forged)
    assert answer.status_code == 401 and "success" not in answer.content.decode()
    raw, headers = _push(box, test=True, msg_id="test-msg-0001")
    answer = client.post(URL, data=raw, content_type="application/json", **headers)
    assert answer.json() == {"code": 0, "msg": "success"}
    assert PlatformEvent.objects.count() == 0 and Case.objects.count() == 0
