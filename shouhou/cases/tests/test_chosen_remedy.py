"""The remedy a case is filed for: a customer chooses among what the policy allows; staff and the API as before;
the refund amount is stored only for a remedy that refunds."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shouhou.accounts.actors import SYSTEM, CustomerActor
from shouhou.cases import services as svc
from shouhou.cases.models import Case
from shouhou.cases.tests.factories import photo

pytestmark = pytest.mark.django_db(transaction=False)


def test_a_customer_may_file_any_remedy_the_policy_allows(shop, line):
    # given a parcel damaged in transit: resend (recommended), return and refund, refund only
    # when the customer chooses the return instead of the resend
    case = svc.case_create(shop=shop, order_line=line, reason="damaged_in_transit", kind="return_refund",
                           photos=[photo()], actor=CustomerActor(), from_customer=True, channel="portal")
    # then the case is for that remedy, with its refund and the merchant paying the postage back
    assert case.kind == "return_refund" and case.decision["recommended"] == "resend"
    assert case.refund_amount == Decimal("199.00") and case.shipping_payer == "merchant"


@pytest.mark.parametrize("kind", ["exchange", "compensation"])
def test_a_customer_cannot_choose_a_remedy_the_policy_does_not_allow(shop, line, kind):
    # exchange is not among 补寄、退货退款、仅退款 here; compensation is the shop's to offer, never the customer's
    with pytest.raises(svc.CaseError) as refused:
        svc.case_create(shop=shop, order_line=line, reason="damaged_in_transit", kind=kind, photos=[photo()],
                        actor=CustomerActor(), from_customer=True)
    assert str(refused.value) == (f"按本店售后政策，这个申请不能办理「{'换货' if kind == 'exchange' else '补偿'}」，"
                                  "可选择：补寄、退货退款、仅退款。")
    assert not Case.objects.exists()


def test_staff_may_still_file_a_remedy_outside_the_policys_list(shop, line):
    case = svc.case_create(shop=shop, order_line=line, reason="damaged_in_transit", kind="exchange", actor=SYSTEM)
    assert case.kind == "exchange"


@pytest.mark.parametrize(("reason", "kind", "refund"), [
    ("damaged_in_transit", "resend", Decimal("0")),
    ("damaged_in_transit", "refund_only", Decimal("199.00")),
    ("size_fit", "exchange", Decimal("0")),
    ("size_fit", "return_refund", Decimal("199.00")),
    ("quality", "repair", Decimal("0")),
])
def test_the_refund_amount_is_stored_only_for_a_refund(shop, line, reason, kind, refund):
    # given decisions that carry a refund amount for their refund remedies
    case = svc.case_create(shop=shop, order_line=line, reason=reason, kind=kind, photos=[photo()], actor=SYSTEM)
    assert Decimal(case.decision["refund_amount"]) == Decimal("199.00")
    # then an exchange, resend or repair case refunds nothing
    case.refresh_from_db()
    assert case.refund_amount == refund
