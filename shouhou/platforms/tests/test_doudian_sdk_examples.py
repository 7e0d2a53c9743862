"""抖店's own example payloads replayed through the real entry points: a signed push (MD5 event-sign over the raw
body, as the platform signs it) POSTed to the push view through the test client, the messages stored and applied, the
request's detail read from a 抖店 sandbox on a local port answering an example in the SDKs' shape, the case it becomes,
an agent's approval sent back (afterSale/operate) and the case following the platform to its end.

The payloads are in fixtures/doudian_sdk_examples.json, each with its source: the after-sale message with every
field's example value from the generated official Java SDK (int64 ids past 2^53, p_id equal to s_id, update_time as
an RFC 3339 string, a store id and an empty return_book_info), messages shouhou does not handle in the same batch, the
deadline and refund-success messages, and a detail answer with nulls and a field no SDK lists
(docs/platforms.md, "Replaying the SDKs' example payloads")."""

from __future__ import annotations

import copy
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as case_services
from shouhou.cases.models import Case
from shouhou.core.testing.factories import OrderFactory, OrderLineFactory, ProductFactory
from shouhou.platforms import services
from shouhou.platforms.adapters.doudian import push_sign
from shouhou.platforms.models import PlatformEvent
from shouhou.platforms.sandbox.doudian import DoudianSandbox

pytestmark = pytest.mark.django_db(transaction=True)
EXAMPLES = json.loads((Path(__file__).parent / "fixtures" / "doudian_sdk_examples.json").read_text("utf-8"))
SHOP_ID, ORDER_ID, SKU_ID, AFTERSALE_ID = (EXAMPLES[k] for k in ("shop_id", "order_id", "sku_order_id", "aftersale_id"))
URL = "/platforms/doudian/push/"


class ExampleSandbox(DoudianSandbox):
    """The sandbox answering afterSale/Detail with the example answer, its status, version and deadline the request's
    current ones (so what the sandbox does on an operate shows)."""

    def _detail(self, params: dict) -> tuple[int, dict]:
        r = self.aftersales.get(str(params.get("after_sale_id")))
        if r is None:
            return super()._detail(params)
        data = copy.deepcopy(EXAMPLES["detail"]["data"])
        info = data["process_info"]["after_sale_info"]
        info.update(after_sale_status=r.status, update_time=r.update_time, status_deadline=r.status_deadline)
        return self._ok(data)


@pytest.fixture
def box():
    sandbox = ExampleSandbox(shop_id=SHOP_ID).start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def connected(shop, box):
    return services.connection_connect(shop=shop, actor=SYSTEM, platform="doudian", app_key=box.app_key,
                                       app_secret=box.app_secret, platform_shop_id=SHOP_ID, api_base=box.url,
                                       backfill=False)


@pytest.fixture
def example_line(shop):
    product = ProductFactory(shop=shop, name="羊毛开衫", category="clothing")
    order = OrderFactory(shop=shop, order_no=ORDER_ID)
    return OrderLineFactory(order=order, product=product, line_key=SKU_ID, price_paid=Decimal("89.00"))


def _message(example: dict) -> dict:
    # data travels as a JSON string (the SDK's Message.Data is a string); ids stay JSON numbers inside it
    return {"tag": example["tag"], "msg_id": example["msg_id"], "data": json.dumps(example["data"], ensure_ascii=False)}


def _push(client, box, messages: list[dict]):
    body = json.dumps(messages, ensure_ascii=False).encode()
    return client.post(URL, data=body, content_type="application/json",
                       headers={"app-id": box.app_key, "event-sign": push_sign(box.app_key, box.app_secret, body)})


def test_the_java_sdks_example_message_in_a_batch_opens_the_case_the_agents_approval_goes_back_and_the_case_ends(
        client, box, connected, example_line, claim_clock, agent):
    record = box.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ID, aftersale_type=2, refund_amount=8900,
                               reason="不想要了", aftersale_id=AFTERSALE_ID, push=False)
    response = _push(client, box, [_message(m) for m in EXAMPLES["batch"]["messages"]])
    assert response.status_code == 200 and response.json() == {"code": 0, "msg": "success"}

    # the after-sale message is kept once by its msg_id with the int64 ids read exactly; the 备注 and 商品 messages are
    # acknowledged and kept as ignored
    events = {e.tag: e for e in PlatformEvent.objects.all()}
    assert set(events) == {"200", "113", "400"}
    created = events["200"]
    assert (created.message_id, created.aftersale_id, created.order_id) == ("7000893114000949517200", AFTERSALE_ID,
                                                                            ORDER_ID)
    assert created.status == "applied" and created.connection_id == connected.pk
    assert (events["113"].status, events["400"].status) == ("ignored", "ignored")

    case = Case.objects.get(platform_link__aftersale_id=AFTERSALE_ID)
    link = case.platform_link
    assert case.order_line_id == example_line.pk and case.kind == "refund_only" and case.channel == "doudian"
    assert (link.order_id, link.sub_order_id, link.aftersale_type, link.status) == (ORDER_ID, SKU_ID, "2", "6")
    assert link.refund_amount == Decimal("89.00")  # 8900 fen
    assert link.status_deadline == dt.datetime.fromtimestamp(record.status_deadline, tz=dt.UTC)
    assert "不想要了" in case.description

    # 售后超时时长变更 (209): the new deadline is read from the detail
    record.status_deadline += 86400
    assert _push(client, box, [_message(EXAMPLES["deadline_message"])]).json() == {"code": 0, "msg": "success"}
    link.refresh_from_db()
    assert link.status_deadline == dt.datetime.fromtimestamp(record.status_deadline, tz=dt.UTC)

    # the agent approves: 401 同意售前退 (未发货仅退款) goes back with the request's version; the platform refunds (12)
    if case.status == "requested":
        case_services.case_approve(case=case, actor=agent)
    assert box.operations == [(401, AFTERSALE_ID)]
    (sent,) = box.operate_items
    assert sent["aftersale_id"] == AFTERSALE_ID and sent["update_time"] == record.update_time - 1
    case.refresh_from_db()
    assert case.status == "resolved" and case.platform_link.status == "12"

    # the platform's 退款成功 (206) arrives afterwards: applied, nothing moves twice
    events_before = case.events.count()
    assert _push(client, box, [_message(EXAMPLES["refund_success_message"])]).json() == {"code": 0, "msg": "success"}
    assert PlatformEvent.objects.get(message_id="7000893114000949517206").status == "applied"
    case.refresh_from_db()
    assert case.status == "resolved" and case.events.count() == events_before
    assert Case.objects.count() == 1


def test_the_url_check_and_a_redelivered_batch_store_nothing_new(client, box, connected, example_line, claim_clock):
    """Saving the push URL sends tag "0"; the platform redelivers a batch it did not see answered."""
    check = _push(client, box, [{"tag": "0", "msg_id": "0", "data": "{}"}])
    assert check.status_code == 200 and check.json() == {"code": 0, "msg": "success"}
    assert PlatformEvent.objects.count() == 0
    box.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ID, aftersale_type=2, refund_amount=8900,
                      aftersale_id=AFTERSALE_ID, push=False)
    batch = [_message(m) for m in EXAMPLES["batch"]["messages"]]
    for _ in range(2):
        assert _push(client, box, batch).json() == {"code": 0, "msg": "success"}
    assert PlatformEvent.objects.count() == 3 and Case.objects.count() == 1
