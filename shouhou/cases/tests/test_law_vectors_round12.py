"""Law vectors of a 2026-12-08 round through the case flow (the engine's vectors are in
policies/tests/test_law_vectors_round12.py); the ones that disagreed, each fixed:

- 消法24: 「七日后符合法定解除合同条件的，消费者可以及时退货」 — after day 7 a buyer with a defective item may ask for a
  return (民法典563: the defect defeats the purpose of the purchase). A remedy on request (`Decision.on_request`, clause
  `quality.return_on_request`): the portal offers it marked 「（需客服审核）」, `case_create` files it, a person checks
  the conditions and approves; never automatic, refunded in full (no 三包 depreciation).
- 消法24 para. 2: 「依照前款规定进行退货、更换、修理的，经营者应当承担运输等必要费用」 — registering the return parcel
  cannot move the postage of a statutory return (quality, wrong item, transit damage …) to the buyer, and the payer is
  one of a closed set (merchant, buyer, insurance), refused at the field `payer` otherwise.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from shouhou.accounts.actors import SYSTEM, CustomerActor
from shouhou.cases import services as svc
from shouhou.cases.choices import CaseStatus as S
from shouhou.cases.services import CaseError
from shouhou.core.testing.factories import OrderFactory, OrderLineFactory, ProductFactory
from shouhou.portal.texts import claim_text

SH = dt.timezone(dt.timedelta(hours=8))
pytestmark = pytest.mark.django_db


def _kettle(shop, category="home"):
    signed = dt.datetime(2026, 5, 10, 20, 0, tzinfo=SH)
    order = OrderFactory(shop=shop, delivered_at=signed, placed_at=signed - dt.timedelta(days=3),
                         shipped_at=signed - dt.timedelta(days=2))
    product = ProductFactory(shop=shop, name="电热水壶", category=category)
    return OrderLineFactory(order=order, product=product, quantity=1, price_paid=Decimal("199.00"))


def _on_day(day: int):
    return time_machine.travel(dt.datetime(2026, 5, 10, 12, 0, tzinfo=SH) + dt.timedelta(days=day), tick=False)


# --- 消法24: a quality return after day 7, on request --------------------------------------------------------------

@pytest.mark.parametrize("day", [8, 10, 16, 20, 60])
def test_the_customer_may_ask_for_a_quality_return_after_day_7_and_a_person_decides(shop, day):
    line = _kettle(shop)
    with _on_day(day):
        d = svc.case_preview(shop=shop, order_line=line, reason="quality")
        text = claim_text(d.to_json(), "return_refund", "quality")
        case = svc.case_create(shop=shop, order_line=line, reason="quality", kind="return_refund",
                               actor=CustomerActor(), from_customer=True)
    # the portal offers it, marked as checked by an agent, with the full refund (no depreciation label)
    labels = {o["value"]: o["label"] for o in text["options"]}
    assert labels["return_refund"].endswith("（需客服审核）") and "（需客服审核）" not in labels["exchange"]
    assert text["kind"] == "return_refund" and not text["auto"]
    assert text["refund"] == "¥199.00" and text["refund_label"] == "退款金额" and text["shipping"] == "商家承担"
    assert "符合法定解除合同条件的" in text["explanation"] and "由客服核实" in text["explanation"]
    # filed as the buyer chose, waiting for a person, never approved by itself
    assert case.kind == "return_refund" and case.status == S.REQUESTED and not case.auto_approved
    assert case.decision["on_request"] == ["return_refund"] and "quality.return_on_request" in case.decision["clauses"]
    assert case.refund_amount == Decimal("199.00") and case.shipping_payer == "merchant"


def test_the_exchange_stays_the_recommended_remedy(shop):
    line = _kettle(shop)
    with _on_day(10):
        text = claim_text(svc.case_preview(shop=shop, order_line=line, reason="quality").to_json(), None, "quality")
    assert text["kind"] == "exchange" and [o["value"] for o in text["options"]] == ["exchange", "repair", "return_refund"]


@pytest.mark.parametrize("day", [9, 30])
def test_food_is_offered_an_exchange_or_a_return_on_request_never_a_repair(shop, day):
    line = _kettle(shop, category="food")
    with _on_day(day):
        text = claim_text(svc.case_preview(shop=shop, order_line=line, reason="quality").to_json(), None, "quality")
    assert [o["value"] for o in text["options"]] == ["exchange", "return_refund"]
    assert "维修" not in text["explanation"]


def test_the_sanbao_return_instead_of_exchange_keeps_its_depreciation_label(shop):
    line = _kettle(shop, category="electronics")
    with _on_day(10):
        d = svc.case_preview(shop=shop, order_line=line, reason="performance_fault")
    assert claim_text(d.to_json(), "return_refund", "performance_fault")["refund_label"] == "最多退款（已使用的可能扣除折旧费）"


# --- 消法24 para. 2: who pays the return parcel ----------------------------------------------------------------------

def _awaiting(shop, line, agent, reason="quality"):
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason=reason)
    if case.status == S.REQUESTED:
        svc.case_approve(case=case, actor=agent)
    case.refresh_from_db()
    assert case.status == S.AWAITING_RETURN
    return case


def _ship(client, case, payer):
    return client.post(f"/api/cases/{case.pk}/return-shipment",
                       {"method": "self_ship", "carrier": "SF", "tracking_no": "SF1000000001", "payer": payer},
                       content_type="application/json")


@pytest.mark.parametrize("payer", ["buyer", "insurance"])
def test_the_api_cannot_move_a_quality_returns_postage_off_the_merchant(shop, line, agent, payer):
    case = _awaiting(shop, line, agent)
    assert case.shipping_payer == "merchant"
    client = Client()
    client.force_login(agent)
    r = _ship(client, case, payer)
    assert r.status_code == 400 and r.json()["errors"][0]["loc"] == ["payer"]
    assert "消法第24条第二款" in r.json()["detail"] and "质量问题" in r.json()["detail"]
    case.refresh_from_db()
    assert case.shipping_payer == "merchant" and case.status == S.AWAITING_RETURN


@pytest.mark.parametrize("payer", ["spaceship", "none", ""])
def test_the_api_refuses_a_payer_outside_the_closed_set(shop, line, agent, payer):
    case = _awaiting(shop, line, agent)
    client = Client()
    client.force_login(agent)
    r = _ship(client, case, payer)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"][-1] == "payer"
    case.refresh_from_db()
    assert case.shipping_payer == "merchant" and case.status == S.AWAITING_RETURN


@pytest.mark.parametrize(("reason", "payer"), [("quality", "buyer"), ("wrong_item", "insurance"),
                                                ("damaged_in_transit", "buyer"), ("quality", "spaceship"),
                                                ("no_reason", "none")])
def test_the_service_refuses_it_too_naming_the_field(shop, line, agent, reason, payer):
    case = _awaiting(shop, line, agent, reason=reason) if reason != "damaged_in_transit" else None
    if case is None:  # transit damage: a resend is recommended; the buyer chose to send it back
        case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason=reason, kind="return_refund")
        if case.status == S.REQUESTED:
            svc.case_approve(case=case, actor=agent)
        case.refresh_from_db()
    with pytest.raises(CaseError) as exc:
        svc.case_return_shipped(case=case, actor=agent, carrier="SF", tracking_no="SF1000000001", payer=payer)
    assert exc.value.field == "payer"


def test_the_payer_of_a_no_reason_return_may_still_be_set(shop, line, agent):
    # a no-reason return's postage is the parties' to agree (办法18): the shop may take it on, or put it on insurance
    case = _awaiting(shop, line, agent, reason="no_reason")
    assert case.shipping_payer == "buyer"
    case = svc.case_return_shipped(case=case, actor=agent, carrier="SF", tracking_no="SF1000000001", payer="merchant")
    assert case.shipping_payer == "merchant" and case.status == S.IN_TRANSIT_BACK


def test_a_quality_return_keeps_the_merchant_when_it_is_restated(shop, line, agent):
    case = _awaiting(shop, line, agent)
    case = svc.case_return_shipped(case=case, actor=agent, carrier="SF", tracking_no="SF1000000001", payer="merchant")
    assert case.shipping_payer == "merchant" and case.status == S.IN_TRANSIT_BACK
