"""Round 10, through the case services, pages and API: the daily sweep of 三包12 repairs past 30/90 days, the decision
in the reader's language, and customer files served sandboxed (policies/tests/test_law_vectors_round10.py holds the
pure table)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import translation

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as svc
from shouhou.cases.models import CaseEvent, CaseEvidence
from shouhou.cases.tests.factories import PNG, photo
from shouhou.core.testing.factories import OrderFactory, OrderLineFactory, ProductFactory

pytestmark = pytest.mark.django_db(transaction=False)

SH = dt.timezone(dt.timedelta(hours=8))
_N = itertools.count(1)


def _line(shop, category="electronics", *, signed=dt.datetime(2026, 3, 1, 20, 0, tzinfo=SH), paid="1299.00"):
    placed = signed - dt.timedelta(days=3)
    order = OrderFactory(shop=shop, delivered_at=signed, placed_at=placed, paid_at=placed, shipped_at=placed)
    product = ProductFactory(shop=shop, name=f"扫地机器人 {next(_N)}", category=category)
    return OrderLineFactory(order=order, product=product, quantity=1, price_paid=Decimal(paid))


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


# ── customer files on the staff page and the API: sandboxed, never sniffed, a download unless a known picture ──────

def test_a_photo_is_served_inline_under_our_own_name_sandboxed_and_never_sniffed(shop, agent):
    line = _line(shop)
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality",
                           photos=[photo(PNG, "<script>.png")])
    ev = case.evidence.get()
    c = _client(agent)
    for url in (f"/cases/{case.pk}/evidence/{ev.pk}/", f"/api/cases/{case.pk}/evidence/{ev.pk}"):
        r = c.get(url)
        assert r.status_code == 200, url
        assert r["Content-Type"] == "image/png"
        assert r["Content-Disposition"] == f'inline; filename="evidence-{ev.pk}.png"'
        assert r["X-Content-Type-Options"] == "nosniff"
        csp = r["Content-Security-Policy"]
        assert "sandbox" in csp and "default-src 'none'" in csp
        assert b"".join(r.streaming_content) == PNG


@pytest.mark.parametrize("kind", ["svg", "html", "svg+xml", ""])
def test_a_file_of_no_known_picture_kind_is_a_sandboxed_download_on_the_page_and_the_api(shop, agent, kind):
    # given a row stored before uploads were decoded: a page behind a picture's name (the API used to serve it as
    # image/<kind>, e.g. image/svg+xml, which a browser renders)
    line = _line(shop)
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality")
    ev = CaseEvidence(case=case, kind=kind, size=40, from_customer=True)
    ev.file.save("x.svg", ContentFile(b"<svg onload=alert(1) xmlns='http://www.w3.org/2000/svg'/>"), save=True)
    c = _client(agent)
    for url in (f"/cases/{case.pk}/evidence/{ev.pk}/", f"/api/cases/{case.pk}/evidence/{ev.pk}"):
        r = c.get(url)
        assert r.status_code == 200, url
        assert r["Content-Type"] == "application/octet-stream"
        assert r["Content-Disposition"] == f'attachment; filename="evidence-{ev.pk}.bin"'
        assert r["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in r["Content-Security-Policy"]


def test_a_lost_file_is_404_on_the_api_too(shop, agent):
    line = _line(shop)
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality", photos=[photo(PNG, "a.png")])
    ev = case.evidence.get()
    ev.file.storage.delete(ev.file.name)
    c = _client(agent)
    assert c.get(f"/cases/{case.pk}/evidence/{ev.pk}/").status_code == 404
    assert c.get(f"/api/cases/{case.pk}/evidence/{ev.pk}").status_code == 404


# ── 三包12, the daily sweep: 自送修之日起超过90日未修好（缺零配件）/ 因修理者自身原因超过30日 → 免费调换 ─────────────────

def _repair_sent(shop, agent, *, sent=dt.datetime(2026, 4, 1, 10, 0, tzinfo=SH)):
    """A 三包 repair case (fault on day 20: repair only) whose goods the buyer sent back on `sent` (04-01)."""
    line = _line(shop)
    with time_machine.travel(dt.datetime(2026, 3, 21, 10, 0, tzinfo=SH), tick=False):
        case = svc.case_create(shop=shop, order_line=line, reason="performance_fault", kind="repair", actor=SYSTEM)
        case = svc.case_approve(case=case, actor=agent)
    with time_machine.travel(sent, tick=False):
        case = svc.case_return_shipped(case=case, actor=agent, carrier="SF", tracking_no="SF700600500")
    assert "sanbao.repair" in case.decision["clauses"] and case.status == "in_transit_back"
    return case


def _sweep(at: dt.datetime) -> int:
    from shouhou.cases.tasks import repair_overdue_sweep_task

    with time_machine.travel(at, tick=False):
        return repair_overdue_sweep_task()


def _flags(case) -> list[dict]:
    return [e.data for e in CaseEvent.objects.filter(case=case, kind="repair_overdue").order_by("pk")]


def test_the_sweep_is_declared_once_a_day():
    from shouhou.config.schedule import declared_schedules

    job = next(j for j in declared_schedules() if j["name"] == "cases.repair_overdue_sweep")
    assert job == {"name": "cases.repair_overdue_sweep", "func": "shouhou.cases.tasks.repair_overdue_sweep_task",
                   "minutes": 1440}


@pytest.mark.parametrize(("cause", "day_before", "day_after"), [
    ("repairer", dt.datetime(2026, 5, 1, 23, 0, tzinfo=SH), dt.datetime(2026, 5, 2, 0, 30, tzinfo=SH)),  # 30 | 31
    ("parts", dt.datetime(2026, 6, 30, 23, 0, tzinfo=SH), dt.datetime(2026, 7, 1, 0, 30, tzinfo=SH)),    # 90 | 91
])
def test_the_sweep_flags_a_repair_the_day_it_owes_a_free_exchange_and_only_once(shop, agent, cause, day_before,
                                                                               day_after):
    case = _repair_sent(shop, agent)
    with time_machine.travel(dt.datetime(2026, 4, 20, 10, 0, tzinfo=SH), tick=False):
        svc.case_record_repair_delay(case=case, actor=agent, cause=cause)
    other = _repair_sent(shop, agent, sent=dt.datetime(2026, 4, 25, 10, 0, tzinfo=SH))  # a younger repair
    with time_machine.travel(dt.datetime(2026, 4, 26, 10, 0, tzinfo=SH), tick=False):
        svc.case_record_repair_delay(case=other, actor=agent, cause="parts")  # day 67 at most here
    # on the last day within the limit nothing is flagged
    assert _sweep(day_before) == 0 and _flags(case) == []
    # the next day (Beijing time, 00:30 = the previous day in UTC) the case is flagged, internally
    assert _sweep(day_after) == 1
    limit = {"repairer": 30, "parts": 90}[cause]
    assert _flags(case) == [{"flag": "overdue", "cause": cause, "days": limit + 1, "limit": limit}]
    event = CaseEvent.objects.get(case=case, kind="repair_overdue")
    assert not event.visible_to_customer and event.actor_id is None
    assert "应为顾客免费调换同型号同规格产品（三包第十二条）" in event.note
    # running again, that day or later, changes nothing
    assert _sweep(day_after) == 0
    assert _sweep(day_after + dt.timedelta(days=3)) == 0
    assert len(_flags(case)) == 1
    case.refresh_from_db()
    assert case.status == "in_transit_back"  # the exchange itself stays the agent's decision
    # and staff find it in the list's filter
    c = _client(agent)
    with time_machine.travel(day_after, tick=False):
        page = c.get("/cases/?flag=repair_overdue").content.decode()
        detail = c.get(f"/cases/{case.pk}/").content.decode()
    assert case.number in page and other.number not in page
    assert "应为顾客免费调换同型号同规格产品（三包第十二条）" in detail


def test_without_a_cause_the_sweep_asks_for_one_then_flags_the_exchange_once_a_cause_makes_it_owed(shop, agent):
    case = _repair_sent(shop, agent)
    assert _sweep(dt.datetime(2026, 5, 1, 12, 0, tzinfo=SH)) == 0                 # day 30
    assert _sweep(dt.datetime(2026, 5, 2, 12, 0, tzinfo=SH)) == 1                 # day 31, no cause: ask for one
    assert _sweep(dt.datetime(2026, 5, 3, 12, 0, tzinfo=SH)) == 0                 # asked already
    assert _flags(case) == [{"flag": "cause_needed", "cause": None, "days": 31, "limit": 30}]
    assert "请记录延误原因" in CaseEvent.objects.get(case=case, kind="repair_overdue").note
    with time_machine.travel(dt.datetime(2026, 5, 4, 10, 0, tzinfo=SH), tick=False):
        svc.case_record_repair_delay(case=case, actor=agent, cause="parts")       # waiting for parts: 90 days
    assert _sweep(dt.datetime(2026, 5, 5, 12, 0, tzinfo=SH)) == 0
    with time_machine.travel(dt.datetime(2026, 5, 6, 10, 0, tzinfo=SH), tick=False):
        svc.case_record_repair_delay(case=case, actor=agent, cause="repairer")    # no: the repairer's own fault
    assert _sweep(dt.datetime(2026, 5, 7, 12, 0, tzinfo=SH)) == 1
    assert _sweep(dt.datetime(2026, 5, 8, 12, 0, tzinfo=SH)) == 0
    assert [f["flag"] for f in _flags(case)] == ["cause_needed", "overdue"]


def test_the_sweep_leaves_repairs_that_are_not_under_way_or_not_under_the_three_guarantees(shop, agent):
    # resolved repairs, a repair not yet handed over, and a paid repair after the warranty owe nothing
    done = _repair_sent(shop, agent)
    with time_machine.travel(dt.datetime(2026, 4, 20, 10, 0, tzinfo=SH), tick=False):
        svc.case_record_repair_delay(case=done, actor=agent, cause="repairer")
        done = svc.case_mark_received(case=done, actor=agent)
        done = svc.case_resolve(case=done, actor=agent, resolution="repair")
    line = _line(shop)
    with time_machine.travel(dt.datetime(2026, 3, 21, 10, 0, tzinfo=SH), tick=False):
        waiting = svc.case_create(shop=shop, order_line=line, reason="performance_fault", kind="repair", actor=SYSTEM)
    old = _line(shop, signed=dt.datetime(2024, 1, 5, 20, 0, tzinfo=SH))
    with time_machine.travel(dt.datetime(2026, 3, 21, 10, 0, tzinfo=SH), tick=False):
        paid = svc.case_create(shop=shop, order_line=old, reason="performance_fault", kind="repair", actor=SYSTEM)
        paid = svc.case_approve(case=paid, actor=agent)
    assert "sanbao.warranty_expired" in paid.decision["clauses"]
    with time_machine.travel(dt.datetime(2026, 4, 1, 10, 0, tzinfo=SH), tick=False):
        svc.case_return_shipped(case=paid, actor=agent, carrier="SF", tracking_no="SF700600501")
    assert _sweep(dt.datetime(2026, 9, 1, 12, 0, tzinfo=SH)) == 0
    assert not CaseEvent.objects.filter(kind="repair_overdue").exists()
    assert waiting.status == "requested"


# ── the decision in the reader's language (staff page) ────────────────────────────────────────────────────────────

def test_staff_reading_english_see_the_decision_and_its_history_in_english(shop, agent):
    line = _line(shop, category="clothing", signed=dt.datetime(2026, 3, 1, 20, 0, tzinfo=SH), paid="199.00")
    with time_machine.travel(dt.datetime(2026, 3, 5, 10, 0, tzinfo=SH), tick=False):
        case = svc.case_create(shop=shop, order_line=line, reason="no_reason", actor=SYSTEM)
    assert case.auto_approved
    c = _client(agent)
    zh = c.get(f"/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    c.cookies["django_language"] = "en"
    en = c.get(f"/cases/{case.pk}/").content.decode()
    assert case.decision["explanation_zh"] in zh
    assert case.decision["explanation_zh"] not in en and case.decision["explanation_en"] in en
    # the creation event carries the decision, and the system's approval note is said in English too
    assert "符合售后政策，系统自动通过" in zh and "符合售后政策，系统自动通过" not in en
    assert "after-sales policy: approved automatically" in en


def test_a_stored_row_from_before_keeps_reading_in_both_languages(shop, agent):
    # given a case stored before this round: the creation event's note is the Chinese decision, no data
    line = _line(shop, category="clothing", paid="199.00")
    with time_machine.travel(dt.datetime(2026, 3, 5, 10, 0, tzinfo=SH), tick=False):
        case = svc.case_create(shop=shop, order_line=line, reason="no_reason", actor=SYSTEM)
    CaseEvent.objects.filter(case=case, kind="created").update(data={})
    from shouhou.cases.selectors import case_decision_text, case_event_note

    created = CaseEvent.objects.get(case=case, kind="created")
    with translation.override("en"):
        assert case_event_note(created, case) == case.decision["explanation_en"]
        assert case_decision_text(case) == case.decision["explanation_en"]
    with translation.override("zh-hans"):
        assert case_event_note(created, case) == case.decision["explanation_zh"]
    # a decision with no text for the reader is said from its clauses, translated
    case.decision = {"clauses": ["no_reason.window"], "explanation_zh": ""}
    with translation.override("en"):
        text = case_decision_text(case)
    assert text.startswith("Clauses") and not any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_a_recall_case_names_the_recall_in_the_readers_language(shop, agent):
    from shouhou.cases.selectors import case_decision_text

    line = _line(shop)
    case = svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality")
    case.decision = {"clauses": ["recall"], "explanation_zh": "电池批次 B7 过热"}
    with translation.override("en"):
        assert case_decision_text(case) == "Recall: 电池批次 B7 过热"
    with translation.override("zh-hans"):
        assert case_decision_text(case) == "召回：电池批次 B7 过热"


def test_staff_reading_english_are_told_the_suggested_compensation_the_chinese_text_names(shop, agent):
    from shouhou.cases.selectors import case_decision_text

    line = _line(shop, category="home", paid="99.00")
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, tzinfo=SH), tick=False):
        case = svc.case_create(shop=shop, order_line=line, reason="late_shipment", actor=SYSTEM)
    comp = case.decision["compensation"]
    assert comp and "建议补偿" in case.decision["explanation_zh"]
    with translation.override("en"):
        text = case_decision_text(case)
    kind = {"coupon": "Coupon", "red_packet": "Red packet", "points": "Points", "gift": "Gift"}[comp["kind"]]
    assert text.startswith(case.decision["explanation_en"])
    assert f"Suggested compensation: {kind} {comp['amount']}" in text
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_the_api_detail_says_the_decision_in_the_requested_language(shop, agent):
    line = _line(shop, category="clothing", paid="199.00")
    with time_machine.travel(dt.datetime(2026, 3, 5, 10, 0, tzinfo=SH), tick=False):
        case = svc.case_create(shop=shop, order_line=line, reason="no_reason", actor=SYSTEM)
    c = _client(agent)
    zh = c.get(f"/api/cases/{case.pk}", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    c.cookies["django_language"] = "en"
    en = c.get(f"/api/cases/{case.pk}").json()
    assert zh["decision_text"] == case.decision["explanation_zh"]
    assert en["decision_text"] == case.decision["explanation_en"]
    assert zh["decision"] == en["decision"] == case.decision  # the stored facts are the same in both


# ── 消法55 / 食品安全法148 on a case: a preview on the price paid for the case's units (nothing written) ────────────────

@pytest.mark.parametrize(("category", "paid", "quantity", "claim", "query", "amount", "minimum"), [
    ("food", "59.90", 1, {}, "basis=food_safety", "1000", True),               # 10 × 59.90 = 599 → 1,000
    ("food", "300.00", 2, {}, "basis=food_safety", "3000.00", False),           # 10 × 300 for the whole line
    ("food", "300.00", 2, {"return_quantity": 1}, "basis=food_safety", "1500.00", False),  # one of two units
    ("food", "20.00", 1, {}, "basis=food_safety&loss=800", "2400.00", False),   # three times the loss
    ("clothing", "99.00", 1, {}, "basis=fraud", "500", True),                   # 3 × 99 = 297 → 500
    ("clothing", "399.00", 1, {}, "basis=fraud&loss=100", "1197.00", False),    # the loss is claimed beside it
])
def test_statutory_damages_on_a_case_with_their_minimums(shop, agent, category, paid, quantity, claim, query, amount,
                                                         minimum):
    line = _line(shop, category=category, paid=paid)
    line.quantity = quantity
    line.save(update_fields=["quantity"])
    with time_machine.travel(dt.datetime(2026, 3, 3, 10, 0, tzinfo=SH), tick=False):
        case = svc.case_create(shop=shop, order_line=line, reason="quality", actor=SYSTEM, claim_data=claim)
    before = (case.refund_amount, case.compensation_amount, CaseEvent.objects.filter(case=case).count())
    r = _client(agent).get(f"/api/cases/{case.pk}/damages?{query}")
    assert r.status_code == 200, r.content
    body = r.json()
    assert Decimal(body["amount"]) == Decimal(amount) and body["minimum_applied"] is minimum
    assert body["clause"] == ("damages.fraud_55" if "fraud" in query else "damages.food_safety_148")
    case.refresh_from_db()
    assert (case.refund_amount, case.compensation_amount, CaseEvent.objects.filter(case=case).count()) == before


def test_damages_preview_refuses_a_bad_basis_and_skips_a_mere_label_flaw(shop, agent):
    line = _line(shop, category="food", paid="59.90")
    with time_machine.travel(dt.datetime(2026, 3, 3, 10, 0, tzinfo=SH), tick=False):
        case = svc.case_create(shop=shop, order_line=line, reason="quality", actor=SYSTEM)
    c = _client(agent)
    assert c.get(f"/api/cases/{case.pk}/damages?basis=food_safety&label_only=true").status_code == 204
    bad = c.get(f"/api/cases/{case.pk}/damages?basis=tenfold")
    assert bad.status_code == 400 and "basis" in bad.content.decode()
    assert c.get(f"/api/cases/{case.pk}/damages?basis=fraud&loss=abc").status_code == 400
    assert c.get(f"/api/cases/{case.pk}/damages?basis=fraud&loss=-5").status_code == 400
