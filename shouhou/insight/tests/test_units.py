"""Durations carry their unit in charts and the workbook (issue 15: a chart's bars and the .xlsx columns
were bare numbers of seconds, labelled only with the metric's name)."""

from __future__ import annotations

import io
import json
import re

import pytest
from openpyxl import load_workbook

from shouhou.inbox.models import Ticket

from .fixtures import IN, PERIOD, build_world

pytestmark = pytest.mark.django_db


def _chart_data(page, element_id: str) -> dict:
    text = page.content.decode()
    return json.loads(re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', text, re.S)
                      .group(1))


def _world(shop, agent):
    w = build_world(shop, agent)
    t = Ticket.objects.create(shop=shop, number="T1", channel="wechat", assignee=agent, customer=w.cases["r1"].customer,
                              first_responded_at=IN, first_response_business_seconds=5400,
                              resolved_at=IN, resolution_business_seconds=7200)
    Ticket.objects.filter(pk=t.pk).update(created_at=IN)
    return w


def test_charts_name_their_unit_and_durations_are_minutes(client, shop, agent):
    _world(shop, agent)
    client.force_login(agent)
    agents = _chart_data(client.get("/insight/agents/", PERIOD), "agents-data")
    assert agents["series"]["frt"] == "首次响应时长（中位，工作时间，分钟）" and agents["frt"] == [90.0]
    by_team = _chart_data(client.get("/insight/by/team/", PERIOD), "breakdown-data")
    assert "分钟" in by_team["label"] or "（%）" in by_team["label"]
    dashboard = _chart_data(client.get("/insight/", PERIOD), "insight-chart")
    assert dashboard["series"] == "比率（%）"
    assert all(s["label"].endswith("（%）") for s in dashboard["trend"]["series"])
    client.cookies["django_language"] = "en"
    agents = _chart_data(client.get("/insight/agents/", PERIOD), "agents-data")
    assert agents["series"]["frt"] == "First response time (median, business minutes)"


def test_workbook_durations_are_minutes_with_the_unit_in_every_header(client, shop, shop_admin, agent):
    _world(shop, agent)
    client.force_login(shop_admin)
    response = client.get("/insight/report.xlsx", {"week": "2026-W47"})
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    rows = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in workbook.worksheets}
    workbook.close()
    overview = rows["总览"]
    header = next(r for r in overview if r and r[0] == "时长指标")
    assert all("分钟" in h for h in header[2:6])
    first = next(r for r in overview if r and r[0] == "首次响应时长")
    assert first[2:4] == [90.0, 90.0]
    for title, sheet in rows.items():
        for header in sheet[:1]:
            for cell in header or []:
                if cell and ("中位" in str(cell) or "平均" in str(cell)) and "率" not in str(cell):
                    assert "分钟" in str(cell), (title, cell)
