"""The weekly report .xlsx in the reader's language (issue 15: it was Chinese only): sheet names, headers,
units and the workbook's own words follow the user's language; only data (names, titles) stays as typed."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from shouhou.inbox.models import Ticket

from .fixtures import IN, build_world

pytestmark = pytest.mark.django_db
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _workbook(client, language: str) -> dict[str, list[list]]:
    client.cookies["django_language"] = language
    response = client.get("/insight/report.xlsx", {"week": "2026-W47"})
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    rows = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in workbook.worksheets}
    workbook.close()
    return rows


def _headers(rows: dict[str, list[list]]) -> list[str]:
    """The workbook's own words: every header row (bold rows: the first row of a sheet, and the overview's
    rows that head its two tables), and the overview's title and period lines without the shop name."""
    out = []
    for title, sheet in rows.items():
        heads = [sheet[0]] if title not in ("总览", "Overview") else [
            r for r in sheet[2:] if r and r[0] in ("比率指标", "时长指标", "Rates", "Durations")]
        for row in heads:
            out += [str(c) for c in row if c is not None]
    return out


@pytest.fixture
def world(shop, agent, shop_admin, client):
    build_world(shop, agent)
    t = Ticket.objects.create(shop=shop, number="T1", channel="wechat", assignee=agent, first_responded_at=IN,
                              first_response_business_seconds=5400, resolved_at=IN, resolution_business_seconds=7200)
    Ticket.objects.filter(pk=t.pk).update(created_at=IN)
    client.force_login(shop_admin)
    return shop


def test_the_workbook_in_english_has_english_sheets_headers_and_units(client, world):
    rows = _workbook(client, "en")
    assert not [t for t in rows if CJK.search(t)]  # every sheet name
    assert {"Overview", "Returns by live session", "Agent performance", "Improvements", "Rising this week",
            "Pareto - return reasons"} <= set(rows)
    headers = _headers(rows)
    assert len(headers) > 60 and not [h for h in headers if CJK.search(h)]
    overview = rows["Overview"]
    assert overview[0][0] == f"{world.name} after-sales weekly report 2026-W47"
    assert overview[1][0] == "2026-11-16 to 2026-11-23 (exclusive)"
    durations = next(r for r in overview if r and r[0] == "Durations")
    assert durations[2:6] == ["Mean (business time, minutes)", "Median (business time, minutes)",
                              "Mean (wall-clock time, minutes)", "Median (wall-clock time, minutes)"]
    assert "First response time median (business time, minutes)".lower() in \
        [h.lower() for h in rows["Agent performance"][0]]
    first = next(r for r in overview if r and r[0] == "First response time")
    assert first[2:4] == [90.0, 90.0]


def test_the_workbook_in_chinese_keeps_its_chinese_words(client, world):
    rows = _workbook(client, "zh-hans")
    assert {"总览", "直播场次退货", "客服绩效", "改进行动", "本周上升问题", "帕累托-退货原因"} <= set(rows)
    overview = rows["总览"]
    assert overview[0][0] == f"{world.name} 售后周报 2026-W47"
    assert overview[1][0] == "2026-11-16 至 2026-11-23（不含）"
    durations = next(r for r in overview if r and r[0] == "时长指标")
    assert durations[2:6] == ["平均（工作时间，分钟）", "中位（工作时间，分钟）", "平均（自然时间，分钟）",
                              "中位（自然时间，分钟）"]
    assert "首次响应时长 中位（工作时间，分钟）" in rows["客服绩效"][0]


def test_the_cli_writes_the_workbook_in_the_language_asked(world, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    for language, overview in (("en", "Overview"), ("zh-hans", "总览"), ("", "总览")):
        out = tmp_path / f"weekly-{language or 'default'}.xlsx"
        args = ["report", "weekly", "--shop", world.code, "--week", "2026-W47", "--out", str(out)]
        call_command(*args, *(["--language", language] if language else []), stdout=StringIO())
        workbook = load_workbook(out, read_only=True)
        assert workbook.sheetnames[0] == overview
        workbook.close()


def test_the_cli_in_english_also_names_its_own_rows_in_english(world, tmp_path):
    """The rows the report names itself (returns outside any live session, 未知 in a breakdown) follow --language
    too: the command read the figures before switching language, so an English workbook said 「非直播订单」 and
    「未知」 where the download says "Non-live orders" and "Unknown"."""
    from io import StringIO

    from django.core.management import call_command

    out = tmp_path / "weekly-en.xlsx"
    call_command("report", "weekly", "--shop", world.code, "--week", "2026-W47", "--out", str(out),
                 "--language", "en", stdout=StringIO())
    workbook = load_workbook(out, read_only=True)
    cells = [str(v) for ws in workbook.worksheets for row in ws.iter_rows(values_only=True) for v in row
             if v is not None]
    workbook.close()
    assert "Non-live orders" in cells and "非直播订单" not in cells
    assert "Unknown" in cells and "未知" not in cells
