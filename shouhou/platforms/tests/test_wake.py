"""A push wakes the worker once per queued task, not once per push, and never waits for the every-minute retry:
the task releases its mark as it starts, so a push that arrives while it runs (or right after) queues the next
one. Before, the mark lasted WAKE_SECONDS whatever happened, and a push in that window waited up to a minute."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django_q.brokers import get_broker

from shouhou.platforms import services, tasks

pytestmark = pytest.mark.django_db

CONN_ID = 990_017  # no such connection: the task finds nothing to apply, which is all this test needs


@pytest.fixture
def queued(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": False}
    cache.delete(services._wake_key(CONN_ID))
    broker = get_broker()
    start = broker.queue_size()
    yield lambda: broker.queue_size() - start
    broker.purge_queue()


def test_a_burst_of_pushes_queues_one_task(queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            services._wake(CONN_ID)
    assert queued() == 1


def test_a_push_after_the_task_started_queues_the_next_one_at_once(queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services._wake(CONN_ID)
    assert tasks.events_apply_task(CONN_ID) == 0  # the worker runs it (nothing stored for this id)
    with django_capture_on_commit_callbacks(execute=True):
        services._wake(CONN_ID)  # well within WAKE_SECONDS of the first push
    assert queued() == 2
