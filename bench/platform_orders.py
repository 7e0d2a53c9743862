"""Benchmark: sync N orders (default 100,000) from the local 抖店 sandbox through the real order sync
(order/searchList pages over HTTP, mapping, the import's set-based writer, SyncedOrder versions,
Kuaidi100 subscriptions of the waybills). Baselines in the same run: the CSV import of the same rows
(commerce.services.orders_import) and reading the same pages without writing (HTTP + JSON + mapping).

    python -m bench.platform_orders [--orders 100000] [--db sqlite|postgres] [--trace-orders 10000]

The sandbox runs in a child process (its generated orders cost it no memory: order i is computed from i),
so the figures are shouhou's own: rows/s, ru_maxrss before/after, and the tracemalloc peak of a separate
smaller sync (tracing slows Python ~10x). PostgreSQL: SHOUHOU_BENCH_PG_URL (as bench.import_orders).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import multiprocessing
import tempfile
import time
import tracemalloc
from pathlib import Path

from bench.import_orders import rss_mib, setup_django

PER_SECOND = 50  # generated orders per second of update_time (sandbox.generated_order)


def _serve(queue, count: int, base: int) -> None:
    from shouhou.platforms.sandbox.doudian import DoudianSandbox

    box = DoudianSandbox(shop_id="9900002")
    box.generate_orders(count, base_time=base)
    queue.put(box.url)
    box.server.serve_forever()


def _sandbox(count: int, base: int):
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_serve, args=(queue, count, base), daemon=True)
    proc.start()
    return proc, queue.get(timeout=30)


def _connect(shop, url: str):
    from shouhou.platforms import services
    from shouhou.platforms.crypto import seal
    from shouhou.platforms.models import PlatformConnection

    conn = PlatformConnection.objects.create(
        shop=shop, platform="doudian", platform_shop_id=f"99{shop.pk:06d}", app_key="sandbox-app", api_base=url,
        secrets=seal({"app_secret": "sandbox-secret", "access_token": "", "refresh_token": ""}))
    # the sandbox issued its tokens at start: connect as a self-built app does
    tokens = services.adapter_for(conn).create_token(shop_id="9900002")
    conn.secrets = seal({"app_secret": "sandbox-secret", "access_token": tokens.access_token,
                         "refresh_token": tokens.refresh_token})
    conn.token_expires_at = tokens.expires_at
    conn.save()
    return conn


def _csv(path: Path, count: int, base: int) -> int:
    """The same orders as a back-office export (the import's Chinese headers); returns the rows written."""
    from shouhou.platforms.sandbox.doudian import generated_order

    rows = 0
    fmt = "%Y-%m-%d %H:%M:%S"

    def ts(value: int) -> str:
        return dt.datetime.fromtimestamp(value, dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8))).strftime(fmt) \
            if value else ""

    with open(path, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["主订单编号", "子订单编号", "选购商品", "商品ID", "商品规格", "商家编码", "商品数量", "实付款",
                      "订单提交时间", "支付完成时间", "发货时间", "订单状态", "收件人", "收件人手机号", "详细地址",
                      "快递公司", "快递单号"])
        for i in range(count):
            o = generated_order(i, base)
            waybill = o.logistics[0] if o.logistics else {}
            for ln in o.lines:
                out.writerow([o.order_id, ln["sku_order_id"], ln["product_name"], 3_600_000_000 + ln["sku_id"],
                              "颜色:黑色", ln["code"], ln["item_num"], f"{ln['pay_amount'] / 100:.2f}",
                              ts(o.create_time), ts(o.pay_time), ts(o.ship_time), "已发货" if o.ship_time else "备货中",
                              o.receiver, o.tel, "浙江省杭州市西湖区文新街道文一西路***号",
                              waybill.get("company_name", ""), waybill.get("tracking_no", "")])
                rows += 1
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--orders", type=int, default=100_000)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--trace-orders", type=int, default=10_000)
    args = ap.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="shouhou-bench-orders-"))
    setup_django(args.db, scratch)
    from shouhou.accounts.actors import SYSTEM
    from shouhou.commerce.models import Order, OrderLine, Shipment, Shop
    from shouhou.commerce.services import orders_import
    from shouhou.logistics.models import TrackingSubscription
    from shouhou.platforms.adapters import adapter_for
    from shouhou.platforms.crypto import unseal
    from shouhou.platforms.orders import orders_reconcile, orders_sync

    n = args.orders
    base = int(time.time()) - n // PER_SECOND - 3600  # every generated order changed within the last days
    proc, url = _sandbox(n, base)
    stamp = int(time.time())
    k100 = {"kuaidi100_key": "bench-key", "kuaidi100_salt": "bench-salt"}
    try:
        # --- reading only: the same pages, no writes (HTTP + JSON + mapping)
        shop0 = Shop.objects.create(name="订单同步基准-读", code=f"bench-ord-r-{stamp}", platform="douyin")
        conn0 = _connect(shop0, url)
        adapter = adapter_for(conn0)
        token = unseal(conn0.secrets)["access_token"]
        started, cursor, read = time.perf_counter(), {}, 0
        while True:
            page = adapter.list_orders(token, base - 1, cursor)
            read, cursor = read + len(page.items), page.cursor
            if not page.has_more:
                break
        t_read = time.perf_counter() - started
        print(f"[{args.db}] 只读取（HTTP+JSON+映射，不写库）：{read:,} 单 {t_read:.1f} s = {read / t_read:,.0f} 单/s")

        # --- the sync
        shop = Shop.objects.create(name="订单同步基准", code=f"bench-ord-{stamp}", platform="douyin", settings=k100)
        conn = _connect(shop, url)
        rss0 = rss_mib()
        started = time.perf_counter()
        result = orders_sync(conn, backfill=True)
        t_sync = time.perf_counter() - started
        lines = OrderLine.objects.filter(shop=shop).count()
        assert result.error == "" and result.written == n, result.as_dict()
        print(f"[{args.db}] 订单同步（回填）：{n:,} 单 / {lines:,} 行 {t_sync:.1f} s = {n / t_sync:,.0f} 单/s = "
              f"{lines / t_sync:,.0f} 行/s（{result.pages:,} 页；物流单 {Shipment.objects.filter(shop=shop).count():,}，"
              f"快递100订阅 {TrackingSubscription.objects.filter(shop=shop).count():,}）")
        print(f"[{args.db}] 进程峰值内存 ru_maxrss：同步前 {rss0:.0f} MiB，同步后 {rss_mib():.0f} MiB")
        started = time.perf_counter()
        again = orders_reconcile(conn)  # every order read again, none changed
        t_again = time.perf_counter() - started
        assert again.written == 0, again.as_dict()
        print(f"[{args.db}] 再同步（对账，全部未变）：{again.read:,} 单 {t_again:.1f} s = {again.read / t_again:,.0f} 单/s，写入 0")

        # --- baseline: the CSV import of the same rows
        csv_path = scratch / "same-orders.csv"
        rows = _csv(csv_path, n, base)
        shop2 = Shop.objects.create(name="订单同步基准-CSV", code=f"bench-ord-c-{stamp}", platform="douyin", settings=k100)
        started = time.perf_counter()
        job = orders_import(shop=shop2, path=csv_path, actor=SYSTEM)
        t_csv = time.perf_counter() - started
        assert job.status == "done", job.errors[:3]
        print(f"[{args.db}] 基线：同样订单的 CSV 导入 {rows:,} 行 {t_csv:.1f} s = {rows / t_csv:,.0f} 行/s "
              f"（订单 {Order.objects.filter(shop=shop2).count():,}）")

        # --- memory: tracemalloc peak of a smaller sync
        if args.trace_orders:
            shop3 = Shop.objects.create(name="订单同步基准-内存", code=f"bench-ord-m-{stamp}", platform="douyin")
            conn3 = _connect(shop3, url)
            tracemalloc.start()
            # only the first trace-orders orders: the window ends where they end
            conn3.order_cursor = {"since": base - 1,
                                  "cursor": {"start": base - 1, "end": base + args.trace_orders // PER_SECOND - 1,
                                             "page": 0}}
            traced = orders_sync(conn3)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(f"[{args.db}] tracemalloc 峰值：同步 {traced.written:,} 单时 {peak / 2**20:.1f} MiB")
    finally:
        for code in (f"bench-ord-r-{stamp}", f"bench-ord-{stamp}", f"bench-ord-c-{stamp}", f"bench-ord-m-{stamp}"):
            Shop.objects.filter(code=code).delete()
        proc.terminate()


if __name__ == "__main__":
    main()
