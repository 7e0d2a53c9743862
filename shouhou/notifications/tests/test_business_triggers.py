"""Messages caused by a real business change: an order export import → order_placed.

The other triggers are tested where their change happens: case created/approved/received/inspection/
resolved/rejected and recall in cases/tests/test_services.py, survey invitation in
insight/tests/test_surveys.py, shipped / dispatch late / logistics exception in logistics/tests/."""

import datetime as dt

import time_machine

from shouhou.accounts.actors import SYSTEM
from shouhou.commerce.models import Order
from shouhou.commerce.services import orders_import
from shouhou.commerce.tests.exports import write_csv
from shouhou.notifications.models import OutboundMessage

SH = dt.timezone(dt.timedelta(hours=8))
DAY = dt.datetime(2026, 11, 20, 14, 0, tzinfo=SH)


def test_an_order_import_says_order_placed_once_per_new_order_after_commit(shop, tmp_path,
                                                                         django_capture_on_commit_callbacks):
    path = write_csv(tmp_path / "orders.csv")
    with time_machine.travel(DAY, tick=False):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            orders_import(actor=SYSTEM, shop=shop, path=path)
            assert OutboundMessage.objects.count() == 0  # nothing before the import committed
        with django_capture_on_commit_callbacks(execute=True):
            orders_import(actor=SYSTEM, shop=shop, path=path)  # the same export again
    assert callbacks
    orders = list(Order.objects.filter(shop=shop).exclude(customer=None))
    rows = OutboundMessage.objects.filter(trigger="order_placed")
    assert sorted(rows.values_list("idempotency_key", flat=True)) == sorted(f"order:{o.pk}:placed" for o in orders)
    for o in orders:
        assert o.order_no in rows.get(idempotency_key=f"order:{o.pk}:placed").body
    assert set(rows.values_list("status", flat=True)) <= {"sent", "suppressed"}  # dispatched after commit
