"""The queue rows built in Python (desk.queue_html, what the live refresh sends) are the template's rows, byte
for byte, in both languages and whatever state each row's clock is in."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.template.loader import render_to_string
from django.utils import translation

from shouhou.commerce.choices import MembershipTier
from shouhou.core.testing.factories import CustomerFactory, UserFactory
from shouhou.desk.queue_html import queue_rows_html
from shouhou.desk.tests.factories import TicketFactory
from shouhou.inbox import selectors as sel
from shouhou.inbox.choices import Channel, TicketStatus

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 6, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _tickets(shop):
    agent = UserFactory(username="小王<客服>")
    minutes = dt.timedelta(minutes=1)
    TicketFactory(shop=shop, first_response_due_at=NOW + 30 * minutes, subject="衣服破洞 & 退货 <急>" * 3)
    TicketFactory(shop=shop, first_response_due_at=NOW - 5 * minutes, sla_breached=True, assignee=agent,
                  conversation__customer=CustomerFactory(shop=shop, tier=MembershipTier.VIP, name="张\"三\""),
                  priority=1)
    TicketFactory(shop=shop, first_response_due_at=NOW + 2 * minutes, channel=Channel.WECHAT)  # warning
    TicketFactory(shop=shop, resolution_due_at=NOW + 90 * minutes, paused_at=NOW - 10 * minutes,
                  status=TicketStatus.PENDING_CUSTOMER)  # paused, time left shown
    TicketFactory(shop=shop, first_responded_at=NOW - 20 * minutes, first_response_due_at=NOW - 10 * minutes,
                  resolution_due_at=NOW + 600 * minutes)  # answered, resolution running
    TicketFactory(shop=shop, first_responded_at=NOW - 20 * minutes)  # answered, no clock
    TicketFactory(shop=shop)  # no clock at all
    TicketFactory(shop=shop, conversation__customer=None)  # customer not identified


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_python_rows_are_the_template_rows(shop, language):
    _tickets(shop)
    page = sel.ticket_queue(shop=shop, filters=sel.QueueFilters(), reveal=False)
    assert len(page.rows) == 8
    with translation.override(language):
        expected = render_to_string("desk/_queue_rows.html", {"page": page})
        built = queue_rows_html(page)
    assert built == expected
    assert "已暂停" in expected or "Paused" in expected  # the fixture covers the paused clock


def test_an_empty_queue_gives_the_template_empty_row(shop):
    page = sel.ticket_queue(shop=shop, filters=sel.QueueFilters())
    assert queue_rows_html(page) == render_to_string("desk/_queue_rows.html", {"page": page})
