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
