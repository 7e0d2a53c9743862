"""The audit log page is readable: who did what to what, each change as "label: old → new", in the reader's
language (issue 15: the page showed Python dicts and English action codes)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from shouhou.accounts import services as accounts_svc
from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.cases import services as cases_svc
from shouhou.cases.choices import CaseStatus
from shouhou.core.audit import audit_record
from shouhou.core.audit_display import ACTION_LABELS, action_label
from shouhou.core.testing.factories import OrderLineFactory, UserFactory

SOURCE = Path(__file__).resolve().parents[2]
# An action code as written where events are recorded: audit_record(action="x.y" …) or insight's _audit(…, "x.y", …)
WRITTEN = re.compile(r'(?:action=|_audit\([^"]*)(?:f?)"([a-z_]+\.[a-z_.{}]+)"')


def _codes_in_source() -> set[str]:
    codes = set()
    for path in SOURCE.rglob("*.py"):
        if "tests" in path.parts or "testing" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for code in WRITTEN.findall(text):
            codes.add(code)
    return codes


def test_every_action_recorded_in_the_code_has_a_label():
    codes = _codes_in_source()
    assert {"case.create", "policy.publish", "improvement.create", "pii.reveal"} <= codes  # the scan sees them
    templated = {c for c in codes if "{" in c or c.endswith(".")}
    assert not {c for c in codes - templated if action_label(c) == c}
    # the f-string ones: every case status and event kind, both SLA objects, both calendar day kinds
    expanded = ({f"case.{s}" for s in CaseStatus.values}
                | {"case.compensation_requested", "case.supervisor_approved", "case.supervisor_declined", "case.platform",
                   "sla.calendar.create", "sla.calendar.update", "sla.policy.create", "sla.policy.update"}
                | {f"sla.calendar.{k}_{d}" for k in ("holiday", "makeup_workday") for d in ("add", "remove")})
    assert not {c for c in expanded if action_label(c) == c}


def test_every_label_has_an_english_translation():
    with translation.override("en"):
        untranslated = [code for code, label in ACTION_LABELS.items() if re.search(r"[\u4e00-\u9fff]", str(label))]
    assert untranslated == []


@pytest.mark.django_db
def test_audit_page_says_who_did_what_to_what_with_labelled_changes(client, shop, shop_admin, agent):
    shop_admin.first_name = "王店长"
    shop_admin.save()
    line = OrderLineFactory(order__shop=shop, price_paid=Decimal("199.00"))
    case = cases_svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality", kind="compensation")
    cases_svc.case_issue_compensation(case=case, actor=shop_admin, kind="red_packet", amount=Decimal("20"))
    accounts_svc.membership_set(user=UserFactory(username="newbie"), shop=shop, role=Role.AGENT, actor=shop_admin)
    audit_record(action="pii.reveal", obj=case.customer, actor=shop_admin, shop=shop, after={"field": "phone"})
    client.force_login(shop_admin)
    page = client.get("/accounts/audit/").content.decode()
    table = page[page.index('id="audit-table"'):]
    assert "{&#x27;" not in table and "{'" not in table  # no Python dicts
    for code in ("case.compensate", "case.fulfilling", "membership.add", "pii.reveal", "red_packet", "agent"):
        assert code not in table, code
    assert "王店长" in table and "补偿已发放" in table and f"售后单 {case.number}" in table
    assert "售后单状态变为「处理中（补偿/维修/退款）」".replace("补偿", "补发") in table
    assert "状态：已同意 → 处理中（补发/维修/退款）" in table
    assert "类型：— → 红包" in table and "金额：— → 20" in table
    assert "角色：— → 客服" in table and "查看完整个人信息" in table and "字段：— → 手机号" in table

    client.cookies["django_language"] = "en"
    english = client.get("/accounts/audit/").content.decode()
    table = english[english.index('id="audit-table"'):]
    assert "Compensation issued" in table and "Red packet" in table.replace("red packet", "Red packet")
    assert not re.search(r"[\u4e00-\u9fff]{2,}：", table)  # no Chinese field label left in the changes


@pytest.mark.django_db
def test_calendar_changes_read_as_opening_hours_and_days_in_either_language(client, shop, shop_admin):
    """A calendar's spec was shown as flattened JSON (`weekly: mon: 09:00-18:00；…`): each part is now a change
    of its own, days and hours in words, the public-holiday source by name."""
    import datetime as dt
    import json

    from shouhou.core.models import AuditEvent
    from shouhou.sla.models import BusinessCalendar
    from shouhou.sla.services import calendar_day_set, calendar_follow_public_holidays

    client.force_login(shop_admin)
    office = {"weekly": {d: ["09:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}, "holidays": []}
    r = client.post("/api/sla/calendars", json.dumps({"name": "WH-1", "spec": office}), content_type="application/json")
    assert r.status_code == 201, r.content
    calendar = BusinessCalendar.objects.get(pk=r.json()["id"])
    longer = {"weekly": {**office["weekly"], "sat": ["10:00-12:00", "13:00-16:00"]}, "holidays": ["2027-02-10"],
              "makeup_weekday": 4}
    assert client.put(f"/api/sla/calendars/{calendar.pk}", json.dumps({"name": "WH-1", "spec": longer}),
                      content_type="application/json").status_code == 200
    calendar.refresh_from_db()
    calendar_follow_public_holidays(calendar=calendar, actor=shop_admin)
    calendar_day_set(calendar=calendar, actor=shop_admin, day=dt.date(2027, 2, 20), kind="makeup_workday", on=True)
    # a row recorded before audit kept JSON: the spec as the text of a Python dict
    AuditEvent.objects.create(shop=shop, action="sla.calendar.update", object_type="sla.businesscalendar",
                              object_id=str(calendar.pk), before={"spec": str({"weekly": {"sun": ["08:00-09:00"]}})},
                              after={"spec": str({"weekly": {"sun": ["08:00-10:00"]}})})

    page = client.get("/accounts/audit/").content.decode()
    table = page[page.index('id="audit-table"'):]
    for code in ("weekly", "mon:", "sat", "09:00-18:00", "makeup_weekday", "public_holidays", "CN", "{"):
        assert code not in table, code
    assert "每周营业时间：— → 周一至周五 09:00–18:00；周六、周日 不营业" in table
    assert ("每周营业时间：周一至周五 09:00–18:00；周六、周日 不营业 → "
            "周一至周五 09:00–18:00；周六 10:00–12:00、13:00–16:00；周日 不营业") in table
    assert "节假日：— → 2027-02-10" in table and "调休上班日的营业时间：— → 同周五" in table
    assert "法定节假日来源：不跟随 → 中国大陆（国务院办公厅放假安排）" in table
    assert "调休上班日：— → 2027-02-20" in table
    assert "每周营业时间：周一至周六 不营业；周日 08:00–09:00 → 周一至周六 不营业；周日 08:00–10:00" in table

    client.cookies["django_language"] = "en"
    english = client.get("/accounts/audit/").content.decode()
    table = english[english.index('id="audit-table"'):]
    assert "Opening hours each week：— → Mon–Fri 09:00–18:00; Sat, Sun closed" in table
    assert "Mon–Fri 09:00–18:00; Sat 10:00–12:00, 13:00–16:00; Sun closed" in table
    assert "Hours on make-up workdays：— → as on Fri" in table
    assert "Public holidays source：Not followed → Mainland China (State Council holiday schedule)" in table
    assert not re.search(r"[\u4e00-\u9fff]", "".join(re.findall(r'<div class="change">(.*?)</div>', table)))
