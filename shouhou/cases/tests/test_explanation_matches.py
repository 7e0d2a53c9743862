"""What a case says matches what was decided: a case the policy alone would approve but which waits for a person
(a price the customer states; a remedy staff chose outside the policy's) does not tell the customer, the history or
the staff page 「已自动通过，无需等待审核」 while it sits in 待审核."""

from __future__ import annotations

import pytest

from shouhou.accounts.actors import SYSTEM, CustomerActor
from shouhou.cases import services as svc
from shouhou.cases.tests.factories import photo
from shouhou.notifications.models import OutboundMessage

pytestmark = pytest.mark.django_db(transaction=False)

AUTO = "已自动通过"


def _says_waiting(case):
    case.refresh_from_db()
    assert case.status == "requested" and not case.auto_approved
    assert AUTO not in case.decision["explanation_zh"] and "客服将尽快审核" in case.decision["explanation_zh"]
    assert "Approved automatically" not in case.decision["explanation_en"]
    assert case.decision["auto_approved"] is False
    assert all(AUTO not in e.note for e in case.events.all())


def test_a_customers_stated_price_waiting_for_a_person_does_not_say_approved(shop, line, agent_client):
    # given a price drop the policy alone would approve (preview: auto-approved)
    assert svc.case_preview(shop=shop, order_line=line, reason="price_drop",
                            claim_data={"current_price": "179.00"}).auto_approved
    # when the customer states the price on the self-service page
    case = svc.case_create(shop=shop, order_line=line, reason="price_drop", claim_data={"current_price": "179.00"},
                           photos=[photo()], actor=CustomerActor(), from_customer=True, channel="portal")
    # then everything it says is that a person will review it
    _says_waiting(case)
    created = OutboundMessage.objects.filter(idempotency_key=f"case:{case.pk}:created").first()
    assert created is None or AUTO not in str(created.context)
    assert AUTO not in agent_client.get(f"/cases/{case.pk}/").content.decode()


def test_a_remedy_staff_chose_outside_the_policy_waits_and_says_so(shop, line):
    # a no-reason return (auto-approved by the policy), filed by staff as a repair the policy does not offer
    case = svc.case_create(shop=shop, order_line=line, reason="no_reason", kind="repair", actor=SYSTEM)
    _says_waiting(case)


def test_an_automatic_approval_still_says_so(shop, line):
    case = svc.case_create(shop=shop, order_line=line, reason="no_reason", actor=SYSTEM)
    case.refresh_from_db()
    assert case.auto_approved and AUTO in case.decision["explanation_zh"]
