"""Order and shipment sync for connected shops: the platform's orders become commerce orders, lines, SKUs
and shipments without anyone exporting a CSV.

- `orders_sync(conn)`: the orders changed since the connection's order cursor (on connect: the last
  ORDER_BACKFILL_DAYS), a page at a time. Pages are written in batches of about WRITE_LINES lines through
  the order import's own set-based writer (commerce.importers: writer.write_chunk on SQLite, the COPY
  staging of pgstage on PostgreSQL), one transaction per batch; the cursor is saved after each batch, so an
  outage or an expired token resumes where the last written page ended, and memory stays bounded.
- `orders_reconcile(conn)`: reads the last RECONCILE_DAYS again from a fresh cursor (what an incremental pass
  missed, e.g. a platform index that updated late); unchanged orders cost no writes.
- `order_fetch(conn, order_id)`: one order, read when the platform pushes an order message.

Platform ids are kept: Order.order_no is the platform's order id, OrderLine.line_key its sub-order id
(抖店 sku order id, 快手 order id, 微信小店 sku id), which is what an after-sale request names, so a request
waiting for its order is applied after the sync (events_retry). A SyncedOrder row per order keeps the
platform's update_time: a re-sync of an unchanged order writes nothing.

Buyer data is stored as the platform gives it, masked (张**, 138****5678); nothing is decrypted (see
docs/platforms.md, "Order sync"). It is written for new orders; an order imported earlier from a back-office
export keeps its receiver and customer until the platform says the receiver changed: SyncedOrder keeps a
digest of the receiver the platform last gave, and a later read (a sync, or the order push of an address
change, 抖店 tag 105) with another receiver writes the platform's one onto the order, recorded in the audit
log (`platforms.order_receiver`, phones masked). A first read only records the digest.

Shipments come from the platform's waybills — every parcel of the order, not only the first (partial and
split shipments) — and are subscribed at Kuaidi100 like imported ones
(logistics.subscriptions.shipments_arrived). A parcel is found again by (carrier, tracking number): a
re-sync creates nothing twice. SyncedOrder.parts keeps the lines and waybills the platform last listed: one it no
longer lists (a waybill corrected, a line taken off) is voided / marked removed, never deleted (_removed_on_platform)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from django.db import connection as db
from django.db import transaction

from shouhou.commerce.choices import ShipmentStatus
from shouhou.commerce.importers.bulk import upsert
from shouhou.commerce.importers.parse import ParsedLine
from shouhou.commerce.importers.writer import WriteStats, write_chunk
from shouhou.commerce.models import Order, Shipment
from shouhou.core import clock
from shouhou.platforms.adapters import adapter_class, adapter_for
from shouhou.platforms.adapters.base import OrderPage, PlatformError, PlatformOrder, supports_orders
from shouhou.platforms.choices import EventStatus
from shouhou.platforms.models import PlatformConnection, PlatformEvent, SyncedOrder

log = logging.getLogger("shouhou.platforms")

ORDER_BACKFILL_DAYS = 30  # on connect, the orders changed in this many days
RECONCILE_DAYS = 3  # the reconciliation re-reads this many days
WRITE_LINES = 2000  # lines per write transaction (the import's chunk size)
MAX_PAGES = 20000  # a safety stop for one pass (2,000,000 抖店 orders)
LOCK_SECONDS = 2 * 3600  # a pass that died without releasing its lock blocks the next ones at most this long
# the fields a platform order gives, in the import's terms. Receiver fields (receiver_name, phone, address)
# are written when an order is created and never overwrite what an export gave (see the module docstring).
PRESENT = {"placed_at", "paid_at", "shipped_at", "signed_at", "status", "carrier", "tracking_no", "product_id",
           "sku_code", "spec", "quantity", "paid_amount"}


@dataclass
class SyncResult:
    read: int = 0  # orders the platform returned
    written: int = 0  # orders new or changed since the last sync
    unchanged: int = 0
    skipped: int = 0  # not orders yet (unpaid)
    pages: int = 0
    receivers_changed: int = 0  # orders whose receiver the platform changed (applied)
    shipments_voided: int = 0  # waybills the platform took off an order (its shipment voided, history kept)
    lines_removed: int = 0  # lines the platform took off an order (marked removed, kept)
    error: str = ""
    stats: WriteStats = field(default_factory=WriteStats)

    def as_dict(self) -> dict:
        return {"read": self.read, "written": self.written, "unchanged": self.unchanged, "skipped": self.skipped,
                "pages": self.pages, "shipments_voided": self.shipments_voided, "lines_removed": self.lines_removed,
                "receivers_changed": self.receivers_changed, "error": self.error, **self.stats.as_dict()}


def _lines(order: PlatformOrder) -> list[ParsedLine]:
    """The order as rows of an export: one per line, the order's fields repeated (the writer merges them)."""
    waybill = order.waybills[0] if order.waybills else None
    common = {"placed_at": order.placed_at, "paid_at": order.paid_at, "shipped_at": order.shipped_at,
              "signed_at": order.signed_at, "status": order.status, "receiver_name": order.receiver_name[:100],
              "phone": order.receiver_phone, "address": order.address,
              "carrier": waybill.carrier if waybill else "", "tracking_no": waybill.tracking_no[:64] if waybill else ""}
    out = []
    for item in order.items:
        values = {**common, "product_id": item.product_id[:64], "sku_code": item.sku_code[:64], "spec": item.spec[:200],
                  "quantity": item.quantity, "paid_amount": item.paid}
        out.append(ParsedLine(row_no=0, order_no=order.order_id, line_key=item.sub_order_id[:128] or order.order_id,
                              product_name=item.product_name[:200], values=values))
    return out


def _write(conn: PlatformConnection, orders: list[PlatformOrder], result: SyncResult) -> list[int]:
    """Write the new or changed orders of `orders` (one transaction). Returns the ids of orders created."""
    wanted: dict[str, PlatformOrder] = {}
    for order in orders:
        if not order.order_id or not order.items:
            continue
        if not order.status:
            result.skipped += 1
            continue
        old = wanted.get(order.order_id)
        if old is None or order.updated >= old.updated:
            wanted[order.order_id] = order
    rows = SyncedOrder.objects.filter(connection=conn, platform_order_id__in=wanted) \
        .values_list("platform_order_id", "platform_updated_at", "receiver_digest", "parts")
    known = {oid: updated for oid, updated, _, _ in rows}
    digests = {oid: digest for oid, _, digest, _ in rows}
    parts_before = {oid: parts for oid, _, _, parts in rows}
    fresh = [o for o in wanted.values() if o.order_id not in known or o.updated > known[o.order_id]]
    result.unchanged += len(wanted) - len(fresh)
    if not fresh:
        return []
    lines = [ln for o in fresh for ln in _lines(o)]
    shop = conn.shop
    stats = WriteStats()
    stamp = clock.now()
    with transaction.atomic():
        if db.vendor == "postgresql":
            from shouhou.commerce.importers.pgstage import Stage

            stage = Stage()
            stage.add(lines, {})
            stage.write(shop=shop, present=PRESENT, stats=stats, stamp=stamp)
        else:
            write_chunk(shop=shop, lines=lines, present=PRESENT, stats=stats)
        ids = dict(Order.objects.filter(shop=shop, order_no__in=[o.order_id for o in fresh])
                   .values_list("order_no", "id"))
        _more_waybills(shop, fresh, ids, stats, stamp)
        result.receivers_changed += _receivers_changed(shop, fresh, ids, digests)
        voided, removed = _removed_on_platform(shop, fresh, ids, parts_before)
        result.shipments_voided += voided
        result.lines_removed += removed
        upsert(SyncedOrder, [{"shop_id": shop.pk, "connection_id": conn.pk, "platform_order_id": o.order_id,
                              "order_id": ids.get(o.order_id), "platform_status": o.platform_status[:16],
                              "platform_updated_at": o.updated, "receiver_digest": receiver_digest(o),
                              "parts": order_parts(o), "created_at": stamp, "updated_at": stamp}
                             for o in fresh],
               conflict=["connection_id", "platform_order_id"],
               update=["order_id", "platform_status", "platform_updated_at", "receiver_digest", "parts", "updated_at"])
    result.written += len(fresh)
    for name, value in stats.as_dict().items():
        setattr(result.stats, name, getattr(result.stats, name) + value)
    return sorted(stats.created_order_ids)


def _more_waybills(shop, orders: list[PlatformOrder], ids: dict[str, int], stats: WriteStats, stamp) -> None:
    """The parcels after the first (the import's writer takes one per order): each becomes a shipment of its
    order, found again by (carrier, tracking number) so a re-sync creates none twice."""
    wanted: dict[tuple[str, str], tuple[int, PlatformOrder, object]] = {}
    for order in orders:
        order_pk = ids.get(order.order_id)
        if order_pk is None:
            continue
        for bill in order.waybills[1:]:
            tracking = bill.tracking_no.strip()[:64]
            if tracking:
                wanted.setdefault((bill.carrier or "OTHER", tracking), (order_pk, order, bill))
    if not wanted:
        return
    have = set(Shipment.objects.filter(shop=shop, tracking_no__in={t for _, t in wanted})
               .values_list("carrier", "tracking_no"))
    new = []
    for (carrier, tracking), (order_pk, order, bill) in wanted.items():
        if (carrier, tracking) in have:
            continue
        shipped = bill.shipped_at or order.shipped_at
        new.append(Shipment(shop=shop, order_id=order_pk, carrier=carrier, tracking_no=tracking,
                            status=ShipmentStatus.SIGNED if order.signed_at else ShipmentStatus.IN_TRANSIT,
                            shipped_at=shipped, signed_at=order.signed_at,
                            last_event_at=order.signed_at or shipped, created_at=stamp, updated_at=stamp))
    if new:
        Shipment.objects.bulk_create(new, ignore_conflicts=True)
        stats.shipments_created += len(new)


def _waybill_key(bill) -> tuple[str, str]:
    """A waybill as the writers key its shipment: (carrier, tracking number)."""
    return (bill.carrier or "OTHER", bill.tracking_no.strip()[:64])


def order_parts(order: PlatformOrder) -> dict:
    """What the platform lists for the order, kept on SyncedOrder.parts: its line ids and its waybills."""
    return {"lines": sorted({(i.sub_order_id[:128] or order.order_id) for i in order.items}),
            "waybills": sorted({_waybill_key(b) for b in order.waybills if b.tracking_no.strip()})}


def _removed_on_platform(shop, orders: list[PlatformOrder], ids: dict[str, int], before: dict[str, dict]) -> tuple[int, int]:
    """What the platform listed at the last read and no longer lists: a waybill (corrected, or the parcel cancelled)
    voids its shipment — kept with its tracking history, no longer tracked or shown as the order's parcel
    (logistics.services.shipment_void) —, a line is marked removed (kept for its cases, no longer offered for a
    claim). Something listed again is restored. Only what the platform itself listed is touched: an exchange or 补寄
    parcel recorded on a case, or an order's first read (nothing kept yet), voids nothing. Audited per order."""
    from shouhou.cases import services as case_services
    from shouhou.cases.models import Case
    from shouhou.commerce.models import OrderLine
    from shouhou.core.audit import audit_record
    from shouhou.logistics.services import shipment_unvoid, shipment_void
    from shouhou.platforms.services import PLATFORM

    voided = removed = 0
    at = clock.now()
    for order in orders:
        order_pk, old = ids.get(order.order_id), before.get(order.order_id) or {}
        if order_pk is None or not old:
            continue
        now_parts = order_parts(order)
        listed, was_listed = {tuple(w) for w in now_parts["waybills"]}, {tuple(w) for w in old.get("waybills") or []}
        gone_bills, new_bills = was_listed - listed, listed - was_listed
        gone_lines = set(old.get("lines") or []) - set(now_parts["lines"])
        new_lines = set(now_parts["lines"]) - set(old.get("lines") or [])
        ships = Shipment.objects.filter(shop=shop, order_id=order_pk, is_return=False)
        if new_bills:  # listed again after being taken off (a correction undone): the order's parcel again
            back = [s.pk for s in ships.filter(voided_at__isnull=False, tracking_no__in={t for _, t in new_bills})
                    if (s.carrier, s.tracking_no) in new_bills]
            if back:
                shipment_unvoid(shipment_ids=back)
        if new_lines:
            OrderLine.objects.filter(order_id=order_pk, line_key__in=new_lines, removed_at__isnull=False) \
                .update(removed_at=None, updated_at=at)
        if not gone_bills and not gone_lines:  # the usual case: no query at all
            continue
        void_ids = [s.pk for s in ships.filter(voided_at__isnull=True, tracking_no__in={t for _, t in gone_bills})
                    if (s.carrier, s.tracking_no) in gone_bills]
        n = shipment_void(shipment_ids=void_ids, reason="平台订单已不再包含该运单（运单更正或包裹取消）") if void_ids else 0
        lines = list(OrderLine.objects.filter(order_id=order_pk, line_key__in=gone_lines, removed_at__isnull=True))
        if lines:
            OrderLine.objects.filter(pk__in=[ln.pk for ln in lines]).update(removed_at=at, updated_at=at)
            for case in Case.objects.filter(order_line__in=lines).exclude(status__in=["resolved", "rejected", "cancelled"]):
                case_services.case_platform_note(case=case, actor=PLATFORM, data={"order_id": order.order_id},
                                                 note="平台订单已移除该商品行：售后单保留，请核对是否仍需处理。")
        if n or lines:
            audit_record(action="platforms.order_parts_removed", obj=Order.objects.get(pk=order_pk), shop=shop,
                         before={"waybills": [" ".join(w) for w in sorted(gone_bills)] if n else [],
                                 "lines": [ln.line_key for ln in lines]},
                         after={}, note="平台订单已不再包含这些运单或商品行：运单作废、商品行标记为已移除，记录保留")
        voided += n
        removed += len(lines)
    return voided, removed


def receiver_digest(order: PlatformOrder) -> str:
    """The receiver as the platform gave it, in 32 hex characters ("" when it gave none)."""
    parts = (order.receiver_name.strip(), order.receiver_phone.strip(), order.address.strip())
    if not any(parts):
        return ""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _receivers_changed(shop, orders: list[PlatformOrder], ids: dict[str, int], digests: dict[str, str]) -> int:
    """Apply the platform's receiver to orders whose receiver changed on the platform since the last read (the
    digest differs from the one kept). A first read (no digest kept) changes nothing: an order imported from an
    export keeps the export's receiver until the platform changes it."""
    from shouhou.core.audit import audit_record
    from shouhou.core.phones import mask_phone

    changed = 0
    for order in orders:
        old, new = digests.get(order.order_id, ""), receiver_digest(order)
        if not old or not new or old == new or order.order_id not in ids:
            continue
        row = Order.objects.filter(pk=ids[order.order_id]).only("pk", "shop_id", "receiver_name", "receiver_phone",
                                                                  "address").first()
        if row is None:
            continue
        after = {"receiver_name": order.receiver_name[:100], "receiver_phone": order.receiver_phone[:20],
                 "address": order.address[:300]}
        before = {"receiver_name": row.receiver_name, "receiver_phone": row.receiver_phone, "address": row.address}
        if before == after:
            continue
        Order.objects.filter(pk=row.pk).update(**after, updated_at=clock.now())
        shown = {k: (mask_phone(v) if k == "receiver_phone" and "*" not in v else v) for k, v in before.items()}
        audit_record(action="platforms.order_receiver", obj=row, shop=shop, before=shown,
                     after={**after, "receiver_phone": after["receiver_phone"] if "*" in after["receiver_phone"]
                            else mask_phone(after["receiver_phone"])},
                     note="平台上的收货信息已变更，已按平台更新")
        changed += 1
    return changed


def _shipments_arrived(shop) -> None:
    """Subscribe the new tracked shipments at Kuaidi100 (as after an import); never undoes the sync."""
    from shouhou.logistics.subscriptions import shipments_arrived

    try:
        shipments_arrived(shop=shop)
    except Exception:
        log.exception("tracking follow-up after the order sync of shop %s failed", shop.pk)


def _since(days: int) -> int:
    return int((clock.now() - dt.timedelta(days=days)).timestamp())


def orders_sync(conn: PlatformConnection, *, backfill: bool = False, reconcile: bool = False,
                max_pages: int = MAX_PAGES) -> SyncResult:
    """Read and write the orders changed since the order cursor (see the module docstring). One pass per
    connection at a time: a long back-fill is not joined by the next scheduled pass."""
    from django.core.cache import cache

    result = SyncResult()
    if not supports_orders(adapter_class(conn.platform)):
        result.error = "该平台的订单同步尚未接入"
        return result
    lock = f"platforms:orders_sync:{conn.pk}"
    if not cache.add(lock, 1, timeout=LOCK_SECONDS):
        result.error = "该店铺的订单同步正在进行，稍后再试"
        return result
    try:
        return _sync(conn, result, backfill=backfill, reconcile=reconcile, max_pages=max_pages)
    finally:
        cache.delete(lock)


def _sync(conn: PlatformConnection, result: SyncResult, *, backfill: bool, reconcile: bool,
          max_pages: int) -> SyncResult:
    from shouhou.platforms.services import _error

    fresh_start = backfill or reconcile or not conn.order_cursor
    cursor = {} if fresh_start else dict(conn.order_cursor.get("cursor") or {})
    since = _since(RECONCILE_DAYS if reconcile else ORDER_BACKFILL_DAYS) if fresh_start \
        else int(conn.order_cursor.get("since") or _since(ORDER_BACKFILL_DAYS))
    pending: list[PlatformOrder] = []
    pending_lines = 0
    saved_page = cursor  # the cursor after the last page read
    created_any = False

    def flush(next_cursor: dict) -> None:
        nonlocal pending, pending_lines, created_any
        created_any |= bool(_write(conn, pending, result))
        pending, pending_lines = [], 0
        if not reconcile:  # the reconciliation never moves the incremental cursor
            state = {"since": since, "cursor": next_cursor}
            PlatformConnection.objects.filter(pk=conn.pk).update(order_cursor=state)
            conn.order_cursor = state

    # The next page is read (HTTP + JSON + mapping, no database) while this one is written.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="order-sync") as pool:
        ahead = None
        for _ in range(max_pages):
            try:
                page = _page(conn, pool, ahead, since, cursor)
            except PlatformError as exc:
                if pending:
                    flush(saved_page)
                result.error = f"订单同步失败：{exc.message}"
                _error(conn, result.error)
                break
            ahead = _prefetch(conn, pool, since, page.cursor) if page.has_more else None
            result.pages += 1
            result.read += len(page.items)
            pending.extend(page.items)
            pending_lines += sum(len(o.items) for o in page.items)
            cursor = saved_page = page.cursor
            if pending_lines >= WRITE_LINES or not page.has_more:
                flush(page.cursor)
            if not page.has_more:
                break
        else:
            if pending:
                flush(saved_page)
    if not result.error:
        stamp = clock.now()
        PlatformConnection.objects.filter(pk=conn.pk).update(last_order_sync_at=stamp)
        conn.last_order_sync_at = stamp
    if result.stats.shipments_created or result.stats.shipments_updated:
        _shipments_arrived(conn.shop)  # once per pass: Kuaidi100 subscriptions for the new waybills
    if created_any:
        _orders_arrived(conn)
    log.info("platform order sync %s: %s", conn, result.as_dict())
    return result


def _prefetch(conn: PlatformConnection, pool: ThreadPoolExecutor, since: int, cursor: dict) -> Future | None:
    """Start reading the page at `cursor` in the pool with the current token (refreshed here first when it
    is close to expiry, so the pool thread never touches the database). None: read it in _page."""
    from shouhou.platforms.services import _refresh_margin, _secrets, token_refresh

    if conn.needs_reauth:
        return None
    if conn.token_expires_at is None or conn.token_expires_at - clock.now() < _refresh_margin(conn.platform):
        if not token_refresh(conn):
            return None
    secrets = _secrets(conn)
    adapter = adapter_for(conn, secrets=secrets)
    return pool.submit(adapter.list_orders, secrets.get("access_token", ""), since, dict(cursor))


def _page(conn: PlatformConnection, pool: ThreadPoolExecutor, ahead: Future | None, since: int,
          cursor: dict) -> OrderPage:
    """The page at `cursor`: the one read ahead, else read now. Whatever went wrong ahead (an expired
    token above all) is read again through services._call, which refreshes and retries once."""
    from shouhou.platforms.services import _call

    if ahead is not None:
        try:
            return ahead.result()
        except PlatformError as exc:
            if exc.kind != "token_expired":
                raise
    return _call(conn, lambda a, token: a.list_orders(token, since, dict(cursor)))


def orders_reconcile(conn: PlatformConnection) -> SyncResult:
    return orders_sync(conn, reconcile=True)


def _orders_arrived(conn: PlatformConnection) -> None:
    """After-sale messages that waited for their order are applied now."""
    from shouhou.platforms.services import events_retry

    if PlatformEvent.objects.filter(connection=conn, status=EventStatus.WAITING_ORDER).exists():
        events_retry(connection=conn)


def order_fetch(conn: PlatformConnection, order_id: str) -> SyncResult:
    """Read one order (an order push named it) and write it. Raises PlatformError."""
    from shouhou.platforms.services import _call

    result = SyncResult()
    order = _call(conn, lambda a, token: a.get_order(token, order_id))
    result.read = 1
    created = _write(conn, [order], result)
    if result.stats.shipments_created or result.stats.shipments_updated:
        _shipments_arrived(conn.shop)
    if created:
        _orders_arrived(conn)
    return result


def order_event_apply(event: PlatformEvent) -> str:
    """An order message from the inbox: read that order from the platform and write it."""
    from shouhou.platforms.services import MAX_EVENT_ATTEMPTS, _error, event_kept

    conn = event.connection
    try:
        order_fetch(conn, event.order_id)
    except PlatformError as exc:
        _error(conn, exc.message)
        status = EventStatus.FAILED if event.attempts >= MAX_EVENT_ATTEMPTS and not exc.retryable \
            else EventStatus.RETRY
        event_kept(event, status, exc.message)
        return status
    PlatformEvent.objects.filter(pk=event.pk).update(status=EventStatus.APPLIED, error="", applied_at=clock.now(),
                                                     next_attempt_at=None)
    return EventStatus.APPLIED


def _connections():
    return PlatformConnection.objects.filter(enabled=True, needs_reauth=False).select_related("shop")


def orders_sync_all() -> int:
    """Schedule: every connection's incremental order sync. Returns orders written."""
    return sum(orders_sync(c).written for c in _connections() if supports_orders(adapter_class(c.platform)))


def orders_reconcile_all() -> int:
    return sum(orders_reconcile(c).written for c in _connections() if supports_orders(adapter_class(c.platform)))
