"""The weekly report with an agent who resolved tickets in the week but answered none first in it: the
agent's first-response figure is missing, and the page shows a dash instead of failing (the demo hit this
at some hours of the day, issue 15)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from shouhou.accounts.choices import Role
from shouhou.core.testing.factories import MembershipFactory, UserFactory
from shouhou.desk.tests.factories import TicketFactory
from shouhou.inbox.choices import TicketStatus

TZ = dt.timezone(dt.timedelta(hours=8))
WEEK = "2026-W47"  # Mon 2026-11-16 – Mon 2026-11-23
FIRST_ANSWER_BEFORE_THE_WEEK = dt.datetime(2026, 11, 13, 10, 0, tzinfo=TZ)
RESOLVED_IN_THE_WEEK = dt.datetime(2026, 11, 18, 15, 0, tzinfo=TZ)


@pytest.fixture
def resolver(shop):
    """An agent whose only ticket was first answered the week before and resolved in the report's week."""
    user = MembershipFactory(shop=shop, role=Role.AGENT, user=UserFactory(username="resolver",
                                                                            first_name="只解决")).user
    TicketFactory(shop=shop, assignee=user, status=TicketStatus.RESOLVED,
                  first_responded_at=FIRST_ANSWER_BEFORE_THE_WEEK, first_response_business_seconds=120,
                  resolved_at=RESOLVED_IN_THE_WEEK, resolution_business_seconds=5400)
    return user


@time_machine.travel(dt.datetime(2026, 12, 5, 10, 0, tzinfo=TZ), tick=False)
def test_report_shows_a_dash_for_an_agent_without_first_responses_in_the_week(client, shop, shop_admin, resolver):
    # given an agent with a resolution but no first response in the week
    client.force_login(shop_admin)
    # when the supervisor opens the weekly report of that week
    response = client.get(reverse("insight:report"), {"week": WEEK})
    # then the page opens, the agent's resolution time is shown and the missing first response is a dash
    assert response.status_code == 200
    html = response.content.decode()
    row = html[html.index("<th>只解决</th>") + len("<th>只解决</th>"):]
    row = row[:row.index("</tr>")]
    cells = [c.split(">", 1)[1] for c in row.split("</td>")[:-1]]
    assert cells[:2] == ["—", "1小时30分"]
