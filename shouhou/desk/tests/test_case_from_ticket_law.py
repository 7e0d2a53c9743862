"""A case opened from a ticket is decided as of when the customer wrote (CRPL art. 25: a return asked for
within the seven days is in time, however late an agent takes it up)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from shouhou.commerce.choices import Category
from shouhou.core.testing.factories import OrderLineFactory, ProductFactory
from shouhou.desk.services import ticket_case_create
from shouhou.desk.tests.factories import TicketFactory

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
SIGNED = dt.datetime(2026, 11, 4, 15, 0, tzinfo=SHANGHAI)  # day 7 is 11-11


def _ticket_written(shop, at):
    line = OrderLineFactory(order__shop=shop, order__delivered_at=SIGNED, quantity=1, price_paid=Decimal("129.00"),
                            product=ProductFactory(shop=shop, name="北欧台灯", category=Category.HOME))
    with time_machine.travel(at, tick=False):
        ticket = TicketFactory(shop=shop, customer=line.order.customer, order=line.order)
    return ticket, line


@pytest.mark.parametrize(("written", "day", "allowed"), [
    (dt.datetime(2026, 11, 11, 22, 40, tzinfo=SHANGHAI), 7, ["return_refund", "exchange"]),  # asked on day 7
    (dt.datetime(2026, 11, 12, 8, 30, tzinfo=SHANGHAI), 8, []),                             # asked on day 8
])
def test_a_return_asked_on_day_7_and_taken_up_on_day_8_is_in_time(shop, agent, written, day, allowed):
    ticket, line = _ticket_written(shop, written)
    with time_machine.travel(dt.datetime(2026, 11, 12, 10, 0, tzinfo=SHANGHAI), tick=False):
        case = ticket_case_create(ticket=ticket, actor=agent, order_line_id=line.pk, reason="no_reason")
    assert (case.decision["day"], case.decision["allowed"]) == (day, allowed)
