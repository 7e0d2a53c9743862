"""Messages caused by a real business change: an order export import → order_placed (recent orders only).

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
DAY = dt.datetime(2026, 11, 2, 14, 0, tzinfo=SH)  # the day after the export's orders were paid
WEEKS_LATER = dt.datetime(2026, 11, 20, 14, 0, tzinfo=SH)


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


def test_an_import_of_old_orders_texts_nobody_and_says_why(shop, tmp_path, django_capture_on_commit_callbacks):
    # given last month's export, imported weeks after its orders were paid (a merchant's first import)
    path = write_csv(tmp_path / "orders.csv")
    with time_machine.travel(WEEKS_LATER, tick=False), django_capture_on_commit_callbacks(execute=True):
        orders_import(actor=SYSTEM, shop=shop, path=path)
    # then no buyer is told 「订单已收到」 weeks late
    assert Order.objects.filter(shop=shop).count() == 2
    assert not OutboundMessage.objects.filter(trigger="order_placed").exists()


def test_only_the_recent_and_not_cancelled_orders_of_an_import_get_the_message(shop, tmp_path,
                                                                               django_capture_on_commit_callbacks):
    from shouhou.commerce.tests.exports import ROWS, with_value

    rows = with_value("支付时间", "2026-11-03 12:00:00", row=2)  # the second order: paid yesterday noon
    rows = with_value("支付时间", "2026-10-30 12:00:00", row=0, rows=rows)  # the first: five days ago
    rows = with_value("支付时间", "2026-10-30 12:00:00", row=1, rows=rows)
    assert len(rows) == len(ROWS)
    with time_machine.travel(dt.datetime(2026, 11, 4, 12, 0, tzinfo=SH), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "orders.csv", rows))
    sent = OutboundMessage.objects.filter(trigger="order_placed")
    assert [m.context["order_no"] for m in sent] == ["DY20261101002"]
    # a cancelled order gets none, however recent
    from shouhou.notifications.services import notify_orders_placed

    order = Order.objects.get(shop=shop, order_no="DY20261101002")
    OutboundMessage.objects.all().delete()
    Order.objects.filter(pk=order.pk).update(status="cancelled")
    with time_machine.travel(dt.datetime(2026, 11, 4, 12, 0, tzinfo=SH), tick=False):
        assert notify_orders_placed(shop=shop, order_ids=[order.pk]) == 0
        Order.objects.filter(pk=order.pk).update(status="paid")
        assert notify_orders_placed(shop=shop, order_ids=[order.pk]) == 1
    # 48 hours is the edge: paid 48 h 1 min before, nothing
    OutboundMessage.objects.all().delete()
    with time_machine.travel(dt.datetime(2026, 11, 5, 12, 1, tzinfo=SH), tick=False):
        assert notify_orders_placed(shop=shop, order_ids=[order.pk]) == 0
    with time_machine.travel(dt.datetime(2026, 11, 5, 11, 59, tzinfo=SH), tick=False):
        assert notify_orders_placed(shop=shop, order_ids=[order.pk]) == 1
