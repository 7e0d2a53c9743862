"""Law vectors, round 9, through the case services and the API (policies/tests/test_law_vectors_round9.py holds the pure
table): an order line as stored, `case_preview` / `case_create` on the Asia/Shanghai calendar.

条例 = 消费者权益保护法实施条例 (2024) art. 18: 「需要经营者另行安装的商品，有效期限自商品安装完成之日起计算」 — staff or the
API state the installation (claim `installed_date`) and the 三包 periods run from it; 办法 = 网络购买商品七日无理由退货暂行办法:
art. 10 (the seven days from the day after sign-off, here over month ends), art. 13 (refund within seven days of
receiving the goods), art. 20 para. 2 and 条例19 (without the buyer's confirmation at purchase, no refusal)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
import time_machine
from django.test import Client

from shouhou.accounts.actors import SYSTEM, CustomerActor
from shouhou.cases import services as svc
from shouhou.cases.models import Case
from shouhou.core.testing.factories import OrderFactory, OrderLineFactory, ProductFactory

pytestmark = pytest.mark.django_db(transaction=False)

SH = dt.timezone(dt.timedelta(hours=8))
NR = ["return_refund", "exchange"]
_N = itertools.count(1)


def _line(shop, category="electronics", *, signed=dt.datetime(2026, 3, 1, 20, 0, tzinfo=SH), paid="2599.00"):
    placed = signed - dt.timedelta(days=3)
    order = OrderFactory(shop=shop, delivered_at=signed, placed_at=placed, paid_at=placed, shipped_at=placed)
    product = ProductFactory(shop=shop, name=f"挂式空调 {next(_N)}", category=category)
    return OrderLineFactory(order=order, product=product, quantity=1, price_paid=Decimal(paid))


def test_an_air_conditioner_installed_three_weeks_later_keeps_its_warranty_from_the_installation(shop):
    # given an air conditioner signed for on 03-01 and installed by the shop's fitter on 03-20 (条例18)
    line = _line(shop)
    claim = {"installed_date": "2026-03-20"}
    # when it fails on 2027-03-10: past a year from the delivery, within a year of the installation
    with time_machine.travel(dt.datetime(2027, 3, 10, 10, 0, tzinfo=SH), tick=False):
        preview = svc.case_preview(shop=shop, order_line=line, reason="performance_fault", claim_data=claim)
        case = svc.case_create(shop=shop, order_line=line, reason="performance_fault", claim_data=claim, actor=SYSTEM)
    # then it is a free 三包 repair, saying why, the warranty running to 2027-03-20
    assert preview.allowed == ["repair"] and "sanbao.from_installation" in preview.clauses
    assert case.decision["allowed"] == ["repair"]
    assert case.decision["deadlines"]["warranty_until"] == "2027-03-20"
    assert case.claim["installed_date"] == "2026-03-20" and case.shipping_payer == "merchant"
    # and the staff case page names the installation beside the claim
    from shouhou.cases.selectors import case_claim_facts

    assert ("installed", "商家安装完成于 2026-03-20（三包期限自此起算，实施条例第18条）") in case_claim_facts(case)
    # and without the installation it had ended (what the case said before round 9)
    with time_machine.travel(dt.datetime(2027, 3, 10, 10, 0, tzinfo=SH), tick=False):
        assert svc.case_preview(shop=shop, order_line=line, reason="performance_fault").allowed == []


def test_a_fault_in_the_first_week_after_a_late_installation_is_the_three_guarantees_return(shop):
    # 条例18, 三包9: installed on 03-06, the fault on 03-12 (day 11 after delivery, day 6 after the installation)
    line = _line(shop)
    with time_machine.travel(dt.datetime(2026, 3, 12, 10, 0, tzinfo=SH), tick=False):
        case = svc.case_create(shop=shop, order_line=line, reason="performance_fault", kind="return_refund",
                               claim_data={"installed_date": "2026-03-06"}, actor=CustomerActor(), from_customer=True,
                               channel="portal")
    assert case.kind == "return_refund" and case.refund_amount == Decimal("2599.00")
    assert case.decision["deadlines"]["sanbao_return_until"] == "2026-03-13"


@pytest.mark.parametrize(("installed", "signed"), [
    ("2026-02-27", dt.datetime(2026, 3, 1, 20, 0, tzinfo=SH)),  # before the sign-off
    ("2026-06-01", dt.datetime(2026, 3, 1, 20, 0, tzinfo=SH)),  # after today
])
def test_an_impossible_installation_date_is_the_claims_error_and_nothing_is_written(shop, installed, signed):
    line = _line(shop, signed=signed)
    with time_machine.travel(dt.datetime(2026, 4, 1, 10, 0, tzinfo=SH), tick=False):
        with pytest.raises(svc.CaseError) as exc:
            svc.case_create(shop=shop, order_line=line, reason="performance_fault",
                            claim_data={"installed_date": installed}, actor=SYSTEM)
    assert exc.value.field == "claim.installed_date"
    assert "申请信息有误" in str(exc.value) and installed in str(exc.value)
    assert not Case.objects.exists()


def test_the_api_takes_the_installation_in_the_claim_and_locates_a_bad_one(shop, agent):
    line = _line(shop)
    c = Client()
    c.force_login(agent)
    with time_machine.travel(dt.datetime(2027, 3, 10, 10, 0, tzinfo=SH), tick=False):
        bad = c.post("/api/cases/", {"order_no": line.order.order_no, "line_id": line.pk, "reason": "performance_fault",
                                     "claim": {"installed_date": "2026-02-01"}}, content_type="application/json")
        assert bad.status_code == 400, bad.content
        assert bad.json()["errors"][0]["loc"] == ["claim.installed_date"]
        assert not Case.objects.exists()
        r = c.post("/api/cases/", {"order_no": line.order.order_no, "line_id": line.pk, "reason": "performance_fault",
                                   "claim": {"installed_date": "2026-03-20"}}, content_type="application/json")
    assert r.status_code == 201, r.content
    assert r.json()["decision"]["allowed"] == ["repair"]
    assert "sanbao.from_installation" in r.json()["decision"]["clauses"]


@pytest.mark.parametrize(("now", "allowed"), [
    (dt.datetime(2026, 2, 7, 23, 59, tzinfo=SH), NR),  # day 7 over the end of January
    (dt.datetime(2026, 2, 8, 0, 1, tzinfo=SH), []),
])
def test_the_seven_days_over_a_month_end(shop, now, allowed):
    # 办法10: signed at 22:00 on 01-31, day 1 is 02-01 and day 7 is 02-07
    line = _line(shop, "home", signed=dt.datetime(2026, 1, 31, 22, 0, tzinfo=SH), paid="99.00")
    with time_machine.travel(now, tick=False):
        assert svc.case_preview(shop=shop, order_line=line, reason="no_reason").allowed == allowed


def test_the_refund_is_due_seven_days_after_receipt_over_the_end_of_february(shop, agent):
    # 办法13: the goods come back on 02-26 (2026, not a leap year): the refund is due by 03-05
    line = _line(shop, "home", signed=dt.datetime(2026, 2, 22, 12, 0, tzinfo=SH), paid="99.00")
    with time_machine.travel(dt.datetime(2026, 2, 23, 10, 0, tzinfo=SH), tick=False):
        case = svc.case_create(shop=shop, order_line=line, reason="no_reason", actor=SYSTEM)
        svc.case_return_shipped(case=case, actor=agent, carrier="SF", tracking_no="SF900800700")
    with time_machine.travel(dt.datetime(2026, 2, 26, 15, 0, tzinfo=SH), tick=False):
        case = svc.case_mark_received(case=case, actor=agent)
    assert case.decision["deadlines"]["refund_by"] == "2026-03-05"
    assert case.deadline_at == dt.datetime(2026, 3, 5, 23, 59, tzinfo=SH)


@pytest.mark.parametrize(("confirmed", "allowed"), [(False, NR), (True, [])])
def test_opened_cosmetics_are_returnable_unless_the_buyer_confirmed_at_purchase(shop, confirmed, allowed):
    # 办法7(一), 20 para. 2; 条例19: 「未经消费者确认，经营者不得拒绝无理由退货」
    line = _line(shop, "cosmetics", paid="99.00")
    claim = {"condition": "opened_unused", "confirmed_exclusion_at_purchase": confirmed}
    with time_machine.travel(dt.datetime(2026, 3, 4, 10, 0, tzinfo=SH), tick=False):
        case = svc.case_create(shop=shop, order_line=line, reason="no_reason", claim_data=claim, actor=SYSTEM)
    assert case.decision["allowed"] == allowed
    assert case.refund_amount == (Decimal("99.00") if allowed else Decimal("0"))


def test_a_replacement_that_fails_within_fifteen_days_of_the_exchange_may_be_exchanged_again(shop):
    # 条例18: 经营者向消费者履行更换义务后，承担更换、修理等义务的有效期限自更换完成之日起重新计算. Given a unit signed for on
    # 03-01 whose fault was put right by an exchange resolved on 03-10 (day 9)
    from shouhou.cases.choices import Resolution

    line = _line(shop, paid="1299.00")
    with time_machine.travel(dt.datetime(2026, 3, 8, 10, 0, tzinfo=SH), tick=False):
        first = svc.case_create(shop=shop, order_line=line, reason="performance_fault", kind="exchange", actor=SYSTEM,
                                auto_approve=False)
        first = svc.case_approve(case=first, actor=SYSTEM)
        first = svc.case_mark_received(case=first, actor=SYSTEM)
    with time_machine.travel(dt.datetime(2026, 3, 10, 10, 0, tzinfo=SH), tick=False):
        svc.case_resolve(case=first, actor=SYSTEM, resolution=Resolution.REPLACEMENT)
    # when the new unit fails on 03-20 (day 19 from the sale, day 10 from the exchange)
    with time_machine.travel(dt.datetime(2026, 3, 20, 10, 0, tzinfo=SH), tick=False):
        d = svc.case_preview(shop=shop, order_line=line, reason="performance_fault")
    # then the buyer may have it exchanged again (until 03-25), not only repaired
    assert d.allowed == ["exchange", "repair"] and "sanbao.exchange_restarted" in d.clauses
    assert d.deadlines["sanbao_exchange_until"] == "2026-03-25"
    with time_machine.travel(dt.datetime(2026, 3, 26, 10, 0, tzinfo=SH), tick=False):
        assert svc.case_preview(shop=shop, order_line=line, reason="performance_fault").allowed == ["repair"]


def test_a_request_dated_before_the_installation_is_judged_on_todays_facts(shop):
    # a platform request synced late, dated before the installation staff state, is never an impossible chronology
    line = _line(shop)
    with time_machine.travel(dt.datetime(2027, 3, 10, 10, 0, tzinfo=SH), tick=False):
        case = svc.case_create(shop=shop, order_line=line, reason="performance_fault", actor=SYSTEM,
                               claim_data={"installed_date": "2026-03-20"},
                               requested_at=dt.datetime(2026, 3, 15, 10, 0, tzinfo=SH))
    assert case.decision["allowed"] == ["repair"] and "sanbao.from_installation" in case.decision["clauses"]


# ── 三包12: 自送修之日起超过90日未修好的（缺零配件）…因修理者自身原因使修理期超过30日的 → 免费调换同型号同规格产品 ──────────

def _repair_sent(shop, agent, *, sent: dt.datetime):
    """A 三包 repair case (fault on day 20: repair only) whose goods the buyer sent back on `sent`."""
    line = _line(shop, paid="1299.00")
    with time_machine.travel(dt.datetime(2026, 3, 21, 10, 0, tzinfo=SH), tick=False):
        case = svc.case_create(shop=shop, order_line=line, reason="performance_fault", kind="repair", actor=SYSTEM)
        case = svc.case_approve(case=case, actor=agent)
    with time_machine.travel(sent, tick=False):
        case = svc.case_return_shipped(case=case, actor=agent, carrier="SF", tracking_no="SF700600500")
    assert "sanbao.repair" in case.decision["clauses"] and case.status == "in_transit_back"
    return case


@pytest.mark.parametrize(("cause", "now", "overdue"), [
    ("repairer", dt.datetime(2026, 5, 1, 10, 0, tzinfo=SH), False),   # day 30 from the hand-over (04-01)
    ("repairer", dt.datetime(2026, 5, 2, 10, 0, tzinfo=SH), True),    # day 31: past 30 days for its own reasons
    ("parts", dt.datetime(2026, 5, 2, 10, 0, tzinfo=SH), False),      # waiting for parts: 90 days
    ("parts", dt.datetime(2026, 6, 30, 10, 0, tzinfo=SH), False),     # day 90
    ("parts", dt.datetime(2026, 7, 1, 10, 0, tzinfo=SH), True),       # day 91
])
def test_a_repair_that_takes_too_long_owes_a_free_exchange(shop, agent, cause, now, overdue):
    from shouhou.cases.selectors import case_claim_facts, case_repair_overdue

    case = _repair_sent(shop, agent, sent=dt.datetime(2026, 4, 1, 10, 0, tzinfo=SH))
    with time_machine.travel(dt.datetime(2026, 4, 20, 10, 0, tzinfo=SH), tick=False):
        event = svc.case_record_repair_delay(case=case, actor=agent, cause=cause, note="厂家未发主板")
    assert event.kind == "repair_delay" and event.data == {"cause": cause} and not event.visible_to_customer
    with time_machine.travel(now, tick=False):
        found = case_repair_overdue(case)
        badges = dict(case_claim_facts(case))
    assert found["cause"] == cause and found["overdue"] is overdue
    assert ("repair-overdue" in badges) is overdue
    if overdue:
        assert "应为顾客免费调换同型号同规格产品（三包第十二条）" in badges["repair-overdue"]


def test_a_long_repair_without_a_recorded_cause_asks_for_one_and_grants_nothing(shop, agent):
    from shouhou.cases.selectors import case_claim_facts, case_repair_overdue

    case = _repair_sent(shop, agent, sent=dt.datetime(2026, 4, 1, 10, 0, tzinfo=SH))
    with time_machine.travel(dt.datetime(2026, 5, 10, 10, 0, tzinfo=SH), tick=False):
        assert case_repair_overdue(case)["overdue"] is False
        assert "请记录延误原因" in dict(case_claim_facts(case))["repair-overdue"]


def test_the_delay_is_recorded_from_the_case_page_only_while_the_repair_is_under_way(shop, agent):
    line = _line(shop, paid="1299.00")
    with time_machine.travel(dt.datetime(2026, 3, 21, 10, 0, tzinfo=SH), tick=False):
        waiting = svc.case_create(shop=shop, order_line=line, reason="performance_fault", kind="repair", actor=SYSTEM)
        # not handed over yet (待审核): no form, and the service refuses
        assert "delay" not in svc.case_operations_allowed(case=waiting, actor=agent)
        with pytest.raises(svc.CaseError):
            svc.case_record_repair_delay(case=waiting, actor=agent, cause="parts")
    case = _repair_sent(shop, agent, sent=dt.datetime(2026, 4, 1, 10, 0, tzinfo=SH))
    c = Client()
    c.force_login(agent)
    with time_machine.travel(dt.datetime(2026, 4, 20, 10, 0, tzinfo=SH), tick=False):
        assert "delay" in svc.case_operations_allowed(case=case, actor=agent)
        page = c.get(f"/cases/{case.pk}/").content.decode()
        assert 'data-testid="repair-delay"' in page
        with pytest.raises(svc.CaseError) as exc:
            svc.case_record_repair_delay(case=case, actor=agent, cause="weather")
        assert exc.value.field == "cause"
        r = c.post(f"/cases/{case.pk}/act/delay/", {"cause": "parts", "note": "等屏幕"})
    assert r.status_code == 302
    assert list(case.events.filter(kind="repair_delay").values_list("data", flat=True)) == [{"cause": "parts"}]
