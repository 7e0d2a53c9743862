"""Two writers of one shop's orders at the same time (two uploads, or an upload and a platform sync): the second
waits for the first to commit, then writes what it did not find — one live session per title, one shipment per
parcel, and no import failing on a row the other inserted."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from shouhou.accounts.actors import SYSTEM
from shouhou.commerce.importers.pgstage import Stage
from shouhou.commerce.models import ImportJob, LiveSession, Order, Shipment
from shouhou.commerce.services import orders_import
from shouhou.commerce.tests.exports import HEADERS, ROWS, write_csv
from shouhou.core.testing.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def _someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'")
        return cur.fetchone()[0] > 0


def test_two_imports_of_one_shop_at_once_write_one_after_the_other(shop, tmp_path, monkeypatch):
    first_wrote, release = threading.Event(), threading.Event()

    def held(original):
        def write(*args, **kwargs):
            original(*args, **kwargs)
            if threading.current_thread().name == "first":
                first_wrote.set()  # written, not committed yet: the second import starts now
                release.wait(30)
        return write

    # PostgreSQL writes through the staging tables, SQLite a batch at a time
    if connection.vendor == "postgresql":
        monkeypatch.setattr(Stage, "write", held(Stage.write))
    else:
        import shouhou.commerce.services as import_services

        monkeypatch.setattr(import_services, "write_chunk", held(import_services.write_chunk))
    first = write_csv(tmp_path / "first.csv")
    # another order of the same live session, in the same parcel (中通 ZT1000000001) as the first file's order
    other = list(ROWS[0])
    for header, value in {"订单号": "DY20261101003", "子订单号": "DY20261101003-1", "商品名称": "羊毛围巾",
                          "SKU编码": "SKU-WJ", "手机号": "13700002222", "主播": "小鹿二号", "会员等级": ""}.items():
        other[HEADERS.index(header)] = value
    second = write_csv(tmp_path / "second.csv", [other])
    jobs: dict[str, ImportJob] = {}

    def run(name, path):
        try:
            jobs[name] = orders_import(actor=SYSTEM, shop=shop, path=path)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=("first", first), name="first"),
               threading.Thread(target=run, args=("second", second), name="second")]
    threads[0].start()
    try:
        assert first_wrote.wait(30)
        threads[1].start()
        if connection.vendor == "postgresql":
            assert wait_until(_someone_waits_for_a_lock, seconds=30)  # the second is held up by the first
        else:  # SQLite: the import's transaction is BEGIN IMMEDIATE; the second queues on the database lock
            time.sleep(1)
    finally:
        release.set()
        for thread in threads:
            thread.join(60)
    assert jobs["first"].status == ImportJob.Status.DONE, jobs["first"].errors
    assert jobs["second"].status == ImportJob.Status.DONE, jobs["second"].errors  # was 「导入时出现意外错误」
    assert Order.objects.filter(shop=shop).count() == 3
    assert list(LiveSession.objects.filter(shop=shop).values_list("title", flat=True)) == ["双11宠粉专场"]  # was two
    assert Shipment.objects.filter(shop=shop, carrier="ZTO", tracking_no="ZT1000000001").count() == 1
