"""An import that creates many shipments refreshes their table's statistics in its own transaction (PostgreSQL): with
the counts of a near-empty table, a re-import right after the first planned its "untracked shipment of the order"
lookup as a nested loop over every pair and took 9 s instead of 4 for 100,000 rows (docs/benchmarks/imports.md)."""

from __future__ import annotations

import pytest
from django.db import connection

from shouhou.accounts.actors import SYSTEM
from shouhou.commerce.importers import pgstage
from shouhou.commerce.models import Shipment
from shouhou.commerce.services import orders_import
from shouhou.commerce.tests.test_import_pgparse import lines_of, plain, write

pytestmark = pytest.mark.django_db


def test_many_new_shipments_refresh_the_shipment_statistics(shop, tmp_path, monkeypatch):
    monkeypatch.setattr(pgstage, "ANALYZE_AFTER_ROWS", 3)
    path = write(tmp_path, "orders.csv", lines_of([plain(n) for n in range(1, 5)]))
    job = orders_import(shop=shop, path=path, actor=SYSTEM)
    assert job.status == "done" and Shipment.objects.filter(shop=shop).count() == 4
    if connection.vendor != "postgresql":  # SQLite writes through writer.py: no planner statistics to refresh
        return
    with connection.cursor() as cur:
        cur.execute("SELECT reltuples FROM pg_class WHERE relname = 'commerce_shipment'")
        assert cur.fetchone()[0] == 4  # -1 (never analysed) without the refresh
