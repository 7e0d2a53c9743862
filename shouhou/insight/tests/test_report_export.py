"""The weekly report download (/insight/report.xlsx), the product's data export: who may take it, whose
data is in it, and no customer's personal data."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from shouhou.accounts.choices import Role
from shouhou.commerce.models import Customer, Order
from shouhou.core.testing.factories import MembershipFactory, UserFactory

from .fixtures import build_world

pytestmark = pytest.mark.django_db
WEEK = {"week": "2026-W47"}  # the fixtures' period, Mon 2026-11-16
PHONE = re.compile(r"1[3-9]\d{9}")


def _cells(response) -> str:
    """Every sheet title and cell value of the downloaded workbook, one per line."""
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    out = []
    for sheet in workbook.worksheets:
        out.append(sheet.title)
        for row in sheet.iter_rows(values_only=True):
            out += [str(v) for v in row if v is not None]
    workbook.close()
    return "\n".join(out)


def _member(shop, role: str, username: str):
    return MembershipFactory(shop=shop, role=role, user=UserFactory(username=username)).user


@pytest.fixture
def two_shops(shop, other_shop):
    """Shop A (小鹿直播旗舰店: host 甲, session 双11 专场, SKU-A) and shop B with the same world under its own
    names (host, live session, SKU code)."""
    build_world(shop)
    world_b = build_world(other_shop)
    world_b.host.name = "乙号主播"
    world_b.host.save()
    world_b.session.title = "隔壁清仓专场"
    world_b.session.save()
    world_b.sku_a.code = "YB-QC-01"
    world_b.sku_a.save()
    return shop, other_shop


def test_export_needs_the_data_export_permission(client, shop):
    url = reverse("insight:report_xlsx")
    assert client.get(url, WEEK).status_code == 302  # anonymous: to the login page
    for role, status in [(Role.AGENT, 403), (Role.SUPERVISOR, 200), (Role.ANALYST, 200), (Role.ADMIN, 200)]:
        client.force_login(_member(shop, role, f"u-{role}"))
        response = client.get(url, WEEK)
        assert response.status_code == status, role
        if status == 200:
            assert response["Content-Type"].startswith("application/vnd.openxmlformats")
            assert response["Content-Disposition"] == 'attachment; filename="insight-xiaolu-2026-W47.xlsx"'


def test_a_user_of_shop_a_never_gets_shop_bs_report(client, two_shops):
    shop_a, shop_b = two_shops
    client.force_login(_member(shop_a, Role.SUPERVISOR, "zhuguan-a"))
    # even with shop B chosen in the session (a stale or forged choice) and B's code in the query
    session = client.session
    session["shop_id"] = shop_b.pk
    session.save()
    response = client.get(reverse("insight:report_xlsx"), {**WEEK, "shop": shop_b.code, "shop_id": shop_b.pk})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="insight-xiaolu-2026-W47.xlsx"'
    text = _cells(response)
    lines = text.split("\n")
    # then A's report: A's shop, host, session and SKU, with A's counts only (3 returns of 6 lines, not 6 of 12) …
    assert "小鹿直播旗舰店 售后周报 2026-W47" in lines and "甲" in lines and "双11 专场" in lines
    assert any(line.endswith(" 均码（SKU-A）") and len(line) > len(" 均码（SKU-A）") for line in lines)  # with its product
    at = lines.index("退货率")
    assert lines[at + 1: at + 4] == ["0.5", "3", "6"]
    # … and nothing of B
    for foreign in ("隔壁店铺", "乙号主播", "隔壁清仓专场", "YB-QC-01"):
        assert foreign not in text, foreign


def test_shop_b_member_gets_shop_bs_own_report(client, two_shops):
    # the same workbook shows B's names to B's people (so the check above is not vacuous)
    _shop_a, shop_b = two_shops
    client.force_login(_member(shop_b, Role.ANALYST, "fenxi-b"))
    text = _cells(client.get(reverse("insight:report_xlsx"), WEEK))
    assert "隔壁店铺 售后周报" in text and "乙号主播" in text and "隔壁清仓专场" in text and "YB-QC-01" in text
    assert "小鹿直播旗舰店" not in text


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ADMIN, Role.ANALYST])
def test_the_export_holds_no_customer_phone_or_address(client, two_shops, role):
    shop_a, _shop_b = two_shops
    Customer.objects.filter(shop=shop_a).update(name="王小明", phone="13812345678", phone_last4="5678")
    Order.objects.filter(shop=shop_a).update(receiver_name="王小明", receiver_phone="13812345678",
                                             address="浙江省杭州市西湖区文三路100号")
    client.force_login(_member(shop_a, role, f"u-{role}"))
    text = _cells(client.get(reverse("insight:report_xlsx"), WEEK))
    # the report is aggregates only: whatever the role (even one that may reveal), no phone, name or address
    assert PHONE.findall(text) == []
    assert "5678" not in text and "王小明" not in text and "文三路" not in text


def test_outsiders_text_in_the_weekly_report_is_never_a_formula(client, shop, tmp_path):
    """Host names and live-session titles come from outsiders (issue 15): the .xlsx from the page and from
    `shouhou report weekly` shows them as text, never as a formula."""
    import zipfile

    from django.core.management import call_command

    world = build_world(shop)
    world.host.name = '=HYPERLINK("http://evil.example","领券")'
    world.host.save()
    world.session.title = "@SUM(1+1)*cmd|' /C calc'!A0"
    world.session.save()
    client.force_login(_member(shop, Role.ANALYST, "fenxi"))
    page = client.get(reverse("insight:report_xlsx"), WEEK).content
    out = tmp_path / "weekly.xlsx"
    call_command("report", "weekly", "--shop", shop.code, "--week", "2026-W47", "--out", str(out))
    for raw in (page, out.read_bytes()):
        book = zipfile.ZipFile(io.BytesIO(raw))
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets and all("<f>" not in book.read(n).decode() for n in sheets)
        workbook = load_workbook(io.BytesIO(raw))
        found = [c for ws in workbook.worksheets for row in ws.iter_rows() for c in row
                 if c.value in (world.host.name, world.session.title)]
        assert found and all(c.data_type == "s" and c.quotePrefix for c in found)


def test_the_announcement_date_in_the_workbook_is_the_day_in_beijing(client, shop):
    """An action announced at 07:30 Beijing time is 23:30 UTC the day before: the 改进行动 sheet names the
    shop's day (it wrote the UTC date, a day early, for every announcement made before 08:00)."""
    import datetime as dt

    from shouhou.insight.models import ImprovementAction

    from .fixtures import TZ

    ImprovementAction.objects.create(
        shop=shop, finding="包装破损", status="done", done_on=dt.date(2026, 11, 22), announce=True,
        announcement="已升级为五层纸箱", announced_at=dt.datetime(2026, 11, 22, 7, 30, tzinfo=TZ))
    client.force_login(_member(shop, Role.ANALYST, "fenxi"))
    workbook = load_workbook(io.BytesIO(client.get(reverse("insight:report_xlsx"), WEEK).content))
    rows = list(workbook["改进行动"].iter_rows(values_only=True))
    assert rows[0][-1] == "公告"
    assert [(r[1], r[-1]) for r in rows[1:]] == [("包装破损", "2026-11-22")]
