"""The tests' own database: a server a test runs in a thread (the live browser tests) reads while the test
thread writes, and neither fails for the other. On SQLite the test database is a file in WAL mode, as the
product's is (settings, TEST NAME): it used to be Django's default, memory with a shared cache, where a reading
statement locked its table and a concurrent write failed at once with "database table is locked"."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from shouhou.commerce.models import Shop

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_sqlite_test_database_is_a_file_in_wal_mode_as_the_products_is():
    if connection.vendor != "sqlite":
        assert connection.vendor == "postgresql"
        return
    assert not connection.is_in_memory_db()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"


def test_a_write_is_not_refused_while_another_thread_reads(shop):
    stop = threading.Event()
    read_errors: list[Exception] = []

    def reader() -> None:
        try:
            while not stop.is_set():
                list(Shop.objects.values_list("name", flat=True))
        except Exception as exc:  # noqa: BLE001 - any failure is the test's finding
            read_errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for n in range(400):
            Shop.objects.filter(pk=shop.pk).update(name=f"店铺 {n}")  # fails at once on a locked table
    finally:
        stop.set()
        thread.join()
    assert read_errors == []
    assert Shop.objects.get(pk=shop.pk).name == "店铺 399"
