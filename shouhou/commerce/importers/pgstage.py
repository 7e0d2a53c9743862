"""PostgreSQL bulk path: the parsed rows are COPYed (typed) into one temporary staging table while the file
is read, then a fixed handful of set-based statements (INSERT … SELECT … ON CONFLICT, UPDATE … FROM) write
hosts, live sessions, products, SKUs, customers, orders, lines and shipments — the same rules as
writer.py (which SQLite uses), expressed per key instead of per row:

- an order (customer, session, product) takes each column's last non-empty value in file order;
- a line or a SKU is its key's last row; only the columns the file has are updated on a re-import;
- a blank 会员等级 never downgrades a customer; a customer's name is only filled in when empty;
- a shipment is found by (carrier, tracking number), else the order's untracked shipment; its status
  only moves forward (pending → … → signed) and tracking-sweep statuses are never overwritten.

Everything runs in the caller's transaction; the staging table is dropped at commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import connection

from shouhou.commerce.importers.parse import ParsedLine
from shouhou.commerce.importers.writer import WriteStats, order_kept

STAGE = "import_stage_lines"
# (column, SQL type, source field in ParsedLine.values)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("order_no", "text", ""), ("line_key", "text", ""), ("product_name", "text", ""),
    ("product_id", "text", "product_id"), ("spec", "text", "spec"), ("sku_code", "text", "sku_code"),
    ("quantity", "integer", "quantity"), ("paid_amount", "numeric(12,2)", "paid_amount"),
    ("placed_at", "timestamptz", "placed_at"), ("paid_at", "timestamptz", "paid_at"),
    ("shipped_at", "timestamptz", "shipped_at"), ("signed_at", "timestamptz", "signed_at"),
    ("promised_ship_by", "timestamptz", "promised_ship_by"), ("status", "text", "status"),
    ("receiver_name", "text", "receiver_name"), ("phone", "text", "phone"), ("address", "text", "address"),
    ("carrier", "text", "carrier"), ("tracking_no", "text", "tracking_no"), ("live_session", "text", "live_session"),
    ("host", "text", "host"), ("category", "text", "category"), ("batch_no", "text", "batch_no"),
    ("tier", "text", "tier"), ("return_insurance", "boolean", "return_insurance"),
    ("after_sale_status", "text", "after_sale_status"), ("order_total", "numeric(12,2)", ""),
)
TEMP_TABLES = ("import_stage_sessions", "import_stage_session_ids", "import_stage_customers", "import_stage_orders",
               "import_stage_order_ids", "import_stage_ships")
COPY_SLICE = 500  # rows per piece of COPY text
WRITE_LOCK = 0x5348_4F50  # the advisory lock's first key ("SHOP"); the second is the shop's id


class Stage:
    """Open with `Stage()` inside the import's transaction, `add()` each batch, then `write()`."""

    def __init__(self):
        self.seq = 0
        with connection.cursor() as cur:
            cols = ", ".join(f"{c} {t}" for c, t, _ in COLUMNS)
            # leftovers of an earlier import in the same (uncommitted) transaction
            cur.execute(f"DROP TABLE IF EXISTS {STAGE}, {', '.join(TEMP_TABLES)}")
            cur.execute(f"CREATE TEMP TABLE {STAGE} (seq integer, {cols}) ON COMMIT DROP")

    def add(self, lines: list[ParsedLine], totals: dict[str, Decimal]) -> None:
        """COPY the batch as text built a column at a time (C-level joins; no per-value dumper calls), in slices
        of COPY_SLICE rows so the text in memory stays small."""
        cols = "seq, " + ", ".join(c for c, _t, _s in COLUMNS)
        with connection.cursor() as cur, cur.cursor.copy(f"COPY {STAGE} ({cols}) FROM STDIN") as copy:
            for start in range(0, len(lines), COPY_SLICE):
                copy.write(self._text(lines[start:start + COPY_SLICE], totals).encode())

    def _text(self, lines: list[ParsedLine], totals: dict[str, Decimal]) -> str:
        seq = self.seq
        self.seq = seq + len(lines)
        return copy_text(lines, totals, [str(n) for n in range(seq + 1, seq + len(lines) + 1)])

    def write(self, *, shop, present: set[str], stats: WriteStats, stamp) -> None:
        with connection.cursor() as cur:
            # One writer per shop at a time (an import and another import, or a platform sync), until this
            # transaction ends: each statement below reads what is committed and inserts what it did not find, and
            # two writers at once made two live sessions of one title and failed on the shipment a concurrent
            # import had inserted (a unique violation: "意外错误", nothing written).
            cur.execute("SELECT pg_advisory_xact_lock(%s, %s)", [WRITE_LOCK, shop.pk])
            # The per-key aggregates sort the staged rows: in memory, not in temporary files (this
            # transaction only; the server's default work_mem of 4 MB spills at ~20,000 rows).
            cur.execute("SET LOCAL work_mem = '128MB'")
            # The import's COMMIT does not wait for its WAL to reach the disk: a crash in that moment loses the
            # import, never half of it, and the job is only marked done by a later, synchronous commit (which
            # flushes this one's WAL first), so a job never says "done" for an import that was lost.
            cur.execute("SET LOCAL synchronous_commit = off")
            cur.execute(f"ANALYZE {STAGE} (order_no, line_key, product_name, phone, tracking_no)")
            _write(cur, shop.pk, present, stats, stamp)


# New shipments in one import from which their table's statistics are taken again at once (see _write_shipments).
ANALYZE_AFTER_ROWS = 5_000

def copy_lines_at_rows(lines: list[ParsedLine]) -> None:
    """COPY parsed lines into the staging table with their file row as `seq` (the fast path of importers/pgparse.py
    stages the server-parsed rows under their row numbers too, so file order is kept across both)."""
    if not lines:
        return
    cols = "seq, " + ", ".join(c for c, _t, _s in COLUMNS)
    with connection.cursor() as cur, cur.cursor.copy(f"COPY {STAGE} ({cols}) FROM STDIN") as copy:
        for start in range(0, len(lines), COPY_SLICE):
            part = lines[start:start + COPY_SLICE]
            copy.write(copy_text(part, {}, [str(ln.row_no) for ln in part]).encode())


def copy_text(lines: list[ParsedLine], totals: dict[str, Decimal], seqs: list[str]) -> str:
    """The lines as COPY text, built a column at a time (C-level joins; no per-value dumper calls)."""
    columns = [
        seqs,
        _copy_text([ln.order_no for ln in lines]),
        _copy_text([ln.line_key for ln in lines]),
        _copy_text([ln.product_name for ln in lines]),
    ]
    for (_c, sql_type, src) in COLUMNS[3:-1]:
        values = [ln.values.get(src) for ln in lines]
        columns.append(_copy_text(values) if sql_type == "text" else _copy_other(values))
    columns.append(_copy_other([totals.get(ln.order_no) for ln in lines]))
    return "\n".join(map("\t".join, zip(*columns, strict=True))) + "\n"


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(values: list) -> list[str]:
    """Text cells in COPY's text format: NULL as \\N, backslash and control characters escaped (checked once
    for the whole column: export cells almost never hold them)."""
    joined = "".join(filter(None, values))
    if "\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined:
        return ["\\N" if v is None else v.translate(_ESCAPES) for v in values]
    return ["\\N" if v is None else v for v in values]


def _copy_other(values: list) -> list[str]:
    """Numbers, times (aware, so their offset travels) and booleans as their text; PostgreSQL parses them."""
    return ["\\N" if v is None else str(v) for v in values]


def _nonempty(col: str) -> str:
    return f"{col} IS NOT NULL{'' if col.endswith(('_at', '_by', 'amount', 'insurance', 'total')) else f' AND {col} <> $e$$e$'}"


def _last(col: str) -> str:
    """The column's last non-empty value in file order, per group."""
    return f"(array_agg({col} ORDER BY seq DESC) FILTER (WHERE {_nonempty(col)}))[1]"


def _last_in_window(col: str) -> str:
    """The same as _last, over the window `w` (the order's rows, last first, whole partition as frame): one sort
    of the staged rows serves every column, where each `array_agg(… ORDER BY …)` sorted its group again (about
    40 % less time for the orders' eleven columns at 100,000 rows)."""
    return f"(array_agg({col}) FILTER (WHERE {_nonempty(col)}) OVER w)[1]"


ORDER_WINDOW = "WINDOW w AS (PARTITION BY order_no ORDER BY seq DESC ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)"


def _changed(table: str, columns: list[str], kept: dict[str, str] | None = None) -> str:
    """SET the columns from the incoming row only when one of them differs: an unchanged row is not
    rewritten, so a re-import of the same file writes nothing. `kept`: a column's value as an expression of the
    old and the incoming one (writer.order_kept)."""
    kept = kept or {}
    new = {c: kept.get(c) or f"excluded.{c}" for c in columns}
    sets = ", ".join(f"{c} = {new[c]}" for c in columns) + ", updated_at = excluded.updated_at"
    old = ", ".join(f"{table}.{c}" for c in columns)
    return f"{sets} WHERE ({old}) IS DISTINCT FROM ({', '.join(new.values())})"


def _count(cur, sql: str, params: Iterable) -> int:
    cur.execute(f"WITH w AS ({sql} RETURNING 1) SELECT count(*) FROM w", list(params))  # noqa: S608
    return cur.fetchone()[0]


RANK = ("CASE {x} WHEN 'pending' THEN 0 WHEN 'info_received' THEN 1 WHEN 'picked_up' THEN 2 "
        "WHEN 'in_transit' THEN 3 WHEN 'out_for_delivery' THEN 4 WHEN 'signed' THEN 5 ELSE {other} END")


def _write(cur, shop_id: int, present: set[str], stats: WriteStats, stamp) -> None:  # noqa: PLR0915
    s = STAGE
    # --- hosts
    if "host" in present:
        stats.hosts_created += _count(cur, (
            f"INSERT INTO commerce_host (shop_id, name, created_at, updated_at) "  # noqa: S608
            f"SELECT DISTINCT %s, host, %s, %s FROM {s} WHERE host <> '' ON CONFLICT (shop_id, name) DO NOTHING"),
            [shop_id, stamp, stamp])
    # --- live sessions (no unique key: the oldest row of a title wins, as in writer.py)
    if "live_session" in present:
        cur.execute(f"""
            CREATE TEMP TABLE import_stage_sessions ON COMMIT DROP AS
            SELECT live_session AS title,
                   min(coalesce(placed_at, paid_at)) AS start, max(coalesce(placed_at, paid_at)) AS stop,
                   (array_agg(h.id ORDER BY st.seq DESC) FILTER (WHERE h.id IS NOT NULL))[1] AS host_id
            FROM {s} st LEFT JOIN commerce_host h ON h.shop_id = %s AND h.name = st.host
            WHERE live_session <> '' GROUP BY live_session""", [shop_id])  # noqa: S608
        stats.live_sessions_created += _count(cur, (
            "INSERT INTO commerce_livesession (shop_id, title, host_id, started_at, ended_at, created_at, updated_at) "
            "SELECT %s, x.title, x.host_id, coalesce(x.start, %s), x.stop, %s, %s FROM import_stage_sessions x "
            "WHERE NOT EXISTS (SELECT 1 FROM commerce_livesession l WHERE l.shop_id = %s AND l.title = x.title)"),
            [shop_id, stamp, stamp, stamp, shop_id])
        cur.execute("""
            UPDATE commerce_livesession l SET
                started_at = CASE WHEN x.start < l.started_at THEN x.start ELSE l.started_at END,
                ended_at = CASE WHEN x.stop IS NOT NULL AND (l.ended_at IS NULL OR x.stop > l.ended_at)
                                THEN x.stop ELSE l.ended_at END,
                host_id = coalesce(l.host_id, x.host_id), updated_at = %s
            FROM import_stage_sessions x,
                 (SELECT title, min(id) AS id FROM commerce_livesession WHERE shop_id = %s GROUP BY title) first
            WHERE first.title = x.title AND l.id = first.id
              AND (x.start < l.started_at OR (x.stop IS NOT NULL AND (l.ended_at IS NULL OR x.stop > l.ended_at))
                   OR (l.host_id IS NULL AND x.host_id IS NOT NULL))""", [stamp, shop_id])
        cur.execute("""CREATE TEMP TABLE import_stage_session_ids ON COMMIT DROP AS
                       SELECT title, min(id) AS id FROM commerce_livesession
                       WHERE shop_id = %s AND title IN (SELECT title FROM import_stage_sessions) GROUP BY title""",
                    [shop_id])
    # --- products
    updates = [c for c, src in (("external_id", "product_id"), ("category", "category")) if src in present]
    on_conflict = (f"DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in updates)}, updated_at = excluded.updated_at"
                   if updates else "DO NOTHING")
    cur.execute(f"""
        WITH p AS (SELECT product_name, coalesce({_last('product_id')}, '') AS external_id,
                          coalesce({_last('category')}, 'other') AS category
                   FROM {s} GROUP BY product_name)
        INSERT INTO commerce_product (shop_id, name, external_id, category, warranty_days, created_at, updated_at)
        SELECT %s, product_name, external_id, category, 0, %s, %s FROM p
        ON CONFLICT (shop_id, name) {on_conflict} RETURNING (xmax = 0)""", [shop_id, stamp, stamp])  # noqa: S608
    stats.products_created += sum(1 for (inserted,) in cur.fetchall() if inserted)
    # --- SKUs: the code's last row
    if "sku_code" in present:
        cur.execute(f"""
            WITH k AS (SELECT DISTINCT ON (sku_code) sku_code, product_name, coalesce(spec, '') AS spec,
                              round(coalesce(paid_amount, 0) / greatest(coalesce(quantity, 1), 1), 2) AS price
                       FROM {s} WHERE sku_code <> '' ORDER BY sku_code, seq DESC)
            INSERT INTO commerce_sku (shop_id, code, product_id, spec, price, created_at, updated_at)
            SELECT %s, k.sku_code, p.id, k.spec, k.price, %s, %s
            FROM k JOIN commerce_product p ON p.shop_id = %s AND p.name = k.product_name
            ON CONFLICT (shop_id, code) DO UPDATE SET product_id = excluded.product_id, spec = excluded.spec,
                                                    updated_at = excluded.updated_at
            RETURNING (xmax = 0)""", [shop_id, stamp, stamp, shop_id])  # noqa: S608
        stats.skus_created += sum(1 for (inserted,) in cur.fetchall() if inserted)
    # --- customers (identifying phones only: masked 138****5678 identify nobody)
    if "phone" in present:
        tier = _last("tier") if "tier" in present else "NULL::text"
        cur.execute(f"""
            CREATE TEMP TABLE import_stage_customers ON COMMIT DROP AS
            SELECT phone, coalesce({_last('receiver_name')}, '') AS name, {tier} AS tier FROM {s}
            WHERE phone <> '' AND strpos(phone, '*') = 0 AND strpos(phone, '＊') = 0 AND strpos(phone, '转') = 0
            GROUP BY phone""")  # noqa: S608
        stats.customers_updated += _count(cur, """
            UPDATE commerce_customer c SET
                tier = CASE WHEN x.tier <> '' THEN x.tier ELSE c.tier END,
                name = CASE WHEN c.name = '' AND x.name <> '' THEN x.name ELSE c.name END, updated_at = %s
            FROM import_stage_customers x WHERE c.shop_id = %s AND c.phone = x.phone
              AND ((x.tier <> '' AND x.tier <> c.tier) OR (c.name = '' AND x.name <> ''))""", [stamp, shop_id])
        stats.customers_created += _count(cur, """
            INSERT INTO commerce_customer (shop_id, phone, phone_last4, name, tier, wechat_id, email, contact_consent,
                                           points, created_at, updated_at)
            SELECT %s, phone, right(phone, 4), name, coalesce(nullif(tier, ''), 'regular'), '', '', true, 0, %s, %s
            FROM import_stage_customers
            ON CONFLICT (shop_id, phone) WHERE NOT (phone = '') DO NOTHING""", [shop_id, stamp, stamp])
    # --- orders
    # (carrier and promised_ship_by for the shipments, which read this table instead of grouping the rows again)
    fields = ("placed_at", "paid_at", "shipped_at", "signed_at", "receiver_name", "phone", "address", "status",
              "tracking_no", "live_session", "return_insurance", "carrier", "promised_ship_by", "order_total")
    merged = ", ".join(f"{_last_in_window(col)} AS {col}" for col in fields)
    # A new order's total is known from the file alone (its lines' last rows, or 订单应付金额): written with
    # the INSERT, so a fresh import needs no second pass over the orders.
    cur.execute(f"""
        CREATE TEMP TABLE import_stage_orders ON COMMIT DROP AS
        WITH lt AS (SELECT order_no, sum(paid_amount) AS total FROM (
                        SELECT DISTINCT ON (order_no, line_key) order_no, paid_amount FROM {s}
                        ORDER BY order_no, line_key, seq DESC) last_rows GROUP BY order_no),
             m AS (SELECT DISTINCT ON (order_no) order_no, {merged} FROM {s}
                   {ORDER_WINDOW} ORDER BY order_no, seq DESC)
        SELECT m.*, coalesce(m.order_total, lt.total, 0) AS total
        FROM m LEFT JOIN lt ON lt.order_no = m.order_no""")  # noqa: S608
    sources = (("customer_id", "phone"), ("receiver_phone", "phone"), ("live_session_id", "live_session"),
               ("placed_at", "placed_at"), ("paid_at", "paid_at"), ("shipped_at", "shipped_at"),
               ("delivered_at", "signed_at"), ("receiver_name", "receiver_name"), ("address", "address"),
               ("return_insurance", "return_insurance"))
    sets = sorted({col for col, src in sources if src in present})
    if present & {"status", "shipped_at", "signed_at", "tracking_no"}:
        sets.append("status")
    # a file with no order column beyond the order number (订单编号, 商品名称, 数量, 实付款) updates nothing of a known
    # order here (its total is set from the lines below); an empty SET was a syntax error: 「意外错误」, nothing written
    on_conflict = (f"DO UPDATE SET {_changed('commerce_order', sets, order_kept('commerce_order'))}" if sets
                   else "DO NOTHING")
    session_join = ("LEFT JOIN import_stage_session_ids ls ON ls.title = o.live_session"
                    if "live_session" in present else "")
    # The orders' ids land in a temporary table straight from the upsert's RETURNING (created or updated), then
    # the file's unchanged orders, which the upsert skips, are added from the table: no ids through Python.
    cur.execute("CREATE TEMP TABLE import_stage_order_ids (order_no text, id bigint, created boolean) ON COMMIT DROP")
    cur.execute(f"""
        WITH upserted AS (
        INSERT INTO commerce_order (shop_id, order_no, customer_id, live_session_id, status, placed_at, paid_at,
            shipped_at, delivered_at, total_paid, receiver_name, receiver_phone, address, return_insurance,
            created_at, updated_at)
        SELECT %s, o.order_no, c.id, {'ls.id' if session_join else 'NULL'},
               CASE WHEN coalesce(o.status, '') <> '' THEN o.status WHEN o.signed_at IS NOT NULL THEN 'delivered'
                    WHEN o.shipped_at IS NOT NULL OR coalesce(o.tracking_no, '') <> '' THEN 'shipped' ELSE 'paid' END,
               o.placed_at, o.paid_at, o.shipped_at, o.signed_at, o.total, coalesce(o.receiver_name, ''),
               coalesce(o.phone, ''), coalesce(o.address, ''), coalesce(o.return_insurance, false), %s, %s
        FROM import_stage_orders o
        LEFT JOIN commerce_customer c ON c.shop_id = %s AND c.phone = o.phone AND o.phone <> ''
        {session_join}
        ON CONFLICT (shop_id, order_no) {on_conflict}
        RETURNING order_no, id, (xmax = 0) AS created)
        INSERT INTO import_stage_order_ids SELECT order_no, id, created FROM upserted""",  # noqa: S608
                [shop_id, stamp, stamp, shop_id])
    cur.execute("INSERT INTO import_stage_order_ids SELECT o.order_no, o.id, false FROM import_stage_orders s "
                "JOIN commerce_order o ON o.shop_id = %s AND o.order_no = s.order_no "
                "WHERE NOT EXISTS (SELECT 1 FROM import_stage_order_ids x WHERE x.order_no = s.order_no)", [shop_id])
    cur.execute("CREATE INDEX ON import_stage_order_ids (order_no)")
    cur.execute("ANALYZE import_stage_order_ids")
    cur.execute("SELECT id, created FROM import_stage_order_ids")
    for order_id, created in cur.fetchall():  # an order of the file that existed counts as updated
        if created:
            stats.created_order_ids.add(order_id)
            stats.orders_created += 1
        else:
            stats.updated_order_ids.add(order_id)
            stats.orders_updated += 1
    # --- lines: each (order, line key)'s last row
    line_sets = ["product_id", "product_name", "category"]
    for col, src in (("sku_id", "sku_code"), ("spec", "spec"), ("quantity", "quantity"), ("price_paid", "paid_amount"),
                     ("batch_no", "batch_no"), ("platform_after_sale_status", "after_sale_status")):
        if src in present:
            line_sets.append(col)
    sku_join = ("LEFT JOIN commerce_sku k ON k.shop_id = %(shop)s AND k.code = l.sku_code AND l.sku_code <> ''"
                if "sku_code" in present else "")
    cur.execute(f"""
        WITH l AS (SELECT DISTINCT ON (order_no, line_key) * FROM {s} ORDER BY order_no, line_key, seq DESC)
        INSERT INTO commerce_orderline (shop_id, order_id, line_key, product_id, sku_id, product_name, spec, category,
            quantity, price_paid, batch_no, platform_after_sale_status, created_at, updated_at)
        SELECT %(shop)s, oi.id, l.line_key, p.id, {'k.id' if sku_join else 'NULL'}, l.product_name,
               coalesce(l.spec, ''), coalesce(nullif(l.category, ''), p.category), coalesce(l.quantity, 1),
               coalesce(l.paid_amount, 0), coalesce(l.batch_no, ''), coalesce(l.after_sale_status, ''),
               %(stamp)s, %(stamp)s
        FROM l JOIN import_stage_order_ids oi ON oi.order_no = l.order_no
        JOIN commerce_product p ON p.shop_id = %(shop)s AND p.name = l.product_name
        {sku_join}
        ON CONFLICT (order_id, line_key) DO UPDATE SET {_changed("commerce_orderline", line_sets)}
        RETURNING (xmax = 0)""", {"shop": shop_id, "stamp": stamp})  # noqa: S608
    created_lines = sum(1 for (inserted,) in cur.fetchall() if inserted)
    cur.execute(f"SELECT count(*) FROM (SELECT DISTINCT order_no, line_key FROM {s}) k")  # noqa: S608
    stats.lines_created += created_lines
    stats.lines_updated += cur.fetchone()[0] - created_lines
    if "paid_amount" in present:
        cur.execute("""
            UPDATE commerce_order o SET total_paid = t.total
            FROM (SELECT l.order_id, sum(l.price_paid) AS total FROM commerce_orderline l
                  JOIN import_stage_order_ids oi ON oi.id = l.order_id AND NOT oi.created GROUP BY l.order_id) t
            WHERE o.id = t.order_id AND o.total_paid IS DISTINCT FROM t.total""")
    if "order_amount" in present:
        cur.execute(f"""
            UPDATE commerce_order o SET total_paid = t.total
            FROM (SELECT DISTINCT ON (order_no) order_no, order_total AS total FROM {s}
                  WHERE order_total IS NOT NULL ORDER BY order_no, seq DESC) t
            JOIN import_stage_order_ids oi ON oi.order_no = t.order_no AND NOT oi.created
            WHERE o.id = oi.id AND o.total_paid IS DISTINCT FROM t.total""")  # noqa: S608
    _write_shipments(cur, shop_id, present, stats, stamp)
    if "live_session" in present:
        cur.execute(f"""
            INSERT INTO commerce_livesession_products (livesession_id, product_id)
            SELECT DISTINCT si.id, p.id FROM {s} st
            JOIN import_stage_session_ids si ON si.title = st.live_session
            JOIN commerce_product p ON p.shop_id = %s AND p.name = st.product_name
            ON CONFLICT DO NOTHING""", [shop_id])  # noqa: S608


def _write_shipments(cur, shop_id: int, present: set[str], stats: WriteStats, stamp) -> None:
    if not present & {"tracking_no", "promised_ship_by", "shipped_at", "signed_at"}:
        return
    # the order's merged values, computed once for the orders (import_stage_orders); an order shipped in several
    # parcels (rows with different 运单号) has one shipment per parcel, with its rows' last carrier and times
    cur.execute(f"""
        CREATE TEMP TABLE import_stage_ships ON COMMIT DROP AS
        WITH p AS (SELECT order_no, tracking_no AS tracking, {_last('carrier')} AS carrier,
                          {_last('shipped_at')} AS shipped, {_last('signed_at')} AS signed
                   FROM {STAGE} WHERE tracking_no <> '' GROUP BY order_no, tracking_no),
             m AS (SELECT o.order_no, coalesce(p.carrier, o.carrier) AS carrier,
                          coalesce(p.tracking, o.tracking_no, '') AS tracking, o.promised_ship_by AS promised,
                          coalesce(p.shipped, o.shipped_at) AS shipped, coalesce(p.signed, o.signed_at) AS signed
                   FROM import_stage_orders o LEFT JOIN p ON p.order_no = o.order_no)
        SELECT oi.id AS order_id, coalesce(m.carrier, CASE WHEN m.tracking <> '' THEN 'OTHER' ELSE '' END) AS carrier,
               m.tracking, m.promised, m.shipped, m.signed,
               CASE WHEN m.signed IS NOT NULL THEN 'signed'
                    WHEN m.tracking <> '' OR m.shipped IS NOT NULL THEN 'in_transit' ELSE 'pending' END AS status,
               NULL::bigint AS ship_id
        FROM m JOIN import_stage_order_ids oi ON oi.order_no = m.order_no
        WHERE m.tracking <> '' OR m.promised IS NOT NULL OR m.shipped IS NOT NULL""")  # noqa: S608
    cur.execute("ANALYZE import_stage_ships")
    # an existing shipment: by (carrier, tracking number) — unique per shop —, else the order's untracked outbound
    # shipment, taken by the order's first parcel still unmatched (its lowest tracking number, as writer.py)
    cur.execute("""
        UPDATE import_stage_ships w SET ship_id = sh.id FROM commerce_shipment sh
        WHERE sh.shop_id = %s AND sh.carrier = w.carrier AND sh.tracking_no = w.tracking AND w.tracking <> ''
          AND NOT (sh.tracking_no = '')""", [shop_id])
    cur.execute("""
        UPDATE import_stage_ships w SET ship_id = x.id FROM (
            SELECT DISTINCT ON (w2.order_id) w2.order_id, w2.tracking, x2.id FROM import_stage_ships w2
            JOIN (SELECT sh.order_id, min(sh.id) AS id FROM commerce_shipment sh
                  WHERE sh.shop_id = %s AND sh.tracking_no = '' AND NOT sh.is_return
                    AND sh.order_id IN (SELECT order_id FROM import_stage_ships WHERE ship_id IS NULL)
                  GROUP BY sh.order_id) x2 ON x2.order_id = w2.order_id
            WHERE w2.ship_id IS NULL ORDER BY w2.order_id, w2.tracking) x
        WHERE w.ship_id IS NULL AND w.order_id = x.order_id AND w.tracking = x.tracking""", [shop_id])
    created_before = stats.shipments_created
    stats.shipments_created += _count(cur, """
        INSERT INTO commerce_shipment (shop_id, order_id, carrier, tracking_no, status, promised_ship_by, shipped_at,
                                       signed_at, last_event_at, is_return, created_at, updated_at)
        SELECT DISTINCT ON (CASE WHEN tracking <> '' THEN carrier || '|' || tracking ELSE order_id::text END)
               %s, order_id, carrier, tracking, status, promised, shipped, signed, coalesce(signed, shipped), false,
               %s, %s
        FROM import_stage_ships WHERE ship_id IS NULL
        ORDER BY CASE WHEN tracking <> '' THEN carrier || '|' || tracking ELSE order_id::text END, order_id""",
        [shop_id, stamp, stamp])
    if stats.shipments_created - created_before >= ANALYZE_AFTER_ROWS:
        # Many new shipments: their statistics now, in this transaction (ANALYZE counts its own inserts). With the
        # counts of a near-empty table (autovacuum has not run yet) the next import's "untracked shipment of the
        # order" lookup above was planned as a nested loop over every pair: a re-import of 100,000 rows right after
        # the first took 9 s instead of 4 (docs/benchmarks/imports.md, 2026-12-07). Not the table's owner: a warning.
        cur.execute("ANALYZE commerce_shipment")
    new_rank, old_rank = RANK.format(x="w.status", other="0"), RANK.format(x="sh.status", other="99")
    stats.shipments_updated += _count(cur, f"""
        UPDATE commerce_shipment sh SET
            carrier = coalesce(nullif(w.carrier, ''), sh.carrier),
            tracking_no = coalesce(nullif(w.tracking, ''), sh.tracking_no),
            status = CASE WHEN {new_rank} > {old_rank} OR sh.status = 'pending' THEN w.status ELSE sh.status END,
            promised_ship_by = coalesce(w.promised, sh.promised_ship_by),
            shipped_at = coalesce(w.shipped, sh.shipped_at), signed_at = coalesce(w.signed, sh.signed_at),
            updated_at = %s
        FROM import_stage_ships w
        WHERE sh.id = w.ship_id AND (
            coalesce(nullif(w.carrier, ''), sh.carrier) IS DISTINCT FROM sh.carrier
            OR coalesce(nullif(w.tracking, ''), sh.tracking_no) IS DISTINCT FROM sh.tracking_no
            OR ((({new_rank} > {old_rank}) OR sh.status = 'pending') AND w.status IS DISTINCT FROM sh.status)
            OR coalesce(w.promised, sh.promised_ship_by) IS DISTINCT FROM sh.promised_ship_by
            OR coalesce(w.shipped, sh.shipped_at) IS DISTINCT FROM sh.shipped_at
            OR coalesce(w.signed, sh.signed_at) IS DISTINCT FROM sh.signed_at)""", [stamp])  # noqa: S608
