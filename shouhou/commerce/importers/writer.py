"""Set-based writes for one chunk of parsed lines: a handful of queries per chunk, none per row.

Natural keys: Host(shop, name), LiveSession(shop, title), Product(shop, name), SKU(shop, code),
Customer(shop, phone), Order(shop, order_no), OrderLine(order, line_key), Shipment(shop, carrier,
tracking_no) or the order's one untracked shipment. Only the columns the file has are updated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from shouhou.commerce.choices import Category, MembershipTier, OrderStatus, ShipmentStatus
from shouhou.commerce.importers.amounts import settle_amounts
from shouhou.commerce.importers.bulk import upsert
from shouhou.commerce.importers.parse import ADDRESS_PARTS, ParsedLine
from shouhou.commerce.models import (
    SKU,
    Customer,
    Host,
    LiveSession,
    Order,
    OrderLine,
    Product,
    Shipment,
    Shop,
)
from shouhou.core.clock import now
from shouhou.core.phones import last4

BATCH = 1000  # rows per INSERT statement (SQLite's variable limit is generous on 3.32+)


@dataclass
class WriteStats:
    orders_created: int = 0
    orders_updated: int = 0
    lines_created: int = 0
    lines_updated: int = 0
    customers_created: int = 0
    customers_updated: int = 0
    products_created: int = 0
    skus_created: int = 0
    shipments_created: int = 0
    shipments_updated: int = 0
    live_sessions_created: int = 0
    hosts_created: int = 0
    created_order_ids: set[int] = field(default_factory=set)
    updated_order_ids: set[int] = field(default_factory=set)

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if isinstance(v, int)}


def _save_changed(model, objs: list, fields: list[str]) -> None:
    """Write loaded-and-changed rows back in one INSERT ... ON CONFLICT (id) DO UPDATE per batch: much
    cheaper than bulk_update's CASE WHEN per field, on SQLite and PostgreSQL alike."""
    if objs:
        model.objects.bulk_create(objs, batch_size=BATCH, update_conflicts=True, unique_fields=["id"],
                                  update_fields=fields)


def _last_by(lines: list[ParsedLine], key) -> dict:
    out: dict = {}
    for line in lines:
        k = key(line)
        if k:
            out[k] = line
    return out


def _merged(lines: list[ParsedLine], key) -> dict[str, dict]:
    """Per key, every field's last non-empty value across the chunk's rows."""
    out: dict[str, dict] = {}
    for line in lines:
        k = key(line)
        if not k:
            continue
        target = out.setdefault(k, {})
        for name, value in line.values.items():
            if value not in (None, "") or name not in target:
                target[name] = value
    return out


def _rows_in(model, column: str, keys, select: tuple[str, ...], **equal) -> list[tuple]:
    """`SELECT select FROM model WHERE equal… AND column IN keys`, in raw SQL over slices of 900 keys: the same rows
    as `model.objects.filter(…, column__in=keys).values_list(*select)`, without Django's per-key preparation (a
    tenth of a second per 10,000 keys; the keys are already the column's type)."""
    from django.db import connection

    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    cols = ", ".join(quote(model._meta.get_field(c).column) for c in select)
    fixed = " AND ".join(f"{quote(model._meta.get_field(c).column)} = %s" for c in equal)
    keys = list(keys)
    out: list[tuple] = []
    with connection.cursor() as cur:
        for lo in range(0, len(keys), 900):
            part = keys[lo:lo + 900]
            sql = (f"SELECT {cols} FROM {table} WHERE {fixed + ' AND ' if fixed else ''}"  # noqa: S608
                   f"{quote(model._meta.get_field(column).column)} IN ({', '.join(['%s'] * len(part))})")
            cur.execute(sql, [*equal.values(), *part])
            out.extend(cur.fetchall())
    return out


def _write_hosts(shop: Shop, lines, present, stats) -> dict[str, int]:
    if "host" not in present:
        return {}
    names = {ln.values.get("host") for ln in lines} - {"", None}
    if not names:
        return {}
    existing = dict(_rows_in(Host, "name", names, ("name", "id"), shop=shop.pk))
    missing = [Host(shop=shop, name=n) for n in sorted(names - existing.keys())]
    if missing:
        Host.objects.bulk_create(missing, ignore_conflicts=True)
        stats.hosts_created += len(missing)
        existing = dict(_rows_in(Host, "name", names, ("name", "id"), shop=shop.pk))
    return existing


def _write_sessions(shop: Shop, lines, present, hosts, stats) -> dict[str, int]:
    if "live_session" not in present:
        return {}
    info: dict[str, dict] = {}
    for ln in lines:
        title = ln.values.get("live_session")
        if not title:
            continue
        at = ln.values.get("placed_at") or ln.values.get("paid_at")
        slot = info.setdefault(title, {"host": None, "start": at, "end": at})
        if ln.values.get("host"):
            slot["host"] = hosts.get(ln.values["host"])
        if at and (slot["start"] is None or at < slot["start"]):
            slot["start"] = at
        if at and (slot["end"] is None or at > slot["end"]):
            slot["end"] = at
    if not info:
        return {}
    found: dict[str, LiveSession] = {}
    for s in LiveSession.objects.filter(shop=shop, title__in=info.keys()).order_by("-pk"):
        found[s.title] = s  # the oldest one wins when titles repeat
    new = []
    for title, slot in info.items():
        if title not in found:
            new.append(LiveSession(shop=shop, title=title, host_id=slot["host"], started_at=slot["start"] or now(),
                                   ended_at=slot["end"]))
    if new:
        LiveSession.objects.bulk_create(new, batch_size=BATCH)
        stats.live_sessions_created += len(new)
        for s in LiveSession.objects.filter(shop=shop, title__in=info.keys()).order_by("-pk"):
            found[s.title] = s
    changed = []
    for title, slot in info.items():
        s = found[title]
        dirty = False
        if slot["start"] and slot["start"] < s.started_at:
            s.started_at, dirty = slot["start"], True
        if slot["end"] and (s.ended_at is None or slot["end"] > s.ended_at):
            s.ended_at, dirty = slot["end"], True
        if slot["host"] and s.host_id is None:
            s.host_id, dirty = slot["host"], True
        if dirty:
            changed.append(s)
    if changed:
        _save_changed(LiveSession, changed, ["started_at", "ended_at", "host", "updated_at"])
    return {title: s.pk for title, s in found.items()}


def _write_products(shop: Shop, lines, present, stats) -> dict[str, tuple[int, str]]:
    merged = _merged(lines, lambda ln: ln.product_name)
    names = list(merged)
    before = {name for (name,) in _rows_in(Product, "name", names, ("name",), shop=shop.pk)}
    stamp = now()
    rows = [{"shop_id": shop.pk, "name": name, "external_id": vals.get("product_id", ""),
             "category": vals.get("category") or Category.OTHER, "created_at": stamp, "updated_at": stamp}
            for name, vals in merged.items()]
    update_fields = [f for f, col in (("external_id", "product_id"), ("category", "category")) if col in present]
    if update_fields:
        upsert(Product, rows, conflict=["shop_id", "name"], update=[*update_fields, "updated_at"])
    else:
        upsert(Product, [r for r in rows if r["name"] not in before], conflict=["shop_id", "name"], ignore=True)
    stats.products_created += len(set(names) - before)
    return {name: (pk, cat) for name, pk, cat in _rows_in(Product, "name", names, ("name", "id", "category"),
                                                          shop=shop.pk)}


def _write_skus(shop: Shop, lines, present, products, stats) -> dict[str, int]:
    if "sku_code" not in present:
        return {}
    by_code = _last_by(lines, lambda ln: ln.values.get("sku_code"))
    if not by_code:
        return {}
    before = {code for (code,) in _rows_in(SKU, "code", by_code.keys(), ("code",), shop=shop.pk)}
    rows = []
    stamp = now()
    for code, ln in by_code.items():
        qty = ln.values.get("quantity") or 1
        price = (ln.values.get("paid_amount") or Decimal("0")) / qty
        rows.append({"shop_id": shop.pk, "code": code, "product_id": products[ln.product_name][0],
                     "spec": ln.values.get("spec", ""), "price": price.quantize(Decimal("0.01")),
                     "created_at": stamp, "updated_at": stamp})
    upsert(SKU, rows, conflict=["shop_id", "code"], update=["product_id", "spec", "updated_at"])
    stats.skus_created += len(by_code.keys() - before)
    return dict(_rows_in(SKU, "code", by_code.keys(), ("code", "id"), shop=shop.pk))


def _identifying(phone: str) -> bool:
    # masked (138****5678) or a privacy number with its extension (17012345678转1234: parse.VIRTUAL_MARK)
    return bool(phone) and "*" not in phone and "＊" not in phone and "转" not in phone


def _write_customers(shop: Shop, lines, present, stats) -> dict[str, int]:
    if "phone" not in present:
        return {}
    merged = _merged(lines, lambda ln: ln.values.get("phone") if _identifying(ln.values.get("phone", "")) else "")
    if not merged:
        return {}
    # (phone, id, tier, name) rows, not model instances: only the customers that change are loaded as instances
    existing = {row[0]: SimpleNamespace(phone=row[0], pk=row[1], tier=row[2], name=row[3])
                for row in _rows_in(Customer, "phone", merged.keys(), ("phone", "id", "tier", "name"), shop=shop.pk)}
    new, dirty_values = [], {}
    stamp = now()
    for phone, vals in merged.items():
        tier = vals.get("tier") if "tier" in present else None
        cust = existing.get(phone)
        if cust is None:
            new.append(SimpleNamespace(pk=None, phone=phone, phone_last4=last4(phone),
                                       name=vals.get("receiver_name", ""), tier=tier or MembershipTier.REGULAR))
            continue
        dirty = False
        if tier and cust.tier != tier:
            cust.tier, dirty = tier, True
        if not cust.name and vals.get("receiver_name"):
            cust.name, dirty = vals["receiver_name"], True
        if dirty:
            dirty_values[cust.pk] = cust
    changed = []
    if dirty_values:
        for obj in Customer.objects.filter(shop=shop, pk__in=dirty_values.keys()):
            obj.tier, obj.name, obj.updated_at = dirty_values[obj.pk].tier, dirty_values[obj.pk].name, stamp
            changed.append(obj)
    if new:
        upsert(Customer, [{"shop_id": shop.pk, "phone": c.phone, "phone_last4": c.phone_last4, "name": c.name,
                           "tier": c.tier, "created_at": stamp, "updated_at": stamp} for c in new])
        stats.customers_created += len(new)
    if changed:
        _save_changed(Customer, changed, ["tier", "name", "updated_at"])
        stats.customers_updated += len(changed)
    ids = {c.phone: c.pk for c in existing.values()}
    ids.update({c.phone: c.pk for c in new if c.pk})
    if len(ids) < len(merged):
        ids = dict(_rows_in(Customer, "phone", merged.keys(), ("phone", "id"), shop=shop.pk))
    return ids


ORDER_FIELD_SOURCES = (
    ("customer", "phone"), ("receiver_phone", "phone"), ("live_session", "live_session"),
    ("placed_at", "placed_at"), ("paid_at", "paid_at"), ("shipped_at", "shipped_at"),
    ("delivered_at", "signed_at"), ("receiver_name", "receiver_name"), ("address", "address"),
    ("return_insurance", "return_insurance"),
)


_CHAIN_RANK = "(CASE {x} WHEN 'paid' THEN 0 WHEN 'shipped' THEN 1 WHEN 'delivered' THEN 2 WHEN 'completed' THEN 3 END)"


def order_kept(table: str) -> dict[str, str]:
    """What a re-import keeps of an order it already has (SQL per column, for ON CONFLICT … DO UPDATE; the same on
    SQLite and PostgreSQL). Another export of the same orders — an older one, or one whose platform masks phones —
    must not take back what is known: a blank time keeps the known time (an order is not un-paid, un-shipped,
    un-signed: 签收 starts the 7-day window), a masked or blank phone keeps the identifying one and its customer,
    and the status does not move back along 已付款 → 已发货 → 已签收 → 已完成 (已取消 is taken as the file says)."""
    def masked(x: str) -> str:
        return f"(replace({x}, '*', '') <> {x} OR replace({x}, '＊', '') <> {x} OR replace({x}, '转', '') <> {x})"

    kept = {c: f"coalesce(excluded.{c}, {table}.{c})"
            for c in ("placed_at", "paid_at", "shipped_at", "delivered_at", "customer_id")}
    old_phone = f"{table}.receiver_phone"
    kept["receiver_phone"] = (
        f"CASE WHEN excluded.receiver_phone = '' OR ({masked('excluded.receiver_phone')} AND {old_phone} <> '' "
        f"AND NOT {masked(old_phone)}) THEN {old_phone} ELSE excluded.receiver_phone END")
    kept["status"] = (f"CASE WHEN {_CHAIN_RANK.format(x='excluded.status')} < {_CHAIN_RANK.format(x=table + '.status')} "
                      f"THEN {table}.status ELSE excluded.status END")
    return kept


# Plain values: reading a member off a choices class costs a descriptor call each time (twice per order).
_DELIVERED, _SHIPPED, _PAID = OrderStatus.DELIVERED.value, OrderStatus.SHIPPED.value, OrderStatus.PAID.value
_SIGNED, _IN_TRANSIT, _PENDING = ShipmentStatus.SIGNED.value, ShipmentStatus.IN_TRANSIT.value, ShipmentStatus.PENDING.value


def _order_status(vals: dict) -> str:
    if vals.get("status"):
        return vals["status"]
    if vals.get("signed_at"):
        return _DELIVERED
    if vals.get("shipped_at") or vals.get("tracking_no"):
        return _SHIPPED
    return _PAID


def _write_orders(shop: Shop, merged: dict[str, dict], present, customers, sessions, stats) -> dict[str, int]:
    before = dict(_rows_in(Order, "order_no", merged.keys(), ("order_no", "id"), shop=shop.pk))
    rows = []
    stamp = now()
    for order_no, vals in merged.items():
        phone = vals.get("phone", "")
        rows.append({
            "shop_id": shop.pk, "order_no": order_no, "customer_id": customers.get(phone),
            "live_session_id": sessions.get(vals.get("live_session") or ""), "status": _order_status(vals),
            "placed_at": vals.get("placed_at"), "paid_at": vals.get("paid_at"), "shipped_at": vals.get("shipped_at"),
            "delivered_at": vals.get("signed_at"), "receiver_name": vals.get("receiver_name", ""),
            "receiver_phone": phone, "address": vals.get("address", ""),
            "return_insurance": bool(vals.get("return_insurance", False)), "created_at": stamp, "updated_at": stamp,
        })
    update_fields = sorted({attr for attr, col in ORDER_FIELD_SOURCES if col in present})
    if present & {"status", "shipped_at", "signed_at", "tracking_no"}:
        update_fields.append("status")
    fk = {"customer": "customer_id", "live_session": "live_session_id"}
    upsert(Order, rows, conflict=["shop_id", "order_no"],
           update=[*(fk.get(f, f) for f in update_fields), "updated_at"], merge=order_kept(Order._meta.db_table))
    ids = dict(_rows_in(Order, "order_no", merged.keys(), ("order_no", "id"), shop=shop.pk))
    for order_no, pk in ids.items():
        if order_no not in before:
            stats.created_order_ids.add(pk)
            stats.orders_created += 1
        elif pk not in stats.created_order_ids and pk not in stats.updated_order_ids:
            stats.updated_order_ids.add(pk)
            stats.orders_updated += 1
    return ids


def _write_lines(shop: Shop, lines, present, orders, products, skus, stats) -> None:
    by_key = _last_by(lines, lambda ln: (orders[ln.order_no], ln.line_key))
    order_ids = {k[0] for k in by_key}
    before = set(_rows_in(OrderLine, "order", order_ids, ("order", "line_key")))
    rows = []
    stamp = now()
    zero = Decimal("0.00")
    for (order_id, line_key), ln in by_key.items():
        v = ln.values
        product_id, product_category = products[ln.product_name]
        rows.append({
            "shop_id": shop.pk, "order_id": order_id, "line_key": line_key, "product_id": product_id,
            "sku_id": skus.get(v.get("sku_code") or ""), "product_name": ln.product_name, "spec": v.get("spec", ""),
            "category": v.get("category") or product_category, "quantity": v.get("quantity", 1),
            "price_paid": v.get("paid_amount", zero), "batch_no": v.get("batch_no", ""),
            "platform_after_sale_status": v.get("after_sale_status", ""), "created_at": stamp, "updated_at": stamp,
        })
    update_fields = ["product_id", "product_name", "category"]
    for attr, col in (("sku_id", "sku_code"), ("spec", "spec"), ("quantity", "quantity"),
                      ("price_paid", "paid_amount"), ("batch_no", "batch_no"),
                      ("platform_after_sale_status", "after_sale_status")):
        if col in present:
            update_fields.append(attr)
    upsert(OrderLine, rows, conflict=["order_id", "line_key"], update=[*update_fields, "updated_at"])
    created = len(by_key.keys() - before)
    stats.lines_created += created
    stats.lines_updated += len(by_key) - created
    if "paid_amount" in present:
        line_sum = (OrderLine.objects.filter(order=OuterRef("pk")).order_by().values("order")
                    .annotate(s=Sum("price_paid")).values("s"))
        Order.objects.filter(shop=shop, pk__in=order_ids).update(
            total_paid=Coalesce(Subquery(line_sum), Value(Decimal("0.00")),
                                output_field=DecimalField(max_digits=12, decimal_places=2)))


_RANK = {s: i for i, s in enumerate([ShipmentStatus.PENDING, ShipmentStatus.INFO_RECEIVED, ShipmentStatus.PICKED_UP,
                                      ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY,
                                      ShipmentStatus.SIGNED])}


def _parcels(lines: list[ParsedLine]) -> dict[str, dict[str, dict]]:
    """Per order, its parcels as the rows name them: an order shipped in two parcels (部分发货, 拆单发货) has lines
    with different 运单号. Per tracking number, the last non-empty carrier and times of its rows."""
    out: dict[str, dict[str, dict]] = {}
    for ln in lines:
        tracking = ln.values.get("tracking_no")
        if not tracking:
            continue
        slot = out.setdefault(ln.order_no, {}).setdefault(tracking, {})
        for attr in ("carrier", "shipped_at", "signed_at"):
            if ln.values.get(attr):
                slot[attr] = ln.values[attr]
    return out


def _write_shipments(shop: Shop, merged: dict[str, dict], present, orders, stats,
                     parcels: dict[str, dict[str, dict]] | None = None) -> None:
    if not present & {"tracking_no", "promised_ship_by", "shipped_at", "signed_at"}:
        return
    wanted = []
    for order_no, order_values in merged.items():
        # one shipment per parcel of the order (in tracking-number order, as the PostgreSQL writer: the first takes
        # over the order's untracked shipment); else the order's one shipment from its merged values
        own = (parcels or {}).get(order_no)
        for v in ([{**order_values, **own[t], "tracking_no": t} for t in sorted(own)] if own else [order_values]):
            _want(wanted, orders[order_no], v)
    _apply_shipments(shop, wanted, stats)


def _want(wanted: list, order_id: int, v: dict) -> None:
    tracking = v.get("tracking_no", "")
    if not (tracking or v.get("promised_ship_by") or v.get("shipped_at")):
        return
    if v.get("signed_at"):
        status = _SIGNED
    elif tracking or v.get("shipped_at"):
        status = _IN_TRANSIT
    else:
        status = _PENDING
    wanted.append((order_id, v.get("carrier") or ("OTHER" if tracking else ""), tracking, status, v))


def _apply_shipments(shop: Shop, wanted: list, stats) -> None:
    if not wanted:
        return
    trackings = {w[2] for w in wanted if w[2]}
    by_tracking = {(s.carrier, s.tracking_no): s
                   for s in Shipment.objects.filter(shop=shop, tracking_no__in=trackings)} if trackings else {}
    untracked = {s.order_id: s for s in Shipment.objects.filter(
        shop=shop, order_id__in={w[0] for w in wanted}, tracking_no="", is_return=False).order_by("-pk")}
    new, changed = [], {}
    stamp = now()
    for order_id, carrier, tracking, status, v in wanted:
        ship = by_tracking.get((carrier, tracking)) if tracking else None
        if ship is None:
            ship = untracked.pop(order_id, None)
        if ship is None:
            # not a model instance: written by bulk.upsert (a plain namespace costs ~100× less to build)
            ship = SimpleNamespace(pk=None, order_id=order_id, carrier=carrier, tracking_no=tracking, status=status,
                                   promised_ship_by=v.get("promised_ship_by"), shipped_at=v.get("shipped_at"),
                                   signed_at=v.get("signed_at"),
                                   last_event_at=v.get("signed_at") or v.get("shipped_at"))
            new.append(ship)
            if tracking:
                by_tracking[(carrier, tracking)] = ship
            continue
        if ship.pk is None:
            continue  # a second row of the same new shipment
        before = (ship.carrier, ship.tracking_no, ship.status, ship.promised_ship_by, ship.shipped_at, ship.signed_at)
        ship.carrier, ship.tracking_no = carrier or ship.carrier, tracking or ship.tracking_no
        # Tracking sweeps may know more than the export: never move a shipment backwards.
        if _RANK.get(status, 0) > _RANK.get(ship.status, 99) or ship.status == _PENDING:
            ship.status = status
        for attr in ("promised_ship_by", "shipped_at", "signed_at"):
            if v.get(attr):
                setattr(ship, attr, v[attr])
        if before != (ship.carrier, ship.tracking_no, ship.status, ship.promised_ship_by, ship.shipped_at,
                      ship.signed_at):
            ship.updated_at = stamp
            changed[ship.pk] = ship
    if new:
        upsert(Shipment, [{"shop_id": shop.pk, "order_id": x.order_id, "carrier": x.carrier, "tracking_no": x.tracking_no,
                           "status": x.status, "promised_ship_by": x.promised_ship_by, "shipped_at": x.shipped_at,
                           "signed_at": x.signed_at, "last_event_at": x.last_event_at, "created_at": stamp,
                           "updated_at": stamp} for x in new])
        stats.shipments_created += len(new)
    if changed:
        _save_changed(Shipment, list(changed.values()), ["carrier", "tracking_no", "status", "promised_ship_by",
                                                         "shipped_at", "signed_at", "updated_at"])
        stats.shipments_updated += len(changed)


def _link_session_products(lines, sessions, products) -> None:
    pairs = {(sessions[ln.values["live_session"]], products[ln.product_name][0])
             for ln in lines if ln.values.get("live_session") in sessions}
    if pairs:
        through = LiveSession.products.through
        through.objects.bulk_create([through(livesession_id=s, product_id=p) for s, p in sorted(pairs)],
                                    ignore_conflicts=True, batch_size=BATCH)


def _totals_update(order_totals: dict[int, Decimal]) -> None:
    """Set Order.total_paid from the export's order amount: one UPDATE … FROM (VALUES …) per 500 orders."""
    from django.db import connection

    table = Order._meta.db_table
    pg = connection.vendor == "postgresql"
    row_sql = "(%s::bigint, %s::numeric)" if pg else "(%s, %s)"
    items = list(order_totals.items())
    for lo in range(0, len(items), 500):
        chunk = items[lo:lo + 500]
        params = [x for pk, total in chunk for x in (pk, str(total))]
        sql = (f"WITH v(id, total) AS (VALUES {', '.join([row_sql] * len(chunk))}) "  # noqa: S608
               f"UPDATE {table} SET total_paid = v.total FROM v WHERE {table}.id = v.id")
        with connection.cursor() as cur:
            cur.execute(sql, params)


def effective_present(present: set[str]) -> set[str]:
    """The fields a file gives once parsing has derived some: line amounts settled from 订单应付金额 or unit
    prices, the address joined from 省/市/区/街道."""
    out = set(present)
    if "paid_amount" not in out and out & {"order_amount", "unit_price"}:
        out.add("paid_amount")
    if out & set(ADDRESS_PARTS):
        out.add("address")
    return out


def write_chunk(*, shop: Shop, lines: list[ParsedLine], present: set[str], stats: WriteStats) -> None:
    totals, _derived = settle_amounts(lines, present)
    present = effective_present(present)
    hosts = _write_hosts(shop, lines, present, stats)
    sessions = _write_sessions(shop, lines, present, hosts, stats)
    products = _write_products(shop, lines, present, stats)
    skus = _write_skus(shop, lines, present, products, stats)
    customers = _write_customers(shop, lines, present, stats)
    by_order = _merged(lines, lambda ln: ln.order_no)  # orders and shipments read the same merge
    orders = _write_orders(shop, by_order, present, customers, sessions, stats)
    _write_lines(shop, lines, present, orders, products, skus, stats)
    if totals:
        _totals_update({orders[no]: total for no, total in totals.items()})
    _write_shipments(shop, by_order, present, orders, stats, _parcels(lines))
    _link_session_products(lines, sessions, products)
