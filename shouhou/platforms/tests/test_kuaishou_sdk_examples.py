"""快手's own example payloads replayed through the real entry points: the encrypted push (AES-CBC with the app's
message secret, POSTed as text/plain to the app's push URL through the test client), the message stored and applied,
the refund read from a 快手 sandbox on a local port, the case it becomes and the action sent back.

The payloads are in fixtures/kuaishou_sdk_examples.json, each with its source: one envelope verbatim from a public Go
SDK's sample (an order message, with the fields the docs leave out: status, operator), the after-sale messages in the
same envelope with the Go SDK's info fields, and refund details in the states 快手's published refund status enum
names (docs/platforms.md, "Replaying the SDKs' example payloads")."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.cases.models import Case
from shouhou.commerce.models import Order
from shouhou.platforms import services
from shouhou.platforms.adapters.kuaishou import KuaishouAdapter, encrypt_push
from shouhou.platforms.models import PlatformEvent
from shouhou.platforms.sandbox.kuaishou import KuaishouSandbox
from shouhou.platforms.tests.conftest import ORDER_ID

pytestmark = pytest.mark.django_db(transaction=True)
EXAMPLES = json.loads((Path(__file__).parent / "fixtures" / "kuaishou_sdk_examples.json").read_text("utf-8"))
ORDER_ENVELOPE = json.loads(EXAMPLES["order_add_envelope"]["raw"])
APP_KEY, SELLER_ID = ORDER_ENVELOPE["appKey"], str(ORDER_ENVELOPE["userId"])  # the sample's own app and seller
URL = f"/platforms/kuaishou/push/{APP_KEY}/"


class ExampleSandbox(KuaishouSandbox):
    """The sandbox, with a refund's detail answer overlaid by an example's fields (`overlay[refund_id]`)."""

    def __init__(self, **kwargs):
        super().__init__(app_key=APP_KEY, seller_id=SELLER_ID, **kwargs)
        self.overlay: dict[str, dict] = {}

    def _row(self, r) -> dict:
        return {**super()._row(r), **self.overlay.get(r.refund_id, {})}


@pytest.fixture
def box():
    sandbox = ExampleSandbox().start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def connected(shop, box):
    return services.connection_connect(
        shop=shop, actor=SYSTEM, platform="kuaishou", app_key=box.app_key, app_secret=box.app_secret,
        platform_shop_id=box.seller_id, code="sandbox-code", api_base=box.url, backfill=False,
        extra_secrets={"sign_secret": box.sign_secret, "msg_secret": box.msg_secret})


def _push(client, box, envelope: dict | str):
    plain = envelope if isinstance(envelope, str) else json.dumps(envelope, ensure_ascii=False)
    return client.post(URL, data=encrypt_push(plain.encode(), box.msg_secret), content_type="text/plain")


def _refund_envelope(name: str) -> dict:
    example = copy.deepcopy(EXAMPLES[name])
    return {**example["envelope"], "info": json.dumps(example["info"])}


def test_the_go_sdks_sample_order_message_is_taken_verbatim_and_the_order_read(client, box, connected):
    """The sample envelope byte for byte (string ids in eventId/msgId, bizId and userId as numbers, info a JSON string
    with fields shouhou does not use, status and operator the docs do not list): answered {"result": 1}, stored once
    by its msgId, and the order it names (info.oid) read with open.order.detail and written."""
    box.add_order(oid=str(ORDER_ENVELOPE["bizId"]), title="保温杯", total_fee=5990)
    response = _push(client, box, EXAMPLES["order_add_envelope"]["raw"])
    assert response.status_code == 200 and response.json() == {"result": 1}
    event = PlatformEvent.objects.get()
    assert (event.message_id, event.tag, event.order_id, event.aftersale_id) == (
        "84_2375715766425", "kwaishop_order_addOrder", "2607602240240301", "")
    assert event.connection_id == connected.pk and event.status == "applied"
    order = Order.objects.get(shop=connected.shop, order_no="2607602240240301")
    assert [line.line_key for line in order.lines.all()] == ["2607602240240301"]
    again = _push(client, box, EXAMPLES["order_add_envelope"]["raw"])  # 快手 retries a message it thinks failed
    assert again.json() == {"result": 1} and PlatformEvent.objects.count() == 1


def test_a_return_request_waiting_at_11_is_a_request_the_policy_decides_and_the_approval_goes_back(
        client, box, connected, order_line, claim_clock):
    """A 退货退款 request waits for the merchant at status 11 (买家退货退款申请), not 10. Until 2026-12-07 shouhou knew no
    11: the case opened with the platform block saying "未知状态 11", the policy was never asked to approve it and an
    automatic approval never went back to 快手."""
    services.connection_settings(conn=connected, actor=SYSTEM, push_auto_decisions=True, auto_refund_limit=0)
    info = EXAMPLES["refund_add_envelope"]["info"]
    refund = box.add_refund(order_id=ORDER_ID, handling_way=1, refund_fee=12900, status=11,
                            refund_id=str(info["refundId"]), push=False)
    response = _push(client, box, _refund_envelope("refund_add_envelope"))
    assert response.status_code == 200 and response.json() == {"result": 1}
    event = PlatformEvent.objects.get(message_id="84_2375715799000")
    assert (event.aftersale_id, event.order_id, event.status) == (refund.refund_id, ORDER_ID, "applied")
    case = Case.objects.get(platform_link__aftersale_id=refund.refund_id)
    assert case.kind == "return_refund" and case.auto_approved
    assert box.operations == [("open/seller/order/refund/returngoods/approve", refund.refund_id)]
    case.refresh_from_db()
    assert case.status == "awaiting_return" and case.platform_link.status == "30"


def test_a_request_at_11_reads_as_waiting_for_the_merchant_not_as_an_unknown_state(box):
    refund = box.add_refund(order_id=ORDER_ID, handling_way=1, refund_fee=12900, status=11, push=False)
    got = KuaishouAdapter(app_key=box.app_key, app_secret=box.app_secret, sign_secret=box.sign_secret,
                          api_base=box.url).fetch_aftersale(box.access_token, refund.refund_id)
    assert (got.platform_status, got.case_status, got.status_text) == ("11", "requested", "买家申请退货退款，等待卖家处理")


def test_a_refusal_made_in_the_back_office_closes_the_case_as_refused(client, box, connected, order_line, claim_clock):
    """The merchant refused in 快手's back office: the update message names the request, its detail keeps status 10
    with negotiateStatus 3 (商家驳回，等待买家修改) — 快手 has no status of its own for a refusal. Until 2026-12-07
    shouhou read 10 as still waiting and the case stayed open for an agent to approve a request already refused."""
    info = EXAMPLES["refund_update_envelope"]["info"]
    refund = box.add_refund(order_id=ORDER_ID, handling_way=10, refund_fee=4990, refund_id=str(info["refundId"]),
                            push=False)
    box.push_url = ""
    first = dict(_refund_envelope("refund_update_envelope"), msgId="84_2375715799099", event="kwaishop_aftersales_addRefund")
    assert _push(client, box, first).json() == {"result": 1}
    case = Case.objects.get(platform_link__aftersale_id=refund.refund_id)
    assert case.status == "requested"
    box.overlay[refund.refund_id] = {k: v for k, v in EXAMPLES["detail_refused_in_back_office"]["row"].items()}
    assert _push(client, box, _refund_envelope("refund_update_envelope")).json() == {"result": 1}
    assert PlatformEvent.objects.get(message_id="84_2375715799100").status == "applied"
    case.refresh_from_db()
    assert case.status == "rejected"
    assert (case.platform_link.status, case.platform_link.status_text) == ("10", "卖家已驳回，等待买家修改")
    assert box.operations == []  # nothing was sent: the refusal is the platform's


def test_the_platforms_intervention_states_are_named_and_leave_the_case_where_it_is(box):
    adapter = KuaishouAdapter(app_key=box.app_key, app_secret=box.app_secret, sign_secret=box.sign_secret,
                              api_base=box.url)
    for status, words in EXAMPLES["platform_intervention_statuses"]["statuses"]:
        refund = box.add_refund(order_id=ORDER_ID, handling_way=1, status=status, push=False)
        got = adapter.fetch_aftersale(box.access_token, refund.refund_id)
        assert (got.case_status, got.status_text) == ("", words)


@pytest.mark.parametrize("shape", ["wrapped", "urlsafe"])
def test_a_push_body_line_wrapped_or_url_safe_is_read_as_the_demo_reads_it(client, box, connected, shape):
    """快手's demo decodes the push with a lenient Base64 decoder: a body wrapped at 76 characters (CRLF) or written in
    the URL-safe alphabet without padding was refused here as undecryptable, and 快手 would retry it for days."""
    box.add_order(oid=str(ORDER_ENVELOPE["bizId"]), title="保温杯", total_fee=5990)
    sealed = encrypt_push(EXAMPLES["order_add_envelope"]["raw"].encode(), box.msg_secret).decode()
    if shape == "wrapped":
        body = "\r\n".join(sealed[i:i + 76] for i in range(0, len(sealed), 76))
    else:
        body = sealed.replace("+", "-").replace("/", "_").rstrip("=")
    response = client.post(URL, data=body, content_type="text/plain")
    assert response.status_code == 200 and response.json() == {"result": 1}
    assert PlatformEvent.objects.get().message_id == "84_2375715766425"


def test_a_push_body_with_other_characters_is_still_refused(client, box, connected):
    sealed = encrypt_push(b'{"test": true}', box.msg_secret).decode()
    response = client.post(URL, data=sealed[:8] + "*" + sealed[8:], content_type="text/plain")
    assert response.status_code != 200 or response.json() != {"result": 1}
    assert PlatformEvent.objects.count() == 0
