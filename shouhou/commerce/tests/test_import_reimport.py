"""Another export of orders the shop already has — an older one, or one from a back office that masks phones —
updates what it knows and takes back nothing: not the sign-off time (the 7-day window), not the buyer's phone
and customer, not the progress of the order."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.commerce.models import Customer, ImportJob, Order
from shouhou.commerce.services import orders_import
from shouhou.commerce.tests.exports import HEADERS, with_value, write_csv

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def _both_rows(header: str, value: str, rows=None):
    return with_value(header, value, row=1, rows=with_value(header, value, row=0, rows=rows))


def _order(shop) -> Order:
    return Order.objects.get(shop=shop, order_no="DY20261101001")


def test_a_masked_phone_in_a_later_export_keeps_the_known_phone_and_customer(shop, tmp_path):
    orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "full.csv"))
    customer = Customer.objects.get(shop=shop, phone="13812345678")
    assert _order(shop).customer_id == customer.pk
    # the same orders from a back office that masks buyers' phones, then from one that leaves them out
    for name, phone in (("masked.csv", "138****5678"), ("blank.csv", "")):
        job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / name, _both_rows("手机号", phone)))
        assert job.status == ImportJob.Status.DONE
        order = _order(shop)
        assert (order.receiver_phone, order.customer_id) == ("13812345678", customer.pk)  # was 138****5678, None


def test_a_new_identifying_phone_replaces_a_masked_one(shop, tmp_path):
    orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "masked.csv", _both_rows("手机号", "138****5678")))
    assert _order(shop).customer_id is None
    orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "full.csv"))
    order = _order(shop)
    assert order.receiver_phone == "13812345678" and order.customer.phone == "13812345678"
    # and a different buyer's number (the receiver changed) is taken
    orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "new.csv", _both_rows("手机号", "13700001234")))
    assert _order(shop).customer.phone == "13700001234"


def test_an_older_export_does_not_take_back_the_sign_off_or_the_status(shop, tmp_path):
    orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "now.csv"))
    signed = dt.datetime(2026, 11, 4, 15, 0, tzinfo=SH)
    assert (_order(shop).status, _order(shop).delivered_at) == ("delivered", signed)
    # last week's export of the same order: shipped, not yet signed for (blank 签收时间)
    older = _both_rows("签收时间", "")
    job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "older.csv", older))
    assert job.status == ImportJob.Status.DONE
    order = _order(shop)
    assert (order.status, order.delivered_at) == ("delivered", signed)  # was shipped, None: the 7-day clock gone
    # an export that says so in words does not either; 已取消 (a refund) is taken as the file says
    words = [row + ["已发货"] for row in older]
    orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "words.csv", words, headers=[*HEADERS, "订单状态"]))
    assert _order(shop).status == "delivered"
    cancelled = [row + ["已取消"] for row in older]
    orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "cancel.csv", cancelled,
                                                          headers=[*HEADERS, "订单状态"]))
    assert _order(shop).status == "cancelled" and _order(shop).delivered_at == signed


def test_a_later_export_still_moves_an_order_on(shop, tmp_path):
    # given an order imported before it shipped
    rows = _both_rows("发货时间", "", rows=_both_rows("签收时间", "", rows=_both_rows("运单号", "")))
    orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "paid.csv", rows))
    assert _order(shop).status == "paid"
    orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "signed.csv"))
    order = _order(shop)
    assert order.status == "delivered" and order.delivered_at == dt.datetime(2026, 11, 4, 15, 0, tzinfo=SH)
    # and the same file again changes nothing
    job = orders_import(actor=SYSTEM, shop=shop, path=write_csv(tmp_path / "signed.csv"))
    assert job.status == ImportJob.Status.DONE
    again = _order(shop)
    assert (again.status, again.delivered_at, again.customer_id) == (order.status, order.delivered_at, order.customer_id)
