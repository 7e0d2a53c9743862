"""A stored platform message whose payload makes the adapter raise something that is not a PlatformError (here 抖店's
afterSale/Detail answering `order_info` as a list: `.get` of a list, AttributeError). Before 2026-12-07 the exception
left the message claimed (处理中) until the five-minute lease ended, then it was taken again for ever and never marked
failed, and nothing was said anywhere. Now: retried with the back-off, the error on the connection page with the
message id and in the log, failed after MAX_EVENT_ATTEMPTS; a later good message for the same request applies."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
import time_machine

from shouhou.cases.models import Case
from shouhou.platforms import services
from shouhou.platforms.models import PlatformEvent
from shouhou.platforms.sandbox.doudian import DoudianSandbox
from shouhou.platforms.tests.conftest import ORDER_ID, SKU_ORDER_ID

pytestmark = pytest.mark.django_db


class OddDetailSandbox(DoudianSandbox):
    """Answers afterSale/Detail with `order_info` as a list of orders while `odd` is set (a shape no published
    answer has: what an unexpected payload looks like to the adapter)."""

    odd = True
    odd_order = False  # order/orderDetail answering `shop_order_detail` as a list

    def _order_detail(self, params: dict) -> tuple[int, dict]:
        status, body = super()._order_detail(params)
        if self.odd_order and isinstance(body.get("data"), dict) and "shop_order_detail" in body["data"]:
            body["data"]["shop_order_detail"] = [body["data"]["shop_order_detail"]]
        return status, body

    def _detail(self, params: dict) -> tuple[int, dict]:
        status, body = super()._detail(params)
        if self.odd and isinstance(body.get("data"), dict) and "order_info" in body["data"]:
            body["data"]["order_info"] = [body["data"]["order_info"]]
        return status, body


@pytest.fixture
def sandbox():
    box = OddDetailSandbox().start()
    yield box
    box.stop()


def _event(conn, record, message_id: str) -> PlatformEvent:
    return PlatformEvent.objects.create(platform="doudian", message_id=message_id, connection=conn, tag="200",
                                        aftersale_id=record.aftersale_id, payload={})


def test_an_adapter_error_is_retried_with_back_off_shown_and_failed_at_the_limit(connect, sandbox, order_line,
                                                                                claim_clock, caplog):
    conn = connect()
    record = sandbox.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, push=False)
    event = _event(conn, record, "m-odd-1")
    with caplog.at_level(logging.ERROR, logger="shouhou.platforms"):
        assert services.event_apply(event.pk) == "retry"  # the worker does not crash
    event.refresh_from_db()
    conn.refresh_from_db()
    assert (event.status, event.attempts) == ("retry", 1)  # not left claimed (applying) for the lease
    assert "m-odd-1" in event.error and "AttributeError" in event.error
    assert "m-odd-1" in conn.last_error and record.aftersale_id in conn.last_error  # the connection page's 最近错误
    assert any("m-odd-1" in r.getMessage() and r.exc_info for r in caplog.records)  # the log, with the traceback
    assert not Case.objects.exists()

    calls = len(sandbox.calls)
    assert services.events_retry(connection=conn) == 0  # inside the back-off: not read again
    assert len(sandbox.calls) == calls
    start = dt.datetime.now(dt.UTC)
    with time_machine.travel(start + dt.timedelta(seconds=services.BACKOFF_BASE + 5), tick=True):
        assert services.events_retry(connection=conn) == 0
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("retry", 2) and len(sandbox.calls) > calls
    with time_machine.travel(start + dt.timedelta(seconds=services.BACKOFF_BASE + 10), tick=True):
        assert services.events_retry(connection=conn) == 0  # the second wait is longer (60 s)
    event.refresh_from_db()
    assert event.attempts == 2

    PlatformEvent.objects.filter(pk=event.pk).update(attempts=services.MAX_EVENT_ATTEMPTS - 1)
    with time_machine.travel(start + dt.timedelta(hours=2), tick=True):
        services.events_retry(connection=conn)
    event.refresh_from_db()
    assert (event.status, event.attempts) == ("failed", services.MAX_EVENT_ATTEMPTS)
    assert "m-odd-1" in event.error
    with time_machine.travel(start + dt.timedelta(hours=5), tick=True):
        calls = len(sandbox.calls)
        assert services.events_retry(connection=conn) == 0  # failed: never taken again
        assert len(sandbox.calls) == calls


def test_a_later_good_message_for_the_same_request_still_applies(connect, sandbox, order_line, claim_clock):
    conn = connect()
    record = sandbox.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, push=False)
    bad = _event(conn, record, "m-odd-2")
    assert services.event_apply(bad.pk) == "retry"
    sandbox.odd = False  # the platform answers in its published shape again
    sandbox.buyer_returns(record.aftersale_id, push=False)
    good = _event(conn, record, "m-good-2")
    assert services.event_apply(good.pk) == "applied"
    case = Case.objects.get()
    assert case.platform_link.aftersale_id == record.aftersale_id and case.platform_link.status == "11"


def test_an_order_message_that_trips_the_adapter_does_not_stop_the_rest_of_the_inbox(connect, sandbox, order_line,
                                                                                    claim_clock):
    conn = connect()
    sandbox.odd, sandbox.odd_order = False, True
    sandbox.add_order(order_id="6950000000000001", lines=[{"sku_order_id": "6950000000000002",
                                                           "product_name": "羊毛开衫"}])
    order_msg = PlatformEvent.objects.create(platform="doudian", message_id="m-order-odd", connection=conn, tag="101",
                                             order_id="6950000000000001", payload={})
    record = sandbox.add_aftersale(order_id=ORDER_ID, sku_order_id=SKU_ORDER_ID, push=False)
    after_msg = _event(conn, record, "m-after-fine")
    assert services.events_apply_pending(conn.pk) == 1  # the batch went on past the bad message
    order_msg.refresh_from_db()
    after_msg.refresh_from_db()
    assert (order_msg.status, after_msg.status) == ("retry", "applied")
    assert "m-order-odd" in order_msg.error and "订单 6950000000000001" in order_msg.error
    conn.refresh_from_db()
    assert "m-order-odd" in conn.last_error
