"""The same action submitted twice, or by two staff at once, acts once. Most case actions are transitions and the
second one is refused by the state machine; compensation is not (a second payout adds to the first), so it carries
what the person saw (`given`): a form posted twice or a colleague issuing at the same moment pays once."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.cases import services as svc
from shouhou.cases.models import Case
from shouhou.core.testing.factories import MembershipFactory, UserFactory
from shouhou.policies.document import default_source
from shouhou.policies.services import policy_publish

pytestmark = pytest.mark.django_db(transaction=False)


def _comp_case(shop, line):
    policy_publish(actor=SYSTEM, shop=shop, source=default_source())
    return svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality", kind="compensation")


def test_two_agents_issuing_on_what_they_both_saw_pay_once(shop, line, agent):
    other = MembershipFactory(shop=shop, role=Role.AGENT, user=UserFactory(username="agent2")).user
    case = _comp_case(shop, line)
    # both saw no compensation on the case; the first issues 5 yuan
    svc.case_issue_compensation(case=case, actor=agent, kind="coupon", amount="5", given="0.00")
    # then the second, on the same stale view, is refused and nothing more is paid
    with pytest.raises(svc.CaseError, match="补偿已变为 5.00"):
        svc.case_issue_compensation(case=Case.objects.get(pk=case.pk), actor=other, kind="coupon", amount="5",
                                    given="0.00")
    case.refresh_from_db()
    assert case.compensation_amount == Decimal("5.00")
    assert case.events.filter(kind="compensation_issued").count() == 1
    # while a deliberate second payout, on what is there now, adds to the first
    svc.case_issue_compensation(case=case, actor=other, kind="coupon", amount="3", given=case.compensation_amount)
    case.refresh_from_db()
    assert case.compensation_amount == Decimal("8.00")


@pytest.mark.parametrize("given", ["abc", "NaN", "1e999999"])
def test_a_nonsense_given_is_refused(shop, line, agent, given):
    case = _comp_case(shop, line)
    with pytest.raises(svc.CaseError, match="刷新页面"):
        svc.case_issue_compensation(case=case, actor=agent, kind="coupon", amount="5", given=given)
    case.refresh_from_db()
    assert case.compensation_amount == Decimal("0")


def test_the_compensation_form_posted_twice_pays_once(shop, line, agent_client):
    case = _comp_case(shop, line)
    page = agent_client.get(f"/cases/{case.pk}/").content.decode()
    given = re.search(r'name="given" value="([^"]*)"', page).group(1)
    form = {"kind": "coupon", "amount": "5", "given": given}
    agent_client.post(f"/cases/{case.pk}/act/compensate/", form)
    second = agent_client.post(f"/cases/{case.pk}/act/compensate/", form, follow=True).content.decode()
    case.refresh_from_db()
    assert case.compensation_amount == Decimal("5.00") and "本次未发放" in second


def test_the_api_refuses_a_stale_compensation_with_409(shop, line):
    from django.test import Client

    from shouhou.accounts.services import token_issue

    case = _comp_case(shop, line)
    auth = {"HTTP_AUTHORIZATION": "Bearer " + token_issue(actor=SYSTEM, shop=shop, name="ERP", scopes=["cases"],
                                                            role=Role.AGENT).secret}
    c, url = Client(), f"/api/cases/{case.pk}/compensate"
    body = {"kind": "coupon", "amount": "5", "given": "0"}
    assert c.post(url, body, content_type="application/json", **auth).status_code == 200
    r = c.post(url, body, content_type="application/json", **auth)
    assert r.status_code == 409 and "本次未发放" in r.json()["detail"]
    case.refresh_from_db()
    assert case.compensation_amount == Decimal("5.00")
