"""The reply-rate clocks on the desk: today's rates for the agent and the team on the queue, per agent on the
supervisor's board, and the nudge for buyer messages about to cross the 3-minute line (docs/metrics.md)."""

from __future__ import annotations

import pytest
import time_machine

from shouhou.accounts.models import Role
from shouhou.core.testing.factories import MembershipFactory, UserFactory
from shouhou.inbox.models import Message
from shouhou.sla.tests.test_reply_rates import at, douyin_day

pytestmark = pytest.mark.django_db


def _client_for(client, user):
    client.force_login(user)
    return client


def test_queue_shows_mine_and_team_rates_and_nudges_the_waiting_message(client):
    shop, a1, a2 = douyin_day()
    waiting = Message.objects.get(shop=shop, human_reply_at__isnull=True, awaits_human=True)
    with time_machine.travel(at(15, 2, 10), tick=False):
        html = _client_for(client, a2).get("/desk/queue/").content.decode()
        rows = client.get("/desk/queue/rows/").json()
    # 15:02: team 2 of 4 decided messages in 3 minutes (m8 can still make it); a2 0 of 1 (m5)
    assert 'data-testid="reply-rate-team-180">50.0%' in html
    assert 'data-testid="reply-rate-mine-180">0.0%' in html
    # the nudge: m8 crosses its 3 minutes at 15:03, 50 s away, and links to its ticket
    assert 'data-testid="reply-nudge"' in html and f'data-message="{waiting.pk}"' in html
    assert "2026-11-06T15:03:00+08:00" in html
    assert 'data-testid="reply-nudge"' in rows["reply_html"]


def test_no_nudge_when_nothing_is_about_to_cross(client):
    shop, a1, a2 = douyin_day()
    with time_machine.travel(at(15, 1), tick=False):  # m8 is 60 s old: 120 s left, outside the 60 s window
        html = _client_for(client, a1).get("/desk/queue/").content.decode()
    assert 'data-testid="reply-board"' in html and 'data-testid="reply-nudge"' not in html


def test_team_board_lists_each_agents_rate(client):
    shop, a1, a2 = douyin_day()
    boss = MembershipFactory(shop=shop, role=Role.SUPERVISOR, user=UserFactory(username="boss")).user
    with time_machine.travel(at(23, 30), tick=False):
        html = _client_for(client, boss).get("/desk/team/").content.decode()
        body = client.get("/desk/team/rows/").json()["html"]
    assert 'data-testid="reply-rate-team-180">50.0%' in html
    a1_row = html[html.index('data-agent="a1"'):]
    a2_row = html[html.index('data-agent="a2"'):]
    assert "75.0% <span class=\"muted\">(3/4)" in a1_row[:600]
    assert "0.0% <span class=\"muted\">(0/2)" in a2_row[:600]
    assert 'data-testid="reply-rates-agents"' in body
