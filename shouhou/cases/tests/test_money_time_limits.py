"""Money, time zone and approval-limit rules of the case services (found in the issue-3 audit)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.test import Client

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.cases import services as svc
from shouhou.cases.choices import CaseStatus as S
from shouhou.cases.tests.factories import PNG, photo
from shouhou.commerce.choices import Category
from shouhou.core.testing.factories import (
    MembershipFactory,
    OrderLineFactory,
    ProductFactory,
    ShipmentFactory,
    UserFactory,
)
from shouhou.policies.document import default_source
from shouhou.policies.services import policy_publish

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- the line total is refunded once, not multiplied by the quantity again ------------------------

def test_refund_of_a_two_unit_line_is_the_line_total(shop):
    # given an order line of 2 units for which the buyer paid 398.00 in all (as exports record it)
    product = ProductFactory(shop=shop, name="蓝牙耳机", category=Category.ELECTRONICS)
    line = OrderLineFactory(order__shop=shop, product=product, quantity=2, price_paid=Decimal("398.00"))
    # when a no-reason return is decided
    decision = svc.case_preview(shop=shop, order_line=line, reason="no_reason")
    # then the refund is what was paid, not 796.00
    assert decision.refund_amount == Decimal("398.00")
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="no_reason")
    assert case.refund_amount == Decimal("398.00")


def test_uneven_line_total_is_refunded_to_the_cent(shop):
    # given 3 units for 100.00 (33.333… each after a discount)
    line = OrderLineFactory(order__shop=shop, product__category=Category.HOME, quantity=3,
                            price_paid=Decimal("100.00"))
    # when a quality return is decided, then the refund is exactly 100.00, not 3 × 33.33
    assert svc.case_preview(shop=shop, order_line=line, reason="quality").refund_amount == Decimal("100.00")


def test_price_protection_on_a_multi_unit_line_refunds_the_difference_once(shop):
    # given 2 units bought for 398.00 in all, now sold at 179.00 each
    line = OrderLineFactory(order__shop=shop, product__category=Category.CLOTHING, quantity=2,
                            price_paid=Decimal("398.00"))
    # when price protection is claimed within the window
    with time_machine.travel(dt.datetime(2026, 11, 5, 12, 0, tzinfo=SHANGHAI), tick=False):
        d = svc.case_preview(shop=shop, order_line=line, reason="price_drop", claim_data={"current_price": "179.00"})
    # then the buyer gets 398 − 2 × 179 = 40.00
    assert (d.allowed, d.refund_amount) == (["price_protect"], Decimal("40.00"))


# --- days are counted in Asia/Shanghai, not UTC --------------------------------------------------

@pytest.mark.parametrize(("local_now", "allowed", "day"), [
    (dt.datetime(2026, 11, 11, 23, 59), ["return_refund", "exchange"], 7),  # 15:59 UTC on the 11th
    (dt.datetime(2026, 11, 12, 0, 10), [], 8),  # still 16:10 UTC on the 11th: a UTC date would say day 7
])
def test_no_reason_window_closes_at_shanghai_midnight(shop, local_now, allowed, day):
    # given a parcel signed for at 23:30 Shanghai time (15:30 UTC) on 4 November
    line = OrderLineFactory(order__shop=shop, product__category=Category.CLOTHING,
                            order__delivered_at=dt.datetime(2026, 11, 4, 23, 30, tzinfo=SHANGHAI))
    # when the customer asks at the given Shanghai time
    with time_machine.travel(local_now.replace(tzinfo=SHANGHAI), tick=False):
        d = svc.case_preview(shop=shop, order_line=line, reason="no_reason")
    # then day 7 is inside and day 8 outside, counted by the Shanghai calendar
    assert (d.allowed, d.day) == (allowed, day)


# --- a signed order whose sign-off time nobody recorded -------------------------------------------

def test_a_completed_order_without_a_sign_off_time_goes_to_a_person_not_refund_only(shop):
    # given an order the export marks completed, with no sign-off time and no signed parcel
    line = OrderLineFactory(order__shop=shop, product__category=Category.CLOTHING, quantity=1000,
                            price_paid=Decimal("300000.00"), order__status="completed", order__delivered_at=None)
    # when a no-reason return is asked for a month after the order
    with time_machine.travel(dt.datetime(2026, 12, 1, 12, 0, tzinfo=SHANGHAI), tick=False):
        d = svc.case_preview(shop=shop, order_line=line, reason="no_reason")
    # then nothing is granted automatically ("not delivered: refund only" was, for 300,000 yuan)
    assert (d.allowed, d.auto_approved, d.refund_amount) == ([], False, Decimal("0"))
    assert "delivery.unknown" in d.clauses and "签收时间记录" in d.explanation_zh


def test_the_sign_off_of_a_parcel_counts_when_the_order_has_none(shop):
    # given an order without its own sign-off time whose parcel was signed for on 20 November
    line = OrderLineFactory(order__shop=shop, product__category=Category.CLOTHING, order__status="completed",
                            order__delivered_at=None)
    ShipmentFactory(order=line.order, status="signed", signed_at=dt.datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI))
    # when asked on 1 December (day 11) and on 25 November (day 5)
    with time_machine.travel(dt.datetime(2026, 12, 1, 12, 0, tzinfo=SHANGHAI), tick=False):
        late = svc.case_preview(shop=shop, order_line=line, reason="no_reason")
    with time_machine.travel(dt.datetime(2026, 11, 25, 12, 0, tzinfo=SHANGHAI), tick=False):
        early = svc.case_preview(shop=shop, order_line=line, reason="no_reason")
    # then the window is counted from the parcel's signature
    assert (late.allowed, late.day) == ([], 11)
    assert (early.allowed, early.day) == (["return_refund", "exchange"], 5)


# --- approval limits -----------------------------------------------------------------------------

@pytest.fixture
def rich_agent(shop):
    """An agent whose personal limit (100) is above the policy's agent_approval_limit (20)."""
    return MembershipFactory(shop=shop, role=Role.AGENT, approval_limit=Decimal("100"),
                             user=UserFactory(username="rich")).user


def _comp_case(shop, line):
    policy_publish(actor=SYSTEM, shop=shop, source=default_source())
    return svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality", kind="compensation")


def test_the_policy_limit_caps_a_generous_personal_limit(shop, line, rich_agent):
    # given a case decided under the default policy (agents may grant 20 yuan)
    case = _comp_case(shop, line)
    # when an agent with a personal limit of 100 grants a 30-yuan red packet
    svc.case_issue_compensation(case=case, actor=rich_agent, kind="red_packet", amount=Decimal("30"))
    case.refresh_from_db()
    # then it waits for a supervisor
    assert case.status == S.AWAITING_SUPERVISOR
    assert case.pending_compensation == {"kind": "red_packet", "amount": "30.00", "note": ""}
    assert "超出客服审批额度 20 元" in case.events.get(kind="compensation_requested").note


def test_at_the_limit_the_agent_grants_alone(shop, line, rich_agent):
    case = _comp_case(shop, line)
    svc.case_issue_compensation(case=case, actor=rich_agent, kind="coupon", amount=Decimal("20"))
    case.refresh_from_db()
    assert (case.status, case.compensation_amount) == (S.FULFILLING, Decimal("20.00"))


@pytest.mark.parametrize(("points", "status"), [(2000, S.FULFILLING), (2001, S.AWAITING_SUPERVISOR)])
def test_points_count_at_100_per_yuan_against_the_limit(shop, line, rich_agent, points, status):
    # given the 20-yuan agent limit, when an agent grants points, then 2,000 points (20 yuan) are fine
    case = _comp_case(shop, line)
    svc.case_issue_compensation(case=case, actor=rich_agent, kind="points", amount=Decimal(points))
    case.refresh_from_db()
    assert case.status == status


def test_an_agent_cannot_bypass_a_pending_supervisor_approval(shop, line, rich_agent):
    # given a compensation waiting for a supervisor
    case = _comp_case(shop, line)
    svc.case_issue_compensation(case=case, actor=rich_agent, kind="red_packet", amount=Decimal("80"))
    # when the agent tries to grant a smaller one meanwhile, then it is refused and nothing changes
    with pytest.raises(svc.CaseError, match="待主管审批的补偿"):
        svc.case_issue_compensation(case=case, actor=rich_agent, kind="coupon", amount=Decimal("5"))
    case.refresh_from_db()
    assert (case.status, case.compensation_amount) == (S.AWAITING_SUPERVISOR, Decimal("0.00"))


def test_supervisor_declines_a_compensation_and_the_case_goes_on(shop, line, rich_agent, supervisor):
    case = _comp_case(shop, line)
    svc.case_issue_compensation(case=case, actor=rich_agent, kind="red_packet", amount=Decimal("80"))
    with pytest.raises(PermissionDenied):
        svc.case_supervisor_decline(case=case, actor=rich_agent, reason="x")
    with pytest.raises(svc.CaseError, match="必须填写原因"):
        svc.case_supervisor_decline(case=case, actor=supervisor, reason=" ")
    # when the supervisor declines with a reason
    svc.case_supervisor_decline(case=case, actor=supervisor, reason="金额过高，请按阶梯发放 10 元券")
    case.refresh_from_db()
    # then the case is back in hand without compensation, recorded internally
    assert (case.status, case.pending_compensation, case.compensation_amount) == (S.FULFILLING, {}, Decimal("0"))
    ev = case.events.get(kind="supervisor_declined")
    assert (ev.from_status, ev.to_status, ev.actor, ev.visible_to_customer) == (
        "awaiting_supervisor", "fulfilling", supervisor, False)
    assert ev.data == {"declined": {"kind": "red_packet", "amount": "80.00", "note": ""}}
    # and the agent can now grant what the ladder says
    svc.case_issue_compensation(case=case, actor=rich_agent, kind="coupon", amount=Decimal("10"))
    case.refresh_from_db()
    assert case.compensation_amount == Decimal("10.00")
    # declining again when nothing waits is refused
    with pytest.raises(svc.CaseError, match="没有待主管审批的补偿"):
        svc.case_supervisor_decline(case=case, actor=supervisor, reason="x")


def test_supervisor_decline_over_the_api(shop, line, agent, supervisor):
    case = _comp_case(shop, line)
    svc.case_issue_compensation(case=case, actor=agent, kind="red_packet", amount=Decimal("80"))
    c = Client()
    c.force_login(agent)
    url = f"/api/cases/{case.pk}/supervisor-decline"
    assert c.post(url, {"reason": "x"}, content_type="application/json").status_code == 403
    c.force_login(supervisor)
    r = c.post(url, {"reason": "金额过高"}, content_type="application/json")
    assert (r.status_code, r.json()["status"]) == (200, "fulfilling")
    assert c.post(url, {"reason": "again"}, content_type="application/json").status_code == 409


# --- what a compensation amount may be ------------------------------------------------------------

@pytest.mark.parametrize(("typed", "error"), [
    ("NaN", "补偿金额必须是有限的数字"), ("sNaN", "补偿金额必须是有限的数字"), ("Infinity", "补偿金额必须是有限的数字"),
    ("1e30", "补偿金额过大"), ("abc", "补偿金额必须是数字"), ("12.345", "补偿金额最多两位小数"),
    ("", "请填写补偿金额"), ("0", "补偿金额必须大于 0"), ("-5", "补偿金额必须大于 0"),
])
def test_a_bad_amount_on_the_case_page_is_named_and_changes_nothing(shop, line, supervisor, typed, error):
    # given a case a supervisor may compensate
    case = _comp_case(shop, line)
    c = Client(raise_request_exception=False)
    c.force_login(supervisor)
    # when the amount typed is not a fen-exact positive number
    r = c.post(f"/cases/{case.pk}/act/compensate/", {"kind": "red_packet", "amount": typed}, follow=True)
    # then the page says what is wrong (no 500), nothing is stored, and the case still opens
    assert r.status_code == 200 and error in r.content.decode()
    case.refresh_from_db()
    assert (case.compensation_amount, case.status) == (Decimal("0"), S.REQUESTED)
    assert c.get(f"/cases/{case.pk}/").status_code == 200
    assert not case.events.filter(kind="compensation_issued").exists()


def test_points_are_whole(shop, line, supervisor):
    case = _comp_case(shop, line)
    with pytest.raises(svc.CaseError, match="补偿积分应为整数积分"):
        svc.case_issue_compensation(case=case, actor=supervisor, kind="points", amount="10.5")


@pytest.mark.parametrize("role_fixture", ["supervisor", "shop_admin"])
def test_nobody_compensates_more_than_was_paid(shop, line, role_fixture, request):
    # given a 199-yuan line and a supervisor or admin (no approval limit of their own)
    boss = request.getfixturevalue(role_fixture)
    case = _comp_case(shop, line)
    # when 100,000 is typed, then it is refused and nothing is paid
    with pytest.raises(svc.CaseError, match="不能超过顾客为本单实付的 199.00 元"):
        svc.case_issue_compensation(case=case, actor=boss, kind="red_packet", amount="100000")
    case.refresh_from_db()
    assert case.compensation_amount == Decimal("0")
    # and up to the amount paid is fine
    svc.case_issue_compensation(case=case, actor=boss, kind="red_packet", amount="199.00")
    case.refresh_from_db()
    assert case.compensation_amount == Decimal("199.00")


def test_a_second_payout_adds_to_the_first_and_counts_against_the_limit(shop, line, rich_agent, supervisor):
    # given a 15-yuan coupon granted by an agent (limit 20)
    case = _comp_case(shop, line)
    svc.case_issue_compensation(case=case, actor=rich_agent, kind="coupon", amount="15")
    # when the agent grants 10 more, then the case's 25 passes the agent's 20 and waits for a supervisor
    svc.case_issue_compensation(case=case, actor=rich_agent, kind="coupon", amount="10")
    case.refresh_from_db()
    assert (case.status, case.compensation_amount) == (S.AWAITING_SUPERVISOR, Decimal("15.00"))
    # when the supervisor approves, then the case holds both (the history shows both payouts)
    svc.case_supervisor_approve(case=case, actor=supervisor)
    case.refresh_from_db()
    assert (case.compensation_amount, case.compensation_kind) == (Decimal("25.00"), "coupon")
    # and another kind on top is refused rather than overwriting the sum
    with pytest.raises(svc.CaseError, match="追加补偿请用同一方式"):
        svc.case_issue_compensation(case=case, actor=supervisor, kind="points", amount="100")


def test_the_supervisor_sees_and_confirms_the_amount_waiting(shop, line, rich_agent, supervisor):
    # given an 80-yuan red packet waiting for a supervisor
    case = _comp_case(shop, line)
    svc.case_issue_compensation(case=case, actor=rich_agent, kind="red_packet", amount="80", note="客户生日")
    c = Client()
    c.force_login(supervisor)
    # when the supervisor opens the case
    page = c.get(f"/cases/{case.pk}/").content.decode()
    # then the kind, the amount and the note are on the page, and the approval asks first, naming them
    assert "待主管审批的补偿" in page and "红包 80.00 元" in page and "客户生日" in page
    assert 'data-confirm="确定批准发放补偿 红包 80.00 元 吗？"' in page


# --- evidence is served to the shop's staff only ---------------------------------------------------

def test_evidence_photo_is_served_to_staff_only(shop, other_shop, line, agent):
    # given a case with a PNG photo
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality", photos=[photo(PNG, "a.png")])
    ev = case.evidence.get()
    url = f"/cases/{case.pk}/evidence/{ev.pk}/"
    # when staff of the shop open it, then they get the image with its sniffed type
    c = Client()
    c.force_login(agent)
    r = c.get(url)
    assert (r.status_code, r["Content-Type"]) == (200, "image/png")
    assert b"".join(r.streaming_content) == PNG
    # and the API detail links to the API download, which works with the same rights
    api_url = c.get(f"/api/cases/{case.pk}").json()["evidence"][0]
    assert api_url == f"/api/cases/{case.pk}/evidence/{ev.pk}"
    from_api = c.get(api_url)
    assert b"".join(from_api.streaming_content) == PNG
    # both never sniffed and sandboxed: a file stored before uploads were decoded may hold a page behind its header
    for served in (r, from_api):
        assert served["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in served["Content-Security-Policy"] and "default-src 'none'" in served["Content-Security-Policy"]
    # anonymous visitors are sent to log in; another shop's staff get 404
    assert Client().get(url).status_code == 302
    stranger = MembershipFactory(shop=other_shop, role=Role.ADMIN, user=UserFactory(username="stranger")).user
    s = Client()
    s.force_login(stranger)
    assert s.get(url).status_code == 404
    assert s.get(api_url).status_code == 404


def _token(shop, role):
    from shouhou.accounts.services import token_issue

    return {"HTTP_AUTHORIZATION": "Bearer " + token_issue(actor=SYSTEM, shop=shop, name=f"t-{role}", scopes=["cases"],
                                                            role=role).secret}


@pytest.mark.parametrize(("role", "amount", "status"), [
    (Role.AGENT, "20", S.FULFILLING),             # an agent token: the policy's 20-yuan limit
    (Role.AGENT, "21", S.AWAITING_SUPERVISOR),
    (Role.SUPERVISOR, "80", S.FULFILLING),        # a supervisor token grants above the limit
])
def test_api_tokens_get_the_limit_of_their_role(shop, line, role, amount, status):
    case = _comp_case(shop, line)
    r = Client().post(f"/api/cases/{case.pk}/compensate", {"kind": "red_packet", "amount": amount},
                      content_type="application/json", **_token(shop, role))
    assert (r.status_code, r.json()["status"]) == (200, status)


def _inspecting(shop, line, agent):
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality")
    svc.case_approve(case=case, actor=agent)
    svc.case_return_shipped(actor=SYSTEM, case=case, method="pickup")
    svc.case_mark_received(case=case, actor=agent)
    svc.case_start_inspection(case=case, actor=agent)
    return case


def test_inspection_compensation_defaults_to_the_policy_suggestion(shop, line, agent):
    # given a quality case whose decision suggests a 10-yuan coupon (regular customer)
    case = _inspecting(shop, line, agent)
    assert case.decision["compensation"]["kind"] == "coupon" and case.decision["compensation"]["amount"] == "10"
    # when the inspection concludes "compensation" without naming kind or amount
    svc.case_record_inspection(case=case, actor=agent, result="compensation", note="轻微瑕疵，补偿")
    case.refresh_from_db()
    # then the suggested coupon is granted
    assert (case.status, case.compensation_kind, case.compensation_amount) == (S.FULFILLING, "coupon",
                                                                              Decimal("10.00"))


def test_inspection_compensation_without_any_amount_is_refused(shop, line, agent):
    case = _inspecting(shop, line, agent)
    case.decision = {**case.decision, "compensation": None}
    case.save(update_fields=["decision"])
    with pytest.raises(svc.CaseError, match="须填写补偿金额"):
        svc.case_record_inspection(case=case, actor=agent, result="compensation")
    with pytest.raises(svc.CaseError, match="未知的补偿方式"):
        svc.case_record_inspection(case=case, actor=agent, result="compensation", compensation_kind="cash",
                                   compensation_amount=Decimal("5"))
    case.refresh_from_db()
    assert (case.status, case.compensation_amount) == (S.INSPECTING, Decimal("0.00"))
