"""The portal's 5 guesses hold for a burst spread over two processes (as `shouhou serve` runs one web process
per core): each guess is counted in one atomic step that both processes share (core/counters.py: the
database without Redis). Counted with the cache's add/incr, each process's LocMem cache (or the file cache's
read-then-write) let every process have its own five: 10 of these 12 guesses got through, not 5."""

from __future__ import annotations

import pytest

from shouhou.core.testing.bursts import burst_in_two_processes
from shouhou.portal.services import MAX_FAILURES, TooManyAttempts, portal_order_lookup
from shouhou.portal.tests.conftest import portal_line

pytestmark = pytest.mark.django_db(transaction=True)  # the other processes must see the rows

BURST = 12


def _guess(order_no: str, ip: str) -> str:
    try:
        return "miss" if portal_order_lookup(order_no=order_no, last4="0000", ip=ip) is None else "found"
    except TooManyAttempts:
        return "429"


def test_a_burst_on_one_order_number_from_two_processes_gets_five_guesses(shop):
    order_no = portal_line(shop).order.order_no
    outcomes, pids = burst_in_two_processes(_guess, [(order_no, f"10.7.0.{i}") for i in range(BURST)])
    assert len(pids) == 2
    assert outcomes == ["429"] * (BURST - MAX_FAILURES) + ["miss"] * MAX_FAILURES
    # and the order number stays locked, even for the right pair from a fresh address
    with pytest.raises(TooManyAttempts):
        portal_order_lookup(order_no=order_no, last4="5678", ip="10.7.1.1")


def test_a_burst_from_one_address_over_two_processes_gets_five_guesses(shop):
    order = portal_line(shop).order
    outcomes, pids = burst_in_two_processes(_guess, [(f"DY-GUESS-{i}", "2001:db8:7:7::1") for i in range(BURST)])
    assert len(pids) == 2
    assert outcomes == ["429"] * (BURST - MAX_FAILURES) + ["miss"] * MAX_FAILURES
    # the address (by its /64) is locked; another client is not
    with pytest.raises(TooManyAttempts):
        portal_order_lookup(order_no=order.order_no, last4="5678", ip="2001:db8:7:7::2")
    assert portal_order_lookup(order_no=order.order_no, last4="5678", ip="10.7.2.1") == order
