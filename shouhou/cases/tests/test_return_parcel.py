"""The buyer's return parcel: a known carrier and a tracking number read as a phone types it, whoever
registers it (customer, desk, API); corrected until received; a pickup asked for is not a parcel on its way."""

from __future__ import annotations

import pytest
from django.test import Client

from shouhou.accounts.actors import SYSTEM, CustomerActor
from shouhou.cases import services as svc
from shouhou.cases.choices import CaseStatus as S
from shouhou.cases.parcels import ParcelError, carrier_code, tracking_no_check


@pytest.mark.parametrize(("typed", "code"), [
    ("SF", "SF"), ("sf", "SF"), (" ＳＦ ", "SF"), ("顺丰速运", "SF"), ("顺丰", "SF"), ("YD", "YD"),
    ("韵达快递", "YD"), ("JTSD", "JTSD"), ("极兔", "JTSD"), ("OTHER", "OTHER"), ("其他", "OTHER"),
])
def test_a_carrier_is_known_by_its_code_its_name_or_its_short_name(typed, code):
    assert carrier_code(typed) == code


@pytest.mark.parametrize("typed", ["", "XX", "SFEXPRESS", "顺丰速运快递公司", "SF1234567890"])
def test_anything_else_is_not_a_carrier(typed):
    with pytest.raises(ParcelError, match="^快递公司："):
        carrier_code(typed)


@pytest.mark.parametrize(("typed", "number"), [
    ("SF1234567890", "SF1234567890"), (" sf 1234 5678 90 ", "SF1234567890"), ("ｓｆ１２３４５６７８９０", "SF1234567890"),
    ("773\u3000012345678", "773012345678"), ("JDVA12345678", "JDVA12345678"), ("123456", "123456"), ("9" * 32, "9" * 32),
])
def test_a_tracking_number_is_normalised(typed, number):
    assert tracking_no_check(typed) == number


@pytest.mark.parametrize("typed", ["", "   ", "abc 123 !!", "SF-12345678", "12345", "9" * 33, "单号123456", "SF12345678。"])
def test_a_tracking_number_that_cannot_be_one_is_refused_naming_the_field(typed):
    with pytest.raises(ParcelError, match="^快递单号："):
        tracking_no_check(typed)



def _awaiting(shop, line, agent):
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality")
    svc.case_approve(case=case, actor=agent)
    case.refresh_from_db()
    assert case.status == S.AWAITING_RETURN
    return case


@pytest.mark.django_db
def test_the_api_refuses_an_unknown_carrier_and_stores_the_normalised_number(shop, line, agent):
    case = _awaiting(shop, line, agent)
    c = Client()
    c.force_login(agent)
    url = f"/api/cases/{case.pk}/return-shipment"
    r = c.post(url, {"method": "self_ship", "carrier": "Flying Pigeon", "tracking_no": "SF1234567890"},
               content_type="application/json")
    assert r.status_code == 409 and r.json()["detail"].startswith("快递公司：")  # CaseError's status in the API
    r = c.post(url, {"method": "self_ship", "carrier": "顺丰", "tracking_no": "sf 1234 5678 90"},
               content_type="application/json")
    assert r.status_code == 200 and (r.json()["return_carrier"], r.json()["return_tracking_no"]) == ("SF", "SF1234567890")
    assert r.json()["events"][-1]["note"] == "买家已寄回：顺丰速运 SF1234567890"


@pytest.mark.django_db
def test_a_customer_cannot_declare_a_pickup_done_only_ask_for_one(shop, line, agent):
    case = _awaiting(shop, line, agent)
    with pytest.raises(svc.CaseError, match="上门取件由客服为您安排"):
        svc.case_return_shipped(case=case, actor=CustomerActor(case.pk), method="pickup")
    svc.case_return_pickup_request(case=case, actor=CustomerActor(case.pk))
    case.refresh_from_db()
    assert (case.status, case.return_method) == (S.AWAITING_RETURN, "pickup")
    # the request reaches a person: a ticket on the case in the agents' queue, with the customer's words
    from shouhou.inbox.models import Message, Ticket

    ticket = Ticket.objects.get(case=case)
    assert ticket.status in ("new", "open") and Message.objects.filter(
        conversation=ticket.conversation, body__contains=f"我申请了上门取件（售后单 {case.number}）").count() == 1
    svc.case_return_pickup_request(case=case, actor=CustomerActor(case.pk))  # asked twice: one request
    assert Message.objects.filter(body__contains="我申请了上门取件").count() == 1
    # staff register the collection (no number yet): now it is on its way
    svc.case_return_shipped(case=case, actor=agent, method="pickup")
    case.refresh_from_db()
    assert case.status == S.IN_TRANSIT_BACK
    assert case.events.get(to_status=S.IN_TRANSIT_BACK, kind="transition").note == "快递员已上门取件"
    with pytest.raises(svc.CaseError, match="不能申请上门取件"):
        svc.case_return_pickup_request(case=case, actor=CustomerActor(case.pk))


@pytest.mark.django_db
def test_a_correction_is_refused_before_the_parcel_is_registered_and_after_it_is_received(shop, line, agent):
    case = _awaiting(shop, line, agent)
    with pytest.raises(svc.CaseError, match="寄回信息已不能修改"):
        svc.case_return_correct(case=case, actor=agent, carrier="SF", tracking_no="SF1234567890")
    svc.case_return_shipped(case=case, actor=agent, carrier="SF", tracking_no="SF1234567899")
    with pytest.raises(svc.CaseError, match="^快递单号："):
        svc.case_return_correct(case=case, actor=agent, carrier="SF", tracking_no="SF 12")
    svc.case_return_correct(case=case, actor=agent, carrier="SF", tracking_no="SF1234567890")
    case.refresh_from_db()
    assert (case.status, case.return_tracking_no) == (S.IN_TRANSIT_BACK, "SF1234567890")
    svc.case_mark_received(case=case, actor=agent)
    with pytest.raises(svc.CaseError, match="已收货.*寄回信息已不能修改"):
        svc.case_return_correct(case=case, actor=agent, carrier="SF", tracking_no="SF1234567891")
