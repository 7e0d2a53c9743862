"""Price protection: the price the customer states on the self-service page is checked by a person (against
the screenshot), never approved by the policy alone; staff and the API still follow the policy."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shouhou.accounts.actors import CustomerActor
from shouhou.cases import services as svc
from shouhou.cases.tests.factories import photo

pytestmark = pytest.mark.django_db(transaction=False)


def test_a_customers_price_protection_claim_goes_to_a_person_not_auto_approved(shop, line, agent):
    from shouhou.inbox.models import Ticket
    from shouhou.inbox.selectors import ticket_queue

    # given a dress bought for 199.00 on 11-01 (within the 7-day window), which the policy would auto-approve
    assert svc.case_preview(shop=shop, order_line=line, reason="price_drop",
                            claim_data={"current_price": "179.00"}).auto_approved
    # when the customer claims the difference on the self-service page, stating 179.00 with a screenshot
    case = svc.case_create(shop=shop, order_line=line, reason="price_drop", claim_data={"current_price": "179.00"},
                           photos=[photo()], actor=CustomerActor(), from_customer=True, channel="portal")
    # then the case waits for a person, with the difference it would refund
    case.refresh_from_db()
    assert (case.status, case.auto_approved, case.kind) == ("requested", False, "price_protect")
    assert case.refund_amount == Decimal("20.00") and case.claim["current_price"] == "179.00"
    # and it is in the agents' queue, linked to the case, its clock running
    ticket = Ticket.objects.get(case=case)
    rows = [row for row in ticket_queue(shop=shop, user=agent).rows if row.ticket == ticket]
    assert len(rows) == 1 and rows[0].clock.state == "running"


def test_a_staff_price_protection_case_still_follows_the_policy(shop, line, agent):
    from shouhou.inbox.models import Ticket

    # when an agent files the same claim (the customer told them the price on the phone)
    case = svc.case_create(shop=shop, order_line=line, reason="price_drop", claim_data={"current_price": "179.00"},
                           actor=agent, channel="desk")
    # then the policy's auto_approve decides, as before: approved at once, nobody asked
    case.refresh_from_db()
    assert (case.status, case.auto_approved, case.refund_amount) == ("approved", True, Decimal("20.00"))
    assert not Ticket.objects.exists()


def test_other_customer_claims_are_still_auto_approved(shop, line):
    # a no-reason return the customer files is still approved by the policy alone (nothing stated to check)
    case = svc.case_create(shop=shop, order_line=line, reason="no_reason", actor=CustomerActor(),
                           from_customer=True, channel="portal")
    assert case.auto_approved and case.status == "awaiting_return"
