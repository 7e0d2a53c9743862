import html as html_lib
import re

import pytest
from django.urls import reverse

from shouhou.accounts.choices import Role
from shouhou.core.testing.factories import MembershipFactory, UserFactory
from shouhou.inbox.models import Ticket
from shouhou.insight.models import SurveyInvitation, SurveyResponse
from shouhou.reviews.models import Review

from .fixtures import IN, PERIOD, build_world

pytestmark = pytest.mark.django_db
LINK = re.compile(r'<a class="(?:num|den)"[^>]*href="([^"]+)"[^>]*>(\d+)</a>')


def _links(page) -> list[tuple[str, int]]:
    text = page.content.decode()
    return [(html_lib.unescape(href), int(n)) for href, n in LINK.findall(text)]


def _drill_total(client, url) -> int:
    page = client.get(url)
    assert page.status_code == 200, url
    text = page.content.decode()
    total = int(re.search(r'data-testid="drill-total">(\d+)<', text).group(1))
    assert text.count('class="drill-row"') == min(total, 100)
    return total


def _world(shop, agent):
    w = build_world(shop, agent)
    t = Ticket.objects.create(shop=shop, number="T1", channel="wechat", assignee=agent, customer=w.cases["r1"].customer,
                              case=w.cases["r1"], first_responded_at=IN, first_response_business_seconds=30,
                              resolved_at=IN, resolution_business_seconds=600)
    Ticket.objects.filter(pk=t.pk).update(created_at=IN)
    inv = SurveyInvitation.objects.create(shop=shop, customer=w.cases["r1"].customer, case=w.cases["r1"], token="x1")
    resp = SurveyResponse.objects.create(invitation=inv, attitude=5, speed=4, outcome=5)
    SurveyResponse.objects.filter(pk=resp.pk).update(created_at=IN)
    Review.objects.create(shop=shop, external_id="r1", rating=2, sentiment=0, posted_at=IN,
                          complaint_type="quality_defect", live_session=w.session)
    return w


@pytest.mark.parametrize("page", ["insight:dashboard", "insight:sessions", "insight:problems", "insight:agents",
                                  ("insight:by", "sku"), ("insight:by", "live_session"), ("insight:by", "carrier"),
                                  ("insight:by", "day"), ("insight:by", "agent"), ("insight:by", "reason")])
def test_every_number_drills_to_exactly_its_rows(agent_client, shop, agent, page):
    # given the hand-computed world
    _world(shop, agent)
    name, args = (page, []) if isinstance(page, str) else (page[0], [page[1]])
    # when the page is opened
    response = agent_client.get(reverse(name, args=args), PERIOD)
    assert response.status_code == 200
    links = _links(response)
    # then it shows numbers, and each one's drill list has exactly that many rows
    assert links
    for url, shown in links:
        assert _drill_total(agent_client, url) == shown, url


def test_overview_numbers_are_the_hand_computed_ones(agent_client, shop, agent, other_shop):
    _world(shop, agent)
    build_world(other_shop)
    text = agent_client.get(reverse("insight:dashboard"), PERIOD).content.decode()
    assert 'id="rates-chart"' in text and 'id="insight-chart"' in text and "vendor/chart.js/chart.umd.js" in text
    card = re.search(r'data-metric="return">.*?</div>', text, re.S).group(0)
    assert "50.0%" in card and ">3</a> / <a" in card and ">6</a>" in card
    assert "C-R" not in text


def test_drill_lists_only_this_shops_rows_and_respects_filters(agent_client, shop, agent, other_shop):
    w = _world(shop, agent)
    build_world(other_shop)
    query = {**PERIOD, "metric": "return", "part": "num", "reason": "size_fit"}
    text = agent_client.get(reverse("insight:drill"), query).content.decode()
    assert text.count('class="drill-row"') == 2 and "C-R1" in text and "C-R3" in text and "C-R2" not in text
    query = {**PERIOD, "metric": "return", "part": "num", "live_session": str(w.session.pk)}
    assert agent_client.get(reverse("insight:drill"), query).content.decode().count('class="drill-row"') == 2


def test_unknown_metric_part_or_dimension_is_404(agent_client, shop):
    assert agent_client.get(reverse("insight:drill"), {"metric": "nope"}).status_code == 404
    assert agent_client.get(reverse("insight:drill"), {"metric": "csat", "part": "x"}).status_code == 404
    assert agent_client.get(reverse("insight:by", args=["approve"])).status_code == 404


def test_not_applicable_filter_shows_a_dash_not_an_error(agent_client, shop, agent):
    _world(shop, agent)
    text = agent_client.get(reverse("insight:dashboard"), {**PERIOD, "team": "service"}).content.decode()
    card = re.search(r'data-metric="positive_review">.*?</div>', text, re.S).group(0)
    assert "筛选条件不适用于此指标" in card


def test_pages_require_login(client, db):
    for name in ["insight:dashboard", "insight:actions", "insight:report", "insight:drill"]:
        assert client.get(reverse(name)).status_code == 302


def test_analyst_sees_but_cannot_create_actions(client, shop):
    analyst = MembershipFactory(shop=shop, role=Role.ANALYST, user=UserFactory(username="analyst")).user
    client.force_login(analyst)
    assert client.get(reverse("insight:actions")).status_code == 200
    assert client.get(reverse("insight:action_create")).status_code == 403
    assert client.post(reverse("insight:action_create"), {"finding": "x"}).status_code == 403


def test_no_live_session_filter_is_named_in_the_readers_language(agent_client, shop, agent):
    from shouhou.insight import metrics as m
    build_world(shop, agent)
    query = {**PERIOD, "live_session": m.NONE}
    assert "未知" in agent_client.get(reverse("insight:dashboard"), query).content.decode()
    agent_client.cookies["django_language"] = "en"
    text = agent_client.get(reverse("insight:dashboard"), query).content.decode()
    assert "Unknown" in text and "未知" not in text


@pytest.mark.parametrize(("page", "english"), [("insight:sessions", '"series": "Returns"'),
                                               ("insight:problems", '"count": "Quantity"'),
                                               ("insight:agents", '"frt": "First response time (median, business minutes)')])
def test_chart_series_names_come_from_the_catalog_not_the_script(agent_client, shop, agent, page, english):
    build_world(shop, agent)
    agent_client.cookies["django_language"] = "en"
    text = agent_client.get(reverse(page), PERIOD).content.decode()
    scripts = "".join(re.findall(r"<script[^>]*>(.*?)</script>", text, flags=re.S))
    assert not re.search(r"[\u4e00-\u9fff]", scripts), scripts  # no Chinese series name in the chart code
    assert english in text
    if page == "insight:problems":
        assert "Return reasons" in text and "退货原因" not in text and "评价问题类型" not in text and "Review problem types" in text
