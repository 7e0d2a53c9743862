"""Money and deadlines across the cases of one order line (a merchant's after-sales desk working several claims on
the same line): the refund is a share of what was paid and not yet paid back — the same fen is never refunded
twice, and units refunded one by one add up to the line total; a case's refund follows how it ended; the refund is
due within 7 days of receiving the return, counted on the Asia/Shanghai calendar.

Law: 消法 (CRPL) art. 25 para. 3 and 办法 (SAMR 7-day Measures) art. 13 — the merchant refunds what the consumer paid,
within 7 days of receiving the returned goods."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
import time_machine

from shouhou.accounts.actors import SYSTEM, SystemActor
from shouhou.cases import services as svc
from shouhou.cases.choices import CaseStatus as S
from shouhou.commerce.choices import Category
from shouhou.core.testing.factories import OrderLineFactory, ProductFactory

pytestmark = pytest.mark.django_db(transaction=False)

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
SIGNED = dt.datetime(2026, 11, 4, 15, 0, tzinfo=SHANGHAI)  # day 7 of the no-reason window is 11-11
DAY_2 = dt.datetime(2026, 11, 6, 10, 0, tzinfo=SHANGHAI)
_N = itertools.count(1)


def _line(shop, *, quantity=3, paid="100.00"):
    product = ProductFactory(shop=shop, name=f"北欧落地灯 {next(_N)}", category=Category.HOME)
    return OrderLineFactory(order__shop=shop, order__delivered_at=SIGNED, product=product, quantity=quantity,
                            price_paid=Decimal(paid))


def _returned(case, agent, *, resolution=None):
    svc.case_return_shipped(actor=SYSTEM, case=case, method="self_ship", carrier="SF", tracking_no="SF1234567890")
    svc.case_mark_received(case=case, actor=agent)
    return svc.case_resolve(case=case, actor=agent, resolution=resolution)


def _no_reason(shop, line, **claim):
    return svc.case_create(shop=shop, order_line=line, reason="no_reason", claim_data=claim, actor=SYSTEM)


def test_units_returned_one_by_one_refund_the_line_total_and_nothing_more(shop, agent):
    # given 3 units bought for 100.00 (a third is 33.333…), returned one at a time, each in its own case
    line = _line(shop)
    with time_machine.travel(DAY_2, tick=False):
        amounts = []
        for _ in range(3):
            case = _no_reason(shop, line, return_quantity=1)
            amounts.append(case.refund_amount)
            _returned(case, agent)
        # then the three refunds add up to what was paid (not 99.99: the last unit takes what is left)
        assert amounts == [Decimal("33.33"), Decimal("33.34"), Decimal("33.33")] and sum(amounts) == Decimal("100.00")
        # and a fourth claim on the line — any reason — is refused, naming the cases that refunded it
        for reason in ("quality", "no_reason", "lost_parcel"):
            with pytest.raises(svc.CaseError) as refused:
                svc.case_create(shop=shop, order_line=line, reason=reason, actor=SYSTEM)
            assert "3 件已全部退款" in str(refused.value) and case.number in str(refused.value)
            with pytest.raises(svc.CaseError):
                svc.case_preview(shop=shop, order_line=line, reason=reason)
        # while the shop may still offer a goodwill compensation on it (it refunds nothing)
        goodwill = svc.case_create(shop=shop, order_line=line, reason="late_shipment", kind="compensation",
                                   actor=SYSTEM)
        assert goodwill.kind == "compensation" and goodwill.refund_amount == Decimal("0")


def test_a_claim_after_a_partial_return_is_on_the_units_left(shop, agent):
    # given 2 of 3 units (300.00) returned and refunded
    line = _line(shop, paid="300.00")
    with time_machine.travel(DAY_2, tick=False):
        first = _no_reason(shop, line, return_quantity=2)
        assert first.refund_amount == Decimal("200.00")
        _returned(first, agent)
        # when the buyer claims 2 units again, the claim is refused at its field, nothing written
        with pytest.raises(svc.CaseError) as refused:
            _no_reason(shop, line, return_quantity=2)
        assert refused.value.field == "claim.return_quantity" and "已退款 2 件" in str(refused.value)
        assert line.cases.count() == 1
        # and a quality claim without units is on the one unit left: 100.00, recorded as 1 of 3 (not 300.00 again)
        second = svc.case_create(shop=shop, order_line=line, reason="quality", actor=SYSTEM)
        assert second.refund_amount == Decimal("100.00") and second.claim["return_quantity"] == 1
        assert second.decision["refund_amount"] == "100.00"


def test_a_refused_or_withdrawn_case_refunded_nothing(shop, agent):
    line = _line(shop, quantity=1, paid="199.00")
    with time_machine.travel(DAY_2, tick=False):
        rejected = svc.case_create(shop=shop, order_line=line, reason="quality", actor=SYSTEM)
        svc.case_reject(case=rejected, actor=agent, reason="照片显示为人为损坏")
        withdrawn = _no_reason(shop, line)
        svc.case_cancel(case=withdrawn, actor=SYSTEM, reason="不退了")
        # then a new claim is on the whole line
        again = _no_reason(shop, line)
    assert again.refund_amount == Decimal("199.00") and "return_quantity" not in again.claim


def test_a_return_after_a_price_protection_refund_gives_back_what_is_left(shop, agent):
    # given one unit bought for 300.00 whose price dropped to 250.00: 50.00 refunded as price protection
    line = _line(shop, quantity=1, paid="300.00")
    with time_machine.travel(DAY_2, tick=False):
        pp = svc.case_create(shop=shop, order_line=line, reason="price_drop", claim_data={"current_price": "250.00"},
                             actor=SYSTEM)
        assert pp.refund_amount == Decimal("50.00")
        if pp.status == S.REQUESTED:
            svc.case_approve(case=pp, actor=agent)
        svc.case_resolve(case=pp, actor=agent)
        # when the buyer then returns it without reason (day 2, within 7 days)
        ret = _no_reason(shop, line)
    # then the refund is what the buyer paid net of the price refund: 250.00, not 300.00
    assert ret.refund_amount == Decimal("250.00")


def test_price_protection_after_a_partial_return_is_on_the_units_kept(shop, agent):
    # given 3 units for 300.00, one returned (100.00); the price drops to 80.00
    line = _line(shop, paid="300.00")
    with time_machine.travel(DAY_2, tick=False):
        _returned(_no_reason(shop, line, return_quantity=1), agent)
        pp = svc.case_create(shop=shop, order_line=line, reason="price_drop", claim_data={"current_price": "80.00"},
                             actor=SYSTEM)
    # then the difference is for the 2 units kept: 200.00 − 2 × 80.00 = 40.00 (not 300.00 − 3 × 80.00 = 60.00)
    assert pp.refund_amount == Decimal("40.00") and "return_quantity" not in pp.claim


def test_a_case_refunds_only_when_it_ends_in_a_refund(shop, agent):
    with time_machine.travel(DAY_2, tick=False):
        # given a return and refund the inspection turns into a replacement
        line = _line(shop, quantity=1, paid="199.00")
        case = svc.case_create(shop=shop, order_line=line, reason="quality", actor=SYSTEM)
        svc.case_approve(case=case, actor=agent)
        svc.case_return_shipped(actor=SYSTEM, case=case, method="self_ship", carrier="SF", tracking_no="SF1234567890")
        svc.case_mark_received(case=case, actor=agent)
        svc.case_start_inspection(case=case, actor=agent)
        svc.case_record_inspection(case=case, actor=agent, result="replacement")
        case = svc.case_resolve(case=case, actor=agent)
        # then it refunds nothing (it showed ¥199 refunded on a replacement)
        case.refresh_from_db()
        assert case.resolution == "replacement" and case.refund_amount == Decimal("0")
        # given an exchange (size) the inspection turns into a refund of 1 of 2 units
        line2 = _line(shop, quantity=2, paid="398.00")
        ex = svc.case_create(shop=shop, order_line=line2, reason="quality", kind="exchange",
                             claim_data={"return_quantity": 1}, actor=SYSTEM)
        assert ex.refund_amount == Decimal("0")
        svc.case_approve(case=ex, actor=agent)
        svc.case_return_shipped(actor=SYSTEM, case=ex, method="self_ship", carrier="SF", tracking_no="SF1234567891")
        svc.case_mark_received(case=ex, actor=agent)
        svc.case_start_inspection(case=ex, actor=agent)
        svc.case_record_inspection(case=ex, actor=agent, result="refund")
        ex = svc.case_resolve(case=ex, actor=agent)
        ex.refresh_from_db()
        # then it is resolved as a refund of that unit's share (it said 退款 with ¥0)
        assert ex.resolution == "refund" and ex.refund_amount == Decimal("199.00")
        # and the next claim on that line is on the unit left
        assert svc.case_preview(shop=shop, order_line=line2, reason="quality").refund_amount == Decimal("199.00")


@pytest.mark.parametrize(("received", "refund_by"), [
    (dt.datetime(2026, 11, 7, 0, 10, tzinfo=SHANGHAI), "2026-11-14"),  # 16:10 UTC on 11-06: still counted from 11-07
    (dt.datetime(2026, 11, 7, 23, 50, tzinfo=SHANGHAI), "2026-11-14"),
])
def test_the_refund_is_due_7_days_after_the_return_is_received(shop, agent, client, received, refund_by):
    line = _line(shop, quantity=1, paid="199.00")
    with time_machine.travel(DAY_2, tick=False):
        case = _no_reason(shop, line)
        assert case.status == S.AWAITING_RETURN and f"{case.deadline_at:%Y-%m-%d}" == "2026-11-13"  # send back by
        svc.case_return_shipped(actor=SYSTEM, case=case, method="self_ship", carrier="SF", tracking_no="SF1234567890")
    with time_machine.travel(received, tick=False):
        case = svc.case_mark_received(case=case, actor=agent)
    case.refresh_from_db()
    # then the case's deadline is the refund's: day 7 after receipt, end of day in Asia/Shanghai (办法13)
    assert case.decision["deadlines"]["refund_by"] == refund_by
    assert case.deadline_at == dt.datetime.fromisoformat(f"{refund_by}T23:59:00+08:00")
    # and the staff page says it
    client.force_login(agent)
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f"{refund_by}" in page and 'data-testid="refund-by"' in page


def test_an_exchange_received_has_no_refund_deadline(shop, agent):
    line = _line(shop, quantity=1, paid="199.00")
    with time_machine.travel(DAY_2, tick=False):
        case = svc.case_create(shop=shop, order_line=line, reason="quality", kind="exchange", actor=SYSTEM)
        svc.case_approve(case=case, actor=agent)
        svc.case_return_shipped(actor=SYSTEM, case=case, method="self_ship", carrier="SF", tracking_no="SF1234567890")
        case = svc.case_mark_received(case=case, actor=agent)
    assert "refund_by" not in case.decision["deadlines"]


def test_the_platforms_own_request_on_a_refunded_line_is_still_recorded(shop, agent):
    # the platform holds the money of its own requests: a second request it sends is recorded, not refused
    line = _line(shop, quantity=1, paid="199.00")
    with time_machine.travel(DAY_2, tick=False):
        _returned(_no_reason(shop, line), agent)
        case = svc.case_create(shop=shop, order_line=line, reason="quality", actor=SystemActor("platforms"),
                               platform_request=True, auto_approve=False)
    assert case.status == S.REQUESTED


def test_a_recall_refunds_what_earlier_cases_did_not(shop, agent, supervisor):
    # given a batch of three lines: one returned and refunded in full, one with 1 of 2 units refunded, one untouched
    product = ProductFactory(shop=shop, name="暖手宝", category=Category.HOME)
    lines = [OrderLineFactory(order__shop=shop, order__delivered_at=SIGNED, product=product, quantity=q,
                              price_paid=Decimal(p)) for q, p in ((1, "59.00"), (2, "118.00"), (1, "59.00"))]
    with time_machine.travel(DAY_2, tick=False):
        _returned(_no_reason(shop, lines[0]), agent)
        _returned(_no_reason(shop, lines[1], return_quantity=1), agent)
        # when the product is recalled for a return and refund
        recall = svc.recall_launch(shop=shop, actor=supervisor, reason="电池批次存在过热风险", product=product)
    cases = {c.order_line_id: c for c in recall.cases.all()}
    # then nothing is recalled where everything came back already, and the rest is refunded once
    assert lines[0].pk not in cases
    assert (cases[lines[1].pk].refund_amount, cases[lines[1].pk].claim) == (Decimal("59.00"), {"return_quantity": 1})
    assert (cases[lines[2].pk].refund_amount, cases[lines[2].pk].claim) == (Decimal("59.00"), {})
    # and a recall case takes its goods back like any return (it was left in 已同意, where no parcel could be
    # registered or received: only resolved, a refund without the goods), then refunds that amount once
    case = cases[lines[2].pk]
    assert case.status == S.AWAITING_RETURN
    assert list(case.events.values_list("from_status", "to_status")) == [("", "approved"), ("approved", "awaiting_return")]
    with pytest.raises(svc.CaseError):
        svc.case_resolve(case=case, actor=agent)
    done = _returned(case, agent)
    done.refresh_from_db()
    assert (done.resolution, done.refund_amount) == ("refund", Decimal("59.00"))


def test_a_gift_kept_on_the_first_return_stays_deducted_on_the_next(shop, agent):
    # given 2 units for 200.00 with a gift marked 30.00; the first unit comes back without the gift (办法12)
    line = _line(shop, quantity=2, paid="200.00")
    with time_machine.travel(DAY_2, tick=False):
        first = _no_reason(shop, line, return_quantity=1, gift_value="30.00")
        assert (first.refund_amount, first.decision["gift_deduction"]) == (Decimal("70.00"), "30.00")
        _returned(first, agent)
        # when the second unit comes back
        second = _no_reason(shop, line)
    # then it refunds its own 100.00: 170.00 in all, the gift's value not given back through the last unit
    assert second.refund_amount == Decimal("100.00")


def test_a_case_the_platform_ends_refunds_by_how_it_ended(shop, agent):
    platform = SystemActor("platforms")
    with time_machine.travel(DAY_2, tick=False):
        # an exchange the platform turned into a refund (抖店 "refund instead"): the line's price, not ¥0
        line = _line(shop, quantity=1, paid="199.00")
        ex = svc.case_create(shop=shop, order_line=line, reason="quality", kind="exchange", actor=SYSTEM)
        svc.case_follow_platform(case=ex, status=S.RESOLVED, note="平台：售后成功", actor=platform, resolution="refund")
        ex.refresh_from_db()
        assert (ex.resolution, ex.refund_amount) == ("refund", Decimal("199.00"))
        # a return and refund the platform ended as a replacement refunds nothing
        line2 = _line(shop, quantity=1, paid="199.00")
        ret = svc.case_create(shop=shop, order_line=line2, reason="quality", actor=SYSTEM)
        svc.case_follow_platform(case=ret, status=S.RESOLVED, note="平台：换货完成", actor=platform,
                                 resolution="replacement")
        ret.refresh_from_db()
        assert (ret.resolution, ret.refund_amount) == ("replacement", Decimal("0"))


def test_a_request_settled_by_compensation_does_not_end_as_a_refund(shop, agent):
    # given a quality return and refund still awaiting review, which the agent settles with a 5-yuan coupon
    line = _line(shop, quantity=1, paid="199.00")
    with time_machine.travel(DAY_2, tick=False):
        case = svc.case_create(shop=shop, order_line=line, reason="quality", actor=SYSTEM)
        assert case.status == S.REQUESTED and case.refund_amount == Decimal("199.00")
        svc.case_issue_compensation(case=case, actor=agent, kind="coupon", amount="5")
        # when the agent closes it
        case = svc.case_resolve(case=case, actor=agent)
    case.refresh_from_db()
    # then it ended as the compensation: no ¥199 refund of goods that never came back
    assert (case.resolution, case.refund_amount, case.compensation_amount) == ("compensation", Decimal("0"),
                                                                               Decimal("5.00"))
    # and the line may still be claimed in full
    assert svc.case_preview(shop=shop, order_line=line, reason="quality").refund_amount == Decimal("199.00")


def test_approving_a_refund_the_policy_left_to_a_person_names_its_amount(shop, agent):
    # given a refund only for reason 「其他」: the policy decides nothing (manual review), so no amount
    line = _line(shop, quantity=2, paid="293.55")
    with time_machine.travel(DAY_2, tick=False):
        case = svc.case_create(shop=shop, order_line=line, reason="other", kind="refund_only",
                               claim_data={"return_quantity": 1}, actor=SYSTEM)
        assert case.refund_amount == Decimal("0")
        # when an agent approves it, it is the claimed unit's share (half up to the fen), not ¥0.00
        case = svc.case_approve(case=case, actor=agent)
    case.refresh_from_db()
    assert case.refund_amount == Decimal("146.78")
    case = svc.case_resolve(case=case, actor=agent)
    case.refresh_from_db()
    assert (case.resolution, case.refund_amount) == ("refund", Decimal("146.78"))
