"""Every case write as every role, through the service, the case page and the API (issue 15: an
analyst cancelled a case, and the page services for "return shipped" and "add evidence" checked no
role). The expectation is written out per operation, not derived from the permission table."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from shouhou.accounts.actors import SYSTEM, CustomerActor
from shouhou.cases import services as svc
from shouhou.cases.choices import CaseStatus as S
from shouhou.cases.models import Case, CaseEvent
from shouhou.cases.tests.factories import photo
from shouhou.core.testing.roles import STAFF_ROLES, SUPERVISORS, WRITERS, token_with_role, user_with_role

pytestmark = pytest.mark.django_db

# op: (state the case is put in, roles that may, service call, page form data, API path and body)
OPS = {
    "approve": (S.REQUESTED, WRITERS, lambda c, a: svc.case_approve(case=c, actor=a), {},
                ("approve", {})),
    "reject": (S.REQUESTED, WRITERS, lambda c, a: svc.case_reject(case=c, actor=a, reason="超期"),
               {"reason": "超期"}, ("reject", {"reason": "超期"})),
    "cancel": (S.REQUESTED, WRITERS, lambda c, a: svc.case_cancel(case=c, actor=a, reason="不要了"), {},
               ("cancel", {})),
    "ship": (S.AWAITING_RETURN, WRITERS,
             lambda c, a: svc.case_return_shipped(case=c, actor=a, carrier="SF", tracking_no="SF1000000001"),
             {"method": "self_ship", "carrier": "SF", "tracking_no": "SF1000000001"},
             ("return-shipment", {"method": "self_ship", "carrier": "SF", "tracking_no": "SF1000000001"})),
    "receive": (S.AWAITING_RETURN, WRITERS, lambda c, a: svc.case_mark_received(case=c, actor=a), {},
                ("receive", {})),
    "inspect": (S.RECEIVED, WRITERS, lambda c, a: svc.case_start_inspection(case=c, actor=a), {"site": "warehouse"},
                ("inspection", {"action": "start", "site": "warehouse"})),
    "result": (S.INSPECTING, WRITERS, lambda c, a: svc.case_record_inspection(case=c, actor=a, result="refund"),
               {"result": "refund"}, ("inspection", {"action": "result", "result": "refund"})),
    "progress": (S.APPROVED, WRITERS, lambda c, a: svc.case_add_progress(case=c, actor=a, note="处理中"),
                 {"note": "处理中"}, ("progress", {"note": "处理中"})),
    "compensate": (S.APPROVED, WRITERS,
                   lambda c, a: svc.case_issue_compensation(case=c, actor=a, kind="coupon", amount=Decimal("5")),
                   {"kind": "coupon", "amount": "5"}, ("compensate", {"kind": "coupon", "amount": "5"})),
    "supervisor": (S.AWAITING_SUPERVISOR, SUPERVISORS, lambda c, a: svc.case_supervisor_approve(case=c, actor=a),
                   {}, ("supervisor-approve", {})),
    "decline": (S.AWAITING_SUPERVISOR, SUPERVISORS,
                lambda c, a: svc.case_supervisor_decline(case=c, actor=a, reason="太多"),
                {"reason": "太多"}, ("supervisor-decline", {"reason": "太多"})),
    "resolve": (S.FULFILLING, WRITERS, lambda c, a: svc.case_resolve(case=c, actor=a), {}, ("resolve", {})),
    "evidence": (S.APPROVED, WRITERS, lambda c, a: svc.case_add_evidence(case=c, actor=a, upload=photo()),
                 None, None),
}


def _case_in(shop, line, status) -> Case:
    case = svc.case_create(shop=shop, order_line=line, reason="quality", kind="return_refund", actor=SYSTEM)
    pending = {"kind": "coupon", "amount": "80", "note": ""} if status == S.AWAITING_SUPERVISOR else {}
    Case.objects.filter(pk=case.pk).update(status=status, pending_compensation=pending)
    case.refresh_from_db()
    return case


def _footprint(case: Case) -> tuple:
    case.refresh_from_db()
    return case.status, CaseEvent.objects.filter(case=case).count(), case.evidence.count()


@pytest.mark.parametrize("role", STAFF_ROLES)
@pytest.mark.parametrize("op", list(OPS))
def test_service(op, role, shop, line):
    status, allowed, call, _form, _api = OPS[op]
    case, user = _case_in(shop, line, status), user_with_role(shop, role)
    before = _footprint(case)
    if role in allowed:
        call(case, user)
        assert _footprint(case) != before
    else:
        with pytest.raises(PermissionDenied):
            call(case, user)
        assert _footprint(case) == before


@pytest.mark.parametrize("role", STAFF_ROLES)
@pytest.mark.parametrize("op", list(OPS))
def test_page(op, role, shop, line):
    status, allowed, _call, form, _api = OPS[op]
    case, user = _case_in(shop, line, status), user_with_role(shop, role)
    client = Client()
    client.force_login(user)
    if role == "outsider":  # not a member: the shop's cases do not exist for them
        assert client.get(f"/cases/{case.pk}/").status_code in (403, 404)
        return
    page = client.get(f"/cases/{case.pk}/").content.decode()
    offered = f"/cases/{case.pk}/act/{op}/" in page
    assert offered == (role in allowed)  # the page offers exactly what the role may do
    before = _footprint(case)
    data = form if form is not None else {"photo": photo()}
    r = client.post(f"/cases/{case.pk}/act/{op}/", data, follow=True)
    assert r.status_code == 200
    if role in allowed:
        assert _footprint(case) != before
    else:
        assert _footprint(case) == before and "当前角色无权执行" in r.content.decode()


@pytest.mark.parametrize("via", ["session", "token"])
@pytest.mark.parametrize("role", STAFF_ROLES)
@pytest.mark.parametrize("op", list(OPS))
def test_api(op, role, via, shop, line):
    status, allowed, _call, _form, api = OPS[op]
    case = _case_in(shop, line, status)
    client = Client()
    headers = {}
    if via == "session":
        client.force_login(user_with_role(shop, role))
    elif role == "outsider":
        from shouhou.core.testing.factories import ShopFactory

        headers["HTTP_AUTHORIZATION"] = token_with_role(ShopFactory(code="elsewhere"), "admin")
    else:
        headers["HTTP_AUTHORIZATION"] = token_with_role(shop, role)
    before = _footprint(case)
    if api is None:
        r = client.post(f"/api/cases/{case.pk}/evidence", {"file": photo()}, **headers)
    else:
        path, body = api
        r = client.post(f"/api/cases/{case.pk}/{path}", body, content_type="application/json", **headers)
    if role in allowed:
        assert r.status_code in (200, 201), r.content
        assert _footprint(case) != before
    else:
        assert r.status_code in (401, 403, 404), r.content
        assert _footprint(case) == before


def test_the_customer_acts_only_on_the_case_of_their_link(shop, line):
    mine, other = _case_in(shop, line, S.AWAITING_RETURN), None
    from shouhou.core.testing.factories import OrderLineFactory

    other = _case_in(shop, OrderLineFactory(order__shop=shop), S.AWAITING_RETURN)
    with pytest.raises(PermissionDenied):
        svc.case_cancel(case=other, actor=CustomerActor(mine.pk))
    with pytest.raises(PermissionDenied):  # a customer approves nothing, even on their own case
        svc.case_mark_received(case=mine, actor=CustomerActor(mine.pk))
    svc.case_return_shipped(case=mine, actor=CustomerActor(mine.pk), carrier="SF", tracking_no="SF9000000009")
    assert Case.objects.get(pk=mine.pk).status == S.IN_TRANSIT_BACK


def test_no_actor_is_refused_not_waved_through(shop, line):
    case = _case_in(shop, line, S.REQUESTED)
    with pytest.raises(PermissionDenied, match="未指明操作人"):
        svc.case_cancel(case=case, actor=None)
    assert Case.objects.get(pk=case.pk).status == S.REQUESTED
