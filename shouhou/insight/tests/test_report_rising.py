"""The weekly report's 「本周上升最多的问题」 mixes three kinds of problem (complaint types, case reasons, SKUs)
and counts every case kind, while the Pareto just above it counts return cases only: on the fixtures' week
质量问题 is 1 in the Pareto (C-R2) and 2 in the rising table (C-R2 and the refund-only C-F1). The table names
each row's kind and says what it counts, as the 问题排行 page and the workbook do (it showed bare labels)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from shouhou.accounts.choices import Role
from shouhou.core.testing.factories import MembershipFactory, UserFactory

from .fixtures import build_world

pytestmark = pytest.mark.django_db


def _rows(html: str, heading: str) -> list[list[str]]:
    table = html[html.index(heading):]
    table = table[:table.index("</table>")]
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)]


def test_the_rising_table_names_each_rows_kind_and_what_it_counts(client, shop):
    build_world(shop)
    boss = MembershipFactory(shop=shop, role=Role.SUPERVISOR, user=UserFactory(username="zhuguan-r")).user
    client.force_login(boss)
    html = client.get(reverse("insight:report"), {"week": "2026-W47"}).content.decode()
    pareto = {r[0]: r[1] for r in _rows(html, "帕累托 · 退货原因")[1:]}
    assert pareto["质量问题"] == "1"
    rising = _rows(html, "本周上升最多的问题")
    assert rising[0] == ["类别", "问题", "本周", "上周", "增加"]
    assert ["售后原因", "质量问题", "2", "0", "+2"] in rising[1:]
    assert any(r[0] == "SKU" and r[1].endswith("（SKU-A）") and r[2:] == ["3", "1", "+2"] for r in rising[1:])
    assert "售后原因和 SKU 按售后单创建时间计数（全部类型）" in html[html.index("本周上升最多的问题"):]
