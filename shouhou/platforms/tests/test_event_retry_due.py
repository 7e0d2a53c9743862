"""The inbox's back-off is kept on the message (`next_attempt_at`) and the due messages are chosen in SQL. Until
2026-12-07 `events_retry` loaded every candidate kept for retry and compared its last claim time with the back-off
in Python: each minute's pass read every waiting row of every shop, and a row's due time could only be derived from
`updated_at`, which anything touching the row moved."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from shouhou.core import clock
from shouhou.platforms import services
from shouhou.platforms.models import PlatformEvent
from shouhou.platforms.tests.conftest import ORDER_ID, SKU_ORDER_ID
from shouhou.platforms.tests.test_event_unexpected_error import OddDetailSandbox

pytestmark = pytest.mark.django_db


@pytest.fixture
def sandbox():
    box = OddDetailSandbox().start()
    yield box
    box.stop()


def _event(conn, sandbox, message_id: str, **fields) -> PlatformEvent:
    record = sandbox.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, push=False)
    return PlatformEvent.objects.create(platform="doudian", message_id=message_id, connection=conn, tag="200",
                                        aftersale_id=record.aftersale_id, payload={}, **fields)


def test_a_failed_attempt_stores_when_the_message_is_due_again(connect, sandbox, order_line, claim_clock):
    conn = connect()
    event = _event(conn, sandbox, "m-due-1")
    before = clock.now()
    assert services.event_apply(event.pk) == "retry"
    event.refresh_from_db()
    assert event.attempts == 1
    # 30 s after the attempt
    assert before + dt.timedelta(seconds=30) <= event.next_attempt_at <= clock.now() + dt.timedelta(seconds=30)

    with time_machine.travel(event.next_attempt_at + dt.timedelta(seconds=1), tick=False):
        services.events_retry(connection=conn)
        event.refresh_from_db()
        assert event.attempts == 2
        assert event.next_attempt_at == clock.now() + dt.timedelta(seconds=60)  # doubled

    PlatformEvent.objects.filter(pk=event.pk).update(attempts=12)
    assert services._event_retry_at(12) - services._event_retry_at(0) <= dt.timedelta(hours=1)  # at most an hour
    assert services._event_retry_at(12) - clock.now() >= dt.timedelta(minutes=59)


def test_only_messages_whose_time_has_come_are_taken_whatever_their_updated_at(connect, sandbox, order_line,
                                                                               claim_clock):
    conn = connect()
    sandbox.odd = False
    now = clock.now()
    # last touched long ago, but its stored back-off runs for ten more minutes: not due
    later = _event(conn, sandbox, "m-later", status="retry", attempts=1, next_attempt_at=now + dt.timedelta(minutes=10))
    PlatformEvent.objects.filter(pk=later.pk).update(updated_at=now - dt.timedelta(hours=3))
    # touched a moment ago, but due since a minute: taken
    due = _event(conn, sandbox, "m-due", status="retry", attempts=5, next_attempt_at=now - dt.timedelta(minutes=1))
    received = PlatformEvent.objects.create(platform="doudian", message_id="m-received", connection=conn, tag="200",
                                            aftersale_id=due.aftersale_id, payload={})  # a new message: due at once
    calls = len(sandbox.calls)

    assert services.events_retry(connection=conn) == 2
    for event in (later, due, received):
        event.refresh_from_db()
    assert (later.status, later.attempts) == ("retry", 1)
    assert due.status == received.status == "applied"
    assert due.next_attempt_at is None and received.next_attempt_at is None
    assert len(sandbox.calls) > calls

    with time_machine.travel(now + dt.timedelta(minutes=10, seconds=1), tick=False):
        services.events_retry(connection=conn)
    later.refresh_from_db()
    assert later.attempts == 2  # its time came: taken (the line has an open case: kept for retry again)


def test_the_due_messages_are_chosen_by_the_database(connect, sandbox, order_line, claim_clock):
    conn = connect()
    now = clock.now()
    for n in range(3):
        _event(conn, sandbox, f"m-wait-{n}", status="retry", attempts=3, next_attempt_at=now + dt.timedelta(minutes=5))
    with CaptureQueriesContext(db) as queries:
        assert services.events_retry(connection=conn) == 0
    selects = [q["sql"] for q in queries.captured_queries if "platforms_platformevent" in q["sql"]]
    assert len(selects) == 1 and "next_attempt_at" in selects[0]  # one query, nothing loaded to be filtered here


def test_the_migration_gives_a_message_already_kept_for_retry_the_due_time_the_old_rule_computed(connect, sandbox,
                                                                                                  claim_clock):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("shouhou.platforms.migrations.0011_event_next_attempt_at")
    conn = connect()
    kept = _event(conn, sandbox, "m-old-retry", status="retry", attempts=3)
    new = _event(conn, sandbox, "m-old-new")
    at = clock.now() - dt.timedelta(minutes=1)
    PlatformEvent.objects.filter(pk__in=[kept.pk, new.pk]).update(updated_at=at, next_attempt_at=None)
    migration.retry_times(apps, None)
    kept.refresh_from_db()
    new.refresh_from_db()
    assert kept.next_attempt_at == at + dt.timedelta(seconds=120)  # 30 s doubled twice after its last claim
    assert new.next_attempt_at is None


def test_a_full_batch_of_messages_waiting_for_their_orders_does_not_starve_the_others(connect, sandbox, order_line,
                                                                                     claim_clock, monkeypatch):
    # given more messages waiting for their orders than one pass takes (lower ids: they came first)
    conn = connect()
    sandbox.odd = False
    monkeypatch.setattr(services, "RETRY_BATCH", 3)
    waiting = [PlatformEvent.objects.create(platform="doudian", message_id=f"m-wait-{i}", connection=conn, tag="200",
                                            aftersale_id=f"AS-NO-ORDER-{i}", payload={}, status="waiting_order")
               for i in range(4)]
    due = _event(conn, sandbox, "m-due-behind", status="retry", attempts=1,
                 next_attempt_at=clock.now() - dt.timedelta(minutes=1))
    # when the minute's retry runs twice
    for minute in (1, 2):
        with time_machine.travel(clock.now() + dt.timedelta(minutes=minute), tick=False):
            services.events_retry(connection=conn)
    # then the message due for retry was taken (by id it came after a full batch every time) and applied
    due.refresh_from_db()
    assert due.status == "applied", (due.status, due.attempts)
    assert all(PlatformEvent.objects.get(pk=w.pk).attempts >= 1 for w in waiting[:3])
