"""One stored platform message is applied by one worker at a time: the wake task and the every-minute retry may
pick the same message, and before the claim both read the platform and applied it (a duplicate note on the case,
an attempt lost). A worker that died mid-way leaves a claim that is taken again after the lease."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from shouhou.cases.models import Case
from shouhou.platforms import services
from shouhou.platforms.models import PlatformEvent
from shouhou.platforms.tests.conftest import ORDER_ID, SKU_ORDER_ID

pytestmark = pytest.mark.django_db


def _event(conn, sandbox, **fields) -> PlatformEvent:
    record = sandbox.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, push=False)
    return PlatformEvent.objects.create(platform="doudian", message_id=f"m-{record.aftersale_id}", connection=conn,
                                        tag="200", aftersale_id=record.aftersale_id, payload={}, **fields)


def test_a_message_another_worker_is_applying_is_left_to_it(connect, sandbox, order_line, claim_clock):
    conn = connect()
    event = _event(conn, sandbox)
    PlatformEvent.objects.filter(pk=event.pk).update(status="applying")  # another worker claimed it just now
    calls = len(sandbox.calls)
    assert services.event_apply(event.pk) == "applying"
    assert services.events_retry(connection=conn) == 0
    assert len(sandbox.calls) == calls and not Case.objects.exists()  # the platform was not read, nothing applied


def test_a_claim_left_by_a_dead_worker_is_taken_again_after_the_lease(connect, sandbox, order_line, claim_clock):
    conn = connect()
    event = _event(conn, sandbox)
    PlatformEvent.objects.filter(pk=event.pk).update(status="applying", attempts=1)
    with time_machine.travel(dt.datetime.now(dt.UTC) + services.APPLY_LEASE + dt.timedelta(seconds=5), tick=True):
        assert services.events_retry(connection=conn) == 1
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("applied", 2)
    assert Case.objects.get().platform_link.aftersale_id == event.aftersale_id


def test_each_attempt_is_counted_once_and_an_applied_message_is_not_applied_again(connect, sandbox, order_line,
                                                                                 claim_clock):
    conn = connect()
    event = _event(conn, sandbox)
    assert services.event_apply(event.pk) == "applied"
    calls = len(sandbox.calls)
    assert services.event_apply(event.pk) == "applied"  # a second wake: nothing to do, the platform is not read
    event.refresh_from_db()
    assert event.attempts == 1 and len(sandbox.calls) == calls and Case.objects.count() == 1
