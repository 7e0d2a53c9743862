"""What the platform takes off an order, through the 抖店 sandbox over real HTTP: a corrected waybill (tag 104, or
seen by a later sync) voids its shipment — kept with its tracking history and audited, no longer tracked, checked
or shown as the order's parcel — and a line taken off the order is marked removed, kept for its case and no
longer offered for a claim; either comes back when the platform lists it again. Parcels the platform never listed
(an exchange's new parcel recorded on a case) are left alone."""

from __future__ import annotations

import datetime as dt

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as case_services
from shouhou.commerce.models import Order, OrderLine, Shipment
from shouhou.core.models import AuditEvent
from shouhou.logistics import services as logistics
from shouhou.logistics.models import LogisticsException, TrackingEvent, TrackingSubscription
from shouhou.logistics.selectors import order_tracking
from shouhou.platforms import orders as order_sync
from shouhou.platforms.models import PlatformConnection, PlatformEvent, SyncedOrder
from shouhou.platforms.tests.test_order_parcels import OID, SKU_A, SKU_B, _kuaidi100, _past
from shouhou.platforms.tests.test_order_sync import _lines
from shouhou.portal.views import _order_context

pytestmark = pytest.mark.django_db(transaction=True)


def _active(order) -> list[str]:
    return sorted(Shipment.objects.filter(order=order, voided_at__isnull=True).values_list("tracking_no", flat=True))


def _fresh(conn):
    return PlatformConnection.objects.get(pk=conn.pk)


def test_doudian_corrected_waybill_voids_its_shipment_and_keeps_its_history(shop, sandbox, connect, live_server):
    _kuaidi100(shop)
    sandbox.add_order(order_id=OID, lines=_lines((SKU_A, 19900), (SKU_B, 5900)))
    conn = connect(backfill=True)
    order = Order.objects.get(order_no=OID)
    sandbox.ship_order(OID, tracking_no="ZT8800000001", push=False)  # a mistyped number…
    sandbox.ship_order(OID, tracking_no="SF1400000002", company="shunfeng", company_name="顺丰速运", push=False)
    _past(sandbox.orders[OID].update_time)
    assert order_sync.orders_sync(_fresh(conn)).written == 1
    assert _active(order) == ["SF1400000002", "ZT8800000001"]
    assert SyncedOrder.objects.get(platform_order_id=OID).parts == {
        "lines": sorted([SKU_A, SKU_B]), "waybills": [["SF", "SF1400000002"], ["ZTO", "ZT8800000001"]]}
    wrong = Shipment.objects.get(tracking_no="ZT8800000001")
    # …which some stranger's parcel answers to: news arrives, and the stuck rule would open an exception on it
    at = dt.datetime.now(dt.UTC) - dt.timedelta(days=6)
    logistics.tracking_ingest(shop=shop, carrier="ZTO", tracking_no="ZT8800000001", source="kuaidi100", actor=SYSTEM,
                              events=[logistics.Event(occurred_at=at, status="in_transit", description="快件已发往 成都")])
    LogisticsException.objects.create(shop=shop, shipment=wrong, kind="stuck", detail="轨迹停滞",
                                      opened_at=dt.datetime.now(dt.UTC))
    # an exchange's new parcel recorded on the order by hand: the platform never listed it
    Shipment.objects.create(shop=shop, order=order, carrier="YTO", tracking_no="YT5500000005", status="in_transit")
    # the merchant corrects the waybill in the back office; 抖店 pushes tag 104 (发货物流信息变更) over HTTP
    sandbox.push_url = f"{live_server.url}/platforms/doudian/push/"
    sandbox.correct_waybill(OID, tracking_no="ZT8800000001", new_tracking_no="ZT8800000009")
    assert PlatformEvent.objects.get(tag="104").status == "applied"
    wrong.refresh_from_db()
    assert wrong.voided_at is not None and "运单更正" in wrong.void_reason and wrong.order_id == order.pk
    assert _active(order) == ["SF1400000002", "YT5500000005", "ZT8800000009"]
    assert TrackingEvent.objects.filter(shipment=wrong).count() == 1  # its history stays
    assert not LogisticsException.objects.filter(shipment=wrong, status="open").exists()
    subs = dict(TrackingSubscription.objects.values_list("tracking_no", "status"))
    assert subs["ZT8800000001"] == "shutdown" and subs["ZT8800000009"] in ("pending", "subscribed")
    audit = AuditEvent.objects.get(action="platforms.order_parts_removed")
    assert audit.before == {"waybills": ["ZTO ZT8800000001"], "lines": []}
    # later news of the voided waybill is history only: no status, no delivery, no exception, not the order's news
    logistics.tracking_ingest(shop=shop, carrier="ZTO", tracking_no="ZT8800000001", source="kuaidi100", actor=SYSTEM,
                              events=[logistics.Event(occurred_at=at + dt.timedelta(days=1), status="signed",
                                                      description="已签收")])
    wrong.refresh_from_db()
    order.refresh_from_db()
    assert wrong.status == "in_transit" and wrong.signed_at is None and order.delivered_at is None
    assert TrackingEvent.objects.filter(shipment=wrong).count() == 2
    assert logistics.exception_sweep(shop=shop)["checked"] == 3  # the three live parcels, not the voided one
    assert not LogisticsException.objects.filter(shipment=wrong, status="open").exists()
    assert all(ev.shipment_id != wrong.pk for ev in order_tracking(shop=shop, order_id=order.pk))
    # a reconciliation and a back-fill read the same version: nothing voided or created twice
    assert order_sync.orders_reconcile(_fresh(conn)).written == 0
    assert AuditEvent.objects.filter(action="platforms.order_parts_removed").count() == 1
    # the correction undone on the platform: the first number is the order's parcel again, the second voided
    sandbox.correct_waybill(OID, tracking_no="ZT8800000009", new_tracking_no="ZT8800000001", push=False)
    _past(sandbox.orders[OID].update_time)
    result = order_sync.orders_sync(_fresh(conn))
    assert result.shipments_voided == 1 and result.error == ""
    assert _active(order) == ["SF1400000002", "YT5500000005", "ZT8800000001"]
    assert Shipment.objects.filter(order=order).count() == 4


def test_doudian_line_removed_on_the_platform_is_kept_and_no_longer_claimable(shop, sandbox, connect, agent):
    sandbox.add_order(order_id=OID, lines=_lines((SKU_A, 19900), (SKU_B, 5900)))
    conn = connect(backfill=True)
    order = Order.objects.get(order_no=OID)
    line_b = OrderLine.objects.get(order=order, line_key=SKU_B)
    case = case_services.case_create(shop=shop, order_line=line_b, reason="quality", actor=agent,
                                     description="开衫起球")
    sandbox.remove_line(OID, SKU_B)  # no message: the next incremental sync sees the new version
    _past(sandbox.orders[OID].update_time)
    result = order_sync.orders_sync(_fresh(conn))
    assert result.lines_removed == 1 and result.shipments_voided == 0
    line_b.refresh_from_db()
    assert line_b.removed_at is not None  # kept: its case still points at it
    assert OrderLine.objects.filter(order=order).count() == 2
    case.refresh_from_db()
    assert case.order_line_id == line_b.pk and case.status not in ("cancelled", "resolved")
    assert case.events.filter(kind="platform", note__contains="平台订单已移除该商品行").exists()
    assert [ln.line_key for ln in _order_context(order)["lines"]] == [SKU_A]  # the portal offers A only
    audit = AuditEvent.objects.get(action="platforms.order_parts_removed")
    assert audit.before == {"waybills": [], "lines": [SKU_B]}
    # unchanged version: nothing again; the line back on the order: restored
    assert order_sync.orders_reconcile(_fresh(conn)).lines_removed == 0
    sandbox.orders[OID].lines = _lines((SKU_A, 19900), (SKU_B, 5900))
    sandbox.orders[OID].update_time += 1
    _past(sandbox.orders[OID].update_time)
    order_sync.orders_sync(_fresh(conn))
    line_b.refresh_from_db()
    assert line_b.removed_at is None
    assert [ln.line_key for ln in _order_context(order)["lines"]] == [SKU_A, SKU_B]


def test_a_first_read_after_the_upgrade_voids_nothing(shop, sandbox, connect):
    sandbox.add_order(order_id=OID, lines=_lines((SKU_A, 19900)))
    sandbox.ship_order(OID, tracking_no="ZT8800000001", push=False)
    conn = connect(backfill=True)
    order = Order.objects.get(order_no=OID)
    SyncedOrder.objects.update(parts={})  # a row written before parts were kept
    sandbox.correct_waybill(OID, tracking_no="ZT8800000001", new_tracking_no="ZT8800000009", push=False)
    _past(sandbox.orders[OID].update_time)
    assert order_sync.orders_sync(_fresh(conn)).shipments_voided == 0  # nothing known to compare with: recorded
    assert _active(order) == ["ZT8800000001", "ZT8800000009"]
    assert SyncedOrder.objects.get().parts["waybills"] == [["ZTO", "ZT8800000009"]]
