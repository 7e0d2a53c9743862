"""Bad query parameters on the insight pages never answer 500 (an examiner's probe, 2026-12-06): dates at the
ends of the calendar (0001-01-01, 9999-12-31) overflowed the local-midnight arithmetic, an id larger than any
database integer overflowed SQLite, a week in year 9999 overflowed the weekly report. A period the page does
not use is named above the filters instead of being replaced by the last 7 days in silence."""

from __future__ import annotations

import pytest
from django.urls import reverse

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.accounts.services import token_issue

from .fixtures import PERIOD, build_world

pytestmark = pytest.mark.django_db

PAGES = ["insight:dashboard", "insight:sessions", "insight:problems", "insight:agents", "insight:drill",
         ("insight:by", "week"), ("insight:by", "day"), ("insight:by", "agent")]


def _url(page) -> str:
    name, args = (page, []) if isinstance(page, str) else (page[0], [page[1]])
    return reverse(name, args=args)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("period", [{"start": "0001-01-01", "end": "0001-12-31"},
                                    {"start": "9999-01-01", "end": "9999-12-31"},
                                    {"start": "1969-12-25", "end": "1970-01-02"}])
def test_dates_at_the_ends_of_the_calendar_show_the_default_week_with_the_reason(agent_client, shop, page, period):
    response = agent_client.get(_url(page), {"metric": "return", **period})
    assert response.status_code == 200
    text = response.content.decode()
    if page != "insight:drill":  # the drill list has no filter bar
        assert 'data-testid="period-error"' in text
        assert "日期须在 1970-01-01 至 2999-12-31 之间" in text


@pytest.mark.parametrize("period, reason", [
    ({"start": "2025-01-01", "end": "2026-12-31"}, "时间跨度最多 366 天，请分段查看"),
    ({"start": "2026-11-23", "end": "2026-11-16"}, "结束日期须晚于开始日期"),
    ({"start": "2026-11-16", "end": "soon"}, "日期格式应为 2026-12-01"),
])
def test_a_period_the_page_does_not_use_is_named_not_silently_replaced(agent_client, shop, period, reason):
    text = agent_client.get(reverse("insight:dashboard"), period).content.decode()
    assert 'data-testid="period-error"' in text and reason in text


def test_a_good_period_or_none_at_all_shows_no_notice(agent_client, shop, agent):
    build_world(shop, agent)
    for query in (PERIOD, {}, {"start": "2025-12-01", "end": "2026-12-01"}):  # the longest allowed: 365 days
        text = agent_client.get(reverse("insight:dashboard"), query).content.decode()
        assert 'data-testid="period-error"' not in text, query


@pytest.mark.parametrize("name", ["agent", "product", "sku", "live_session", "host"])
def test_an_id_larger_than_any_row_is_ignored_like_any_unknown_value(agent_client, shop, agent, name):
    build_world(shop, agent)
    for page in ("insight:dashboard", "insight:problems"):
        response = agent_client.get(reverse(page), {**PERIOD, name: "99999999999999999999999"})
        assert response.status_code == 200, (page, name)


@pytest.mark.parametrize("week", ["9999-W52", "0001-W01", "1969-W52"])
def test_a_week_outside_the_calendar_shows_last_week(client, shop, supervisor, week):
    client.force_login(supervisor)
    assert client.get(reverse("insight:report"), {"week": week}).status_code == 200
    assert client.get(reverse("insight:report_xlsx"), {"week": week}).status_code == 200


def test_the_api_refuses_such_dates_with_400_naming_the_field(client, shop):
    issued = token_issue(actor=SYSTEM, shop=shop, name="probe", scopes=["*"], role=Role.ADMIN)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {issued.secret}"}
    for query in ({"start": "0001-01-01", "end": "0001-12-31"}, {"start": "9999-01-01", "end": "9999-12-31"}):
        response = client.get("/api/insight/metrics", query, **auth)
        assert response.status_code == 400, response.content
        assert response.json()["errors"][0]["loc"] == ["start"]
    response = client.get("/api/insight/rising", {"week": "9999-W52"}, **auth)
    assert response.status_code == 400 and response.json()["errors"][0]["loc"] == ["week"]


def test_the_reason_is_in_the_readers_language(agent_client, shop):
    agent_client.cookies["django_language"] = "en"
    text = agent_client.get(reverse("insight:dashboard"), {"start": "2025-01-01", "end": "2026-12-31"}).content.decode()
    assert ("The dates you chose were not used: A period can cover at most 366 days; look at it in parts. "
            "Below are the last 7 days.") in text
