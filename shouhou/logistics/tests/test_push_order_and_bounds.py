"""Round 7 (log7): pushes at the same instant never move a parcel back; over-long fields are a 400, never a 500."""

import datetime as dt

import pytest
import time_machine

from shouhou.accounts.actors import SYSTEM
from shouhou.commerce.choices import ShipmentStatus as St
from shouhou.core.testing.factories import OrderFactory, ShipmentFactory
from shouhou.logistics.models import KeptTrackingPush, TrackingEvent, TrackingSubscription
from shouhou.logistics.services import Event, tracking_ingest
from shouhou.logistics.tests.test_kuaidi100 import T0, param_of, push, row

OK = {"result": True, "returnCode": "200", "message": "成功"}


@pytest.fixture
def k100_shop(shop):
    shop.settings = {"kuaidi100_key": "key-123", "kuaidi100_salt": "salt-abc"}
    shop.save()
    return shop


def _parcel(shop, carrier="ZTO", number="ZT100"):
    return ShipmentFactory(shop=shop, order=OrderFactory(shop=shop), carrier=carrier, tracking_no=number)


def test_an_older_snapshot_sharing_the_sign_off_second_does_not_unsign_the_parcel(client, k100_shop):
    # Given: the courier logged 派件 and 签收 in the same second (15:00:00); Kuaidi100 pushed the snapshot with both
    s = _parcel(k100_shop)
    out, signed, picked = T0 + dt.timedelta(hours=5), T0 + dt.timedelta(hours=5), T0
    newer = param_of(state="3", data=[row(signed, "已签收，签收人：本人", "301"), row(out, "【杭州市】派件员 李四 正在派件", "5"),
                                      row(picked, "已揽收", "103")])
    older = param_of(state="5", data=[row(out, "【杭州市】派件员 李四 正在派件", "5"), row(picked, "已揽收", "103")])
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        assert push(client, newer).json() == OK
        # When: the older snapshot (newest row 派件 at that same second) arrives late, or is repeated
        assert push(client, older).json() == OK
    # Then: the parcel stays signed, signed at 15:00
    s.refresh_from_db()
    assert (s.status, s.signed_at, s.last_event_at) == (St.SIGNED, signed, signed)
    assert TrackingEvent.objects.filter(shipment=s).count() == 3


def test_rows_at_one_instant_listed_oldest_first_end_on_the_furthest_step(k100_shop):
    # A generic sender lists its events oldest first; two share 15:00:00: the parcel is signed, not out for delivery
    s = _parcel(k100_shop, carrier="SF", number="SF100")
    at = T0 + dt.timedelta(hours=5)
    events = [Event(occurred_at=T0, status=St.PICKED_UP, description="已揽收"),
              Event(occurred_at=at, status=St.SIGNED, description="已签收"),
              Event(occurred_at=at, status=St.OUT_FOR_DELIVERY, description="派送中")]
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        tracking_ingest(shop=k100_shop, carrier="SF", tracking_no="SF100", events=events, source="generic",
                        actor=SYSTEM)
    s.refresh_from_db()
    assert (s.status, s.signed_at) == (St.SIGNED, at)


def test_a_later_row_still_moves_the_parcel_on(client, k100_shop):
    # Time still decides first: a return after the sign-off (a later instant) is the parcel's status
    s = _parcel(k100_shop)
    signed, back = T0 + dt.timedelta(hours=5), T0 + dt.timedelta(hours=30)
    with time_machine.travel(T0 + dt.timedelta(days=2), tick=False):
        push(client, param_of(state="3", data=[row(signed, "已签收", "301")]))
        push(client, param_of(state="6", data=[row(back, "退回", "6"), row(signed, "已签收", "301")]))
    s.refresh_from_db()
    assert (s.status, s.signed_at) == (St.RETURNED, signed)


@pytest.mark.parametrize(("field", "param"), [
    ("lastResult.nu", param_of(nu="7" * 65, data=[row(T0, "已揽收", "103")])),
    ("lastResult.com", param_of(com="z" * 41, data=[row(T0, "已揽收", "103")])),
    ("comNew", param_of(status="abort", message="3天查询无记录", comNew="y" * 41)),
])
def test_an_over_long_number_or_company_code_is_refused_in_kuaidi100s_format_not_a_server_error(
        client, k100_shop, field, param):
    # A signed push naming a number longer than any we store (unknown: it was kept) or a company code longer than
    # our column failed the insert on PostgreSQL: a 500, which Kuaidi100 retries
    _parcel(k100_shop)
    with time_machine.travel(T0, tick=False):
        r = push(client, param)
    assert r.status_code == 400
    assert r.json()["result"] is False and r.json()["returnCode"] == "400" and field in r.json()["message"]
    assert KeptTrackingPush.objects.count() == 0 and TrackingSubscription.objects.count() == 0


def test_the_longest_number_we_store_is_still_kept(client, k100_shop):
    with time_machine.travel(T0, tick=False):
        r = push(client, param_of(nu="7" * 64, com="z" * 40, data=[row(T0, "已揽收", "103")]))
    assert r.json() == OK
    assert KeptTrackingPush.objects.get().tracking_no == "7" * 64


def test_the_batch_path_orders_one_instant_the_same_way(k100_shop):
    from shouhou.logistics.services import tracking_ingest_many

    s = _parcel(k100_shop, carrier="SF", number="SF200")
    at = T0 + dt.timedelta(hours=5)
    signed_first = [Event(occurred_at=at, status=St.SIGNED, description="已签收"),
                    Event(occurred_at=at, status=St.OUT_FOR_DELIVERY, description="派送中")]
    late_snapshot = [Event(occurred_at=at, status=St.OUT_FOR_DELIVERY, description="派送中")]
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        tracking_ingest_many(shop=k100_shop, pushes=[("SF", "SF200", signed_first), ("SF", "SF200", late_snapshot)],
                             source="generic", actor=SYSTEM)
    s.refresh_from_db()
    assert (s.status, s.signed_at) == (St.SIGNED, at)


def test_a_push_to_a_shop_code_we_do_not_have_is_answered_in_kuaidi100s_format(client, k100_shop):
    with time_machine.travel(T0, tick=False):
        r = push(client, param_of(data=[row(T0, "已揽收", "103")]), shop_code="no-such-shop")
    assert r.status_code == 404 and r["Content-Type"].startswith("application/json")
    assert r.json()["result"] is False and r.json()["returnCode"] == "404"
    assert KeptTrackingPush.objects.count() == 0
