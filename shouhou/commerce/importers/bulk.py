"""Set-based writes without model instances (the import's hot path).

PostgreSQL: the typed rows are COPYed into a temporary staging table (dropped at commit), then one
`INSERT … SELECT … ON CONFLICT (…) DO UPDATE` moves them into the real table. SQLite: the same upsert
with `executemany` (one prepared statement, C-level binding) inside the import's transaction.
Rows are dicts of column -> value; missing columns get the field's default. Django's per-value
`get_db_prep_save` is skipped: values are already typed by the parser.
"""

from __future__ import annotations

import enum
import json
import zlib
from collections.abc import Callable, Iterable
from datetime import UTC
from functools import lru_cache

from django.db import connection, models

_PLANS: dict[tuple, tuple] = {}


@lru_cache(maxsize=1 << 16)
def _sqlite_datetime_text(value) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return str(value)


def _sqlite_datetime(value):
    """Django's SQLite storage of an aware datetime: naive UTC text (as adapt_datetimefield_value). Cached:
    an export repeats its times on every line of an order and across columns (a second of the import per
    100,000 rows). Equal datetimes are the same instant, so they have the same text."""
    return None if value is None else _sqlite_datetime_text(value)


def _adapter(field: models.Field) -> Callable | None:
    if isinstance(field, models.JSONField):
        return lambda v: None if v is None else json.dumps(v)
    if field.choices:
        return lambda v: v.value if isinstance(v, enum.Enum) else v
    if connection.vendor == "sqlite":
        if isinstance(field, models.DateTimeField):
            return _sqlite_datetime
        if isinstance(field, models.DecimalField):
            return lambda v: None if v is None else str(v)
    return None


def _plan(model) -> tuple[list[str], list, list[Callable | None]]:
    key = (model, connection.vendor)
    if key not in _PLANS:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        defaults = []
        for f in fields:
            value = f.get_default()
            defaults.append(value.value if isinstance(value, enum.Enum) else value)
        _PLANS[key] = ([f.column for f in fields], defaults, [_adapter(f) for f in fields])
    return _PLANS[key]


def _tuples(model, rows: Iterable[dict]) -> tuple[list[str], list[tuple]]:
    columns, defaults, adapters = _plan(model)
    idx = {c: i for i, c in enumerate(columns)}
    active = [(i, a) for i, a in enumerate(adapters) if a is not None]
    out = []
    for row in rows:
        values = list(defaults)
        for col, value in row.items():
            values[idx[col]] = value
        for i, adapt in active:
            values[i] = adapt(values[i])
        out.append(tuple(values))
    return columns, out


def upsert(model, rows: list[dict], *, conflict: list[str] | None = None, update: Iterable[str] = (),
           ignore: bool = False, merge: dict[str, str] | None = None) -> None:
    """Insert `rows`; on a conflict on `conflict` columns update `update` (or do nothing with `ignore`). `merge`
    gives a column's new value as an SQL expression of `excluded.<column>` and the table's own (old) column."""
    if not rows:
        return
    columns, values = _tuples(model, rows)
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    update = list(update)
    if conflict and update:
        merge = merge or {}
        sets = ", ".join(f"{connection.ops.quote_name(c)} = "
                         f"{merge.get(c) or 'excluded.' + connection.ops.quote_name(c)}" for c in update)
        tail = f" ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET {sets}"
    elif conflict or ignore:
        tail = f" ON CONFLICT ({', '.join(conflict)}) DO NOTHING" if conflict else " ON CONFLICT DO NOTHING"
    else:
        tail = ""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            staging = f"import_stage_{model._meta.db_table}_{zlib.crc32(cols.encode()):08x}"
            cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DROP AS "  # noqa: S608
                        f"SELECT {cols} FROM {table} WITH NO DATA")
            cur.execute(f"TRUNCATE {staging}")
            with cur.cursor.copy(f"COPY {staging} ({cols}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
            # WHERE true: a SELECT feeding ON CONFLICT needs no ordering; it keeps the parser unambiguous.
            cur.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {staging} WHERE true{tail}")  # noqa: S608
        else:
            marks = ", ".join(["%s"] * len(columns))
            # WHERE true is SQLite's documented way to disambiguate ON CONFLICT after a SELECT; VALUES needs none.
            cur.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks}){tail}", values)  # noqa: S608
