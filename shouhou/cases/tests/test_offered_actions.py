"""The case page offers an action only when the service will accept it (issue 15: the compensation form on
cases awaiting the buyer, 主管批准 shown to agents, 管理后台 shown to agents all ended in an error)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as svc
from shouhou.cases.choices import CaseStatus as S
from shouhou.cases.models import Case
from shouhou.core.testing.factories import OrderLineFactory

pytestmark = pytest.mark.django_db


def _case_in(status: str, shop, line, agent) -> Case:
    if status in (S.FULFILLING, S.AWAITING_SUPERVISOR):
        case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality", kind="compensation")
        amount = Decimal("10") if status == S.FULFILLING else Decimal("80")  # the agent's limit is 50
        return svc.case_issue_compensation(case=case, actor=agent, kind="coupon", amount=amount)
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality")
    steps = [
        (S.AWAITING_RETURN, lambda c: svc.case_approve(case=c, actor=agent)),
        (S.IN_TRANSIT_BACK, lambda c: svc.case_return_shipped(case=c, actor=agent, method="self_ship",
                                                              carrier="顺丰", tracking_no="SF1234567890")),
        (S.RECEIVED, lambda c: svc.case_mark_received(case=c, actor=agent)),
        (S.INSPECTING, lambda c: svc.case_start_inspection(case=c, actor=agent)),
    ]
    for reached, step in steps:
        if case.status == status:
            break
        case = step(case)
        assert case.status == reached
    assert case.status == status
    return case


STATUSES = [S.REQUESTED, S.AWAITING_RETURN, S.IN_TRANSIT_BACK, S.RECEIVED, S.INSPECTING, S.FULFILLING,
            S.AWAITING_SUPERVISOR]


@pytest.mark.parametrize("status", STATUSES)
def test_compensation_form_is_offered_exactly_when_issuing_succeeds(client, shop, agent, status):
    line = OrderLineFactory(order__shop=shop, price_paid=Decimal("199.00"))
    case = _case_in(status, shop, line, agent)
    client.force_login(agent)
    offered = f"/cases/{case.pk}/act/compensate/" in client.get(f"/cases/{case.pk}/").content.decode()
    page = client.post(f"/cases/{case.pk}/act/compensate/", {"kind": "coupon", "amount": "5"}, follow=True)
    succeeded = "操作成功" in page.content.decode()
    assert offered == succeeded, (status, offered, page.content.decode()[:0])
    assert offered == (status in (S.REQUESTED, S.RECEIVED, S.INSPECTING, S.FULFILLING))


def test_awaiting_buyer_says_why_no_compensation(shop, agent):
    line = OrderLineFactory(order__shop=shop, price_paid=Decimal("199.00"))
    case = _case_in(S.AWAITING_RETURN, shop, line, agent)
    with pytest.raises(svc.CaseError, match="待买家寄回.*不能发放补偿"):
        svc.case_issue_compensation(case=case, actor=agent, kind="coupon", amount=Decimal("5"))


def test_supervisor_approval_is_offered_to_supervisors_only_and_only_when_pending(client, shop, agent, supervisor):
    line = OrderLineFactory(order__shop=shop, price_paid=Decimal("199.00"))
    case = _case_in(S.AWAITING_SUPERVISOR, shop, line, agent)
    url = f"/cases/{case.pk}/act/supervisor/"
    client.force_login(agent)
    assert url not in client.get(f"/cases/{case.pk}/").content.decode()
    assert "主管批准" not in client.get(f"/cases/{case.pk}/").content.decode()
    assert "无权" in client.post(url, follow=True).content.decode()
    client.force_login(supervisor)
    assert url in client.get(f"/cases/{case.pk}/").content.decode()
    assert "操作成功" in client.post(url, follow=True).content.decode()
    # Nothing pending any more: neither offered nor accepted (it used to move an approved case on).
    assert url not in client.get(f"/cases/{case.pk}/").content.decode()
    other = _case_in(S.REQUESTED, shop, OrderLineFactory(order__shop=shop), agent)
    svc.case_approve(case=other, actor=agent)
    with pytest.raises(svc.CaseError, match="没有待主管审批的补偿"):
        svc.case_supervisor_approve(case=Case.objects.get(pk=other.pk), actor=supervisor)


def test_admin_link_only_for_who_the_admin_lets_in_and_shows_something(client, shop, agent):
    agent.is_staff = True  # the demo's agents are staff without any model permission
    agent.save()
    client.force_login(agent)
    assert "/admin/" not in client.get("/").content.decode()
    assert client.get("/admin/").status_code == 200  # Django's empty "no permission to view anything"
    agent.user_permissions.add(Permission.objects.get(codename="view_case"))
    assert "/admin/" in client.get("/").content.decode()
    agent.is_staff = False
    agent.save()
    assert "/admin/" not in client.get("/").content.decode()


def test_a_read_only_analyst_is_offered_no_case_action(client, shop, agent):
    from shouhou.accounts.choices import Role
    from shouhou.core.testing.factories import MembershipFactory, UserFactory

    analyst = MembershipFactory(shop=shop, role=Role.ANALYST, user=UserFactory(username="analyst")).user
    case = _case_in(S.REQUESTED, shop, OrderLineFactory(order__shop=shop), agent)
    client.force_login(analyst)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert case.number in page and f"/cases/{case.pk}/act/" not in page
