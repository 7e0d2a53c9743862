"""Demo data: publish the default policy and open a realistic spread of cases in every state (set-based)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from shouhou.accounts.actors import SYSTEM
from shouhou.cases.choices import CaseStatus as S
from shouhou.cases.models import Case, CaseEvent
from shouhou.cases.services import RETURN_KINDS, clock_date, line_facts
from shouhou.commerce.models import OrderLine
from shouhou.core import clock
from shouhou.policies.document import default_source, parse
from shouhou.policies.engine import Claim, decide, decision_on_approval
from shouhou.policies.selectors import policy_active
from shouhou.policies.services import policy_publish

PATHS = {
    S.REQUESTED: [S.REQUESTED],
    S.APPROVED: [S.REQUESTED, S.APPROVED],
    S.AWAITING_RETURN: [S.REQUESTED, S.APPROVED, S.AWAITING_RETURN],
    S.IN_TRANSIT_BACK: [S.REQUESTED, S.APPROVED, S.AWAITING_RETURN, S.IN_TRANSIT_BACK],
    S.RECEIVED: [S.REQUESTED, S.APPROVED, S.AWAITING_RETURN, S.IN_TRANSIT_BACK, S.RECEIVED],
    S.INSPECTING: [S.REQUESTED, S.APPROVED, S.AWAITING_RETURN, S.IN_TRANSIT_BACK, S.RECEIVED, S.INSPECTING],
    S.AWAITING_SUPERVISOR: [S.REQUESTED, S.APPROVED, S.AWAITING_SUPERVISOR],
    S.FULFILLING: [S.REQUESTED, S.APPROVED, S.FULFILLING],
    S.RESOLVED: [S.REQUESTED, S.APPROVED, S.AWAITING_RETURN, S.IN_TRANSIT_BACK, S.RECEIVED, S.RESOLVED],
    S.REJECTED: [S.REQUESTED, S.REJECTED],
    S.CANCELLED: [S.REQUESTED, S.CANCELLED],
}
NOTES = {
    S.REQUESTED: ["收到的裙子腰线开线了", "尺码偏小，想换大一码", "颜色和直播间看到的不一样", "少发了一个赠品", "外箱压坏，瓶子漏了"],
    S.APPROVED: ["已同意，请按页面提示寄回"], S.AWAITING_RETURN: ["请在7天内寄回，运费按政策承担"],
    S.IN_TRANSIT_BACK: ["买家已寄回：顺丰"], S.RECEIVED: ["仓库已收到退货"], S.INSPECTING: ["已送仓库质检，预计2天出结果"],
    S.AWAITING_SUPERVISOR: ["补偿金额超出客服额度，待主管审批"], S.FULFILLING: ["已安排补发，今日发出"],
    S.RESOLVED: ["已退款，感谢耐心等待"], S.REJECTED: ["照片显示为人为损坏，不符合售后政策"],
    S.CANCELLED: ["买家主动撤销申请"],
}
DEMO_CASES = 240  # about one line in thirty: a live-stream shop's after-sales rate
REASONS = ["no_reason", "size_fit", "quality", "wrong_item", "missing_parts", "damaged_in_transit", "price_drop",
           "late_shipment"]


def seed(*, shop, rng: random.Random) -> None:
    if policy_active(shop=shop) is None:
        policy_publish(shop=shop, source=default_source(), note="默认政策（演示）", actor=SYSTEM)
    version = policy_active(shop=shop)
    doc = parse(version.source, law=False)
    lines = list(OrderLine.objects.filter(order__shop=shop, order__delivered_at__isnull=False, cases__isnull=True)
                 .select_related("order", "order__customer").order_by("pk")[:2000])
    if not lines:
        return
    picked = rng.sample(lines, min(len(lines), DEMO_CASES))
    statuses = list(PATHS)
    now = clock.now()
    cases: list[Case] = []
    paths: list[list[str]] = []
    opened: list[dt.datetime] = []  # when each case was opened: spread over the days after delivery
    for i, line in enumerate(picked):
        status = statuses[i % len(statuses)]
        reason = rng.choice(REASONS)
        delivered = clock_date(line.order.delivered_at)
        facts = line_facts(line)
        claim = Claim(reason=reason, condition=rng.choice(["unopened", "opened_unused"]), has_photo=True,
                      current_price=(facts.price_paid * Decimal("0.85")).quantize(Decimal("0.01")))
        today = min(clock.localnow().date(), delivered + dt.timedelta(days=rng.randint(1, 6)))
        d = decide(facts, claim, today, policy=doc)
        if status == S.REQUESTED and d.auto_approved:
            # a case still waiting for review is one the policy left to a person: its page must not say
            # 「已自动通过，无需等待审核」 beside 「待审核」 (a tester read both on the demo's case panel)
            for other in REASONS:
                tried = decide(facts, Claim(reason=other, condition=claim.condition, has_photo=claim.has_photo,
                                            current_price=claim.current_price), today, policy=doc)
                if not tried.auto_approved:
                    reason, claim, d = other, Claim(reason=other, condition=claim.condition,
                                                    has_photo=claim.has_photo, current_price=claim.current_price), tried
                    break
        kind = d.recommended or "compensation"
        if status == S.AWAITING_SUPERVISOR:
            kind = "compensation"
        if status in (S.AWAITING_RETURN, S.IN_TRANSIT_BACK, S.RECEIVED, S.INSPECTING, S.RESOLVED) \
                and kind not in RETURN_KINDS:
            kind = "return_refund"
        comp = d.compensation or {}
        decision = d.to_json()
        if S.APPROVED in PATHS[status]:  # as a person's approval leaves it: no "客服将尽快审核" on an approved case
            decision = decision_on_approval(decision, approved_on=today)
        cases.append(Case(
            shop=shop, number=f"SHDEMO{i:05d}{rng.randint(100, 999)}", order=line.order, order_line=line,
            customer=line.order.customer, live_session_id=line.order.live_session_id, kind=kind, status=status,
            reason=reason, description=rng.choice(NOTES[S.REQUESTED]), channel=rng.choice(["portal", "chat", "api"]),
            policy_version=version, decision=decision, auto_approved=d.auto_approved,
            shipping_payer=d.shipping_payer if kind in RETURN_KINDS else "none",
            refund_amount=d.refund_amount if kind in ("return_refund", "refund_only", "price_protect") else 0,
            return_method="self_ship" if status in (S.IN_TRANSIT_BACK, S.RECEIVED, S.INSPECTING, S.RESOLVED) else "",
            return_carrier="SF" if status in (S.IN_TRANSIT_BACK, S.RECEIVED, S.INSPECTING, S.RESOLVED) else "",
            return_tracking_no=f"SF{rng.randint(10**11, 10**12 - 1)}" if status in (
                S.IN_TRANSIT_BACK, S.RECEIVED, S.INSPECTING, S.RESOLVED) else "",
            inspection_site="warehouse" if status == S.INSPECTING else "",
            pending_compensation={"kind": "red_packet", "amount": "80.00", "note": "老客户多次购买"}
            if status == S.AWAITING_SUPERVISOR else {},
            compensation_kind=comp.get("kind", "") if status == S.FULFILLING and kind == "compensation" else "",
            compensation_amount=comp.get("amount", 0) if status == S.FULFILLING and kind == "compensation" else 0,
            resolution="refund" if status == S.RESOLVED else "",
        ))
        paths.append(PATHS[status])
        created = min(line.order.delivered_at + dt.timedelta(hours=rng.randint(2, 6 * 24)),
                      now - dt.timedelta(minutes=rng.randint(30, 600)))
        if created <= line.order.delivered_at:  # delivered moments ago
            created = line.order.delivered_at + (now - line.order.delivered_at) / 2
        opened.append(created)
        if status in (S.RESOLVED, S.REJECTED, S.CANCELLED):
            cases[-1].resolved_at = min(created + dt.timedelta(hours=rng.randint(2, 72)), now)
    Case.objects.bulk_create(cases, batch_size=500)
    # created_at is auto_now_add: set the spread afterwards, in one statement per batch.
    for case, created in zip(cases, opened, strict=True):
        case.created_at = created
    Case.objects.bulk_update(cases, ["created_at"], batch_size=500)
    saved = dict(Case.objects.filter(shop=shop, number__in=[c.number for c in cases]).values_list("number", "pk"))
    events, times = [], []
    for case, path, created in zip(cases, paths, opened, strict=True):
        prev = ""
        end = case.resolved_at or now
        gap = (end - created) / max(1, len(path) - 1)
        for n, step in enumerate(path):
            note = rng.choice(NOTES[step])
            events.append(CaseEvent(case_id=saved[case.number], from_status=prev, to_status=step,
                                    kind="created" if not prev else "transition", note=note,
                                    visible_to_customer=step != S.AWAITING_SUPERVISOR))
            times.append(created + gap * n if n < len(path) - 1 or case.resolved_at is None else end)
            prev = step
    CaseEvent.objects.bulk_create(events, batch_size=1000)
    for event, at in zip(events, times, strict=True):  # `at` is auto_now_add: spread it afterwards
        event.at = at
    CaseEvent.objects.bulk_update(events, ["at"], batch_size=1000)
