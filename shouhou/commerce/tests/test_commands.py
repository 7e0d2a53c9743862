"""The CLI: `shouhou import` (management command import_orders) and `shouhou demo`."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from shouhou.accounts.models import Membership
from shouhou.commerce.choices import ShipmentStatus
from shouhou.commerce.demo import DEMO_SHOP_CODE, demo_build
from shouhou.commerce.models import Customer, LiveSession, Order, OrderLine, Product, Shipment, Shop
from shouhou.commerce.tests.exports import HEADERS, with_value, write_csv, write_xlsx

pytestmark = pytest.mark.django_db
REPO = Path(__file__).resolve().parents[3]
ANCHOR = dt.datetime(2026, 11, 22, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_import_command_prints_the_report(shop, tmp_path, capsys):
    call_command("import_orders", str(write_csv(tmp_path / "orders.csv")), "--shop", shop.code, "--system")
    out = capsys.readouterr().out
    assert "数据行 3，有效 3，错误 0" in out
    assert "订单 新增 2，更新 0；订单行 新增 3，更新 0；顾客 新增 2；商品 新增 3；物流单 新增 2，更新 0" in out
    assert Order.objects.filter(shop=shop).count() == 2


def test_import_command_fails_on_bad_rows_and_writes_nothing(shop, tmp_path, capsys):
    path = write_csv(tmp_path / "bad.csv", with_value("实付金额", "abc", row=1))
    with pytest.raises(CommandError, match="导入失败，未写入任何数据"):
        call_command("import_orders", str(path), "--shop", shop.code, "--system")
    assert "第3行「实付金额」：不是有效金额 'abc'" in capsys.readouterr().out
    assert Order.objects.count() == 0


def test_import_command_allow_partial_and_mapping_file(shop, tmp_path, capsys):
    headers = ["平台单号" if h == "订单号" else h for h in HEADERS]
    path = write_csv(tmp_path / "x.csv", with_value("数量", "两件", row=2), headers=headers)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"order_no": "平台单号"}, ensure_ascii=False), encoding="utf-8")
    call_command("import_orders", str(path), "--shop", shop.code, "--system", "--mapping", str(mapping),
                 "--allow-partial")
    assert "第4行「数量」：不是有效数量 '两件'" in capsys.readouterr().out
    assert list(Order.objects.values_list("order_no", flat=True)) == ["DY20261101001"]


def test_import_command_reads_a_douyin_style_xlsx_and_names_what_it_ignored(shop, tmp_path, capsys):
    # given an .xlsx with Douyin's header words, a column shouhou does not know, and no 签收时间 column
    headers = ["主订单编号", "选购商品", "商品规格", "商品数量", "订单应付金额", "订单提交时间", "收件人",
               "收件人手机号", "快递公司", "快递单号", "达人昵称", "买家留言"]
    rows = [["X700001", "冬季加绒卫衣", "黑色 XL", 2, 319.8, dt.datetime(2026, 11, 22, 20, 5), "周七", "13512345678",
             "中通", "ZT778899001", "小鹿", "请发顺丰"]]
    path = write_xlsx(tmp_path / "douyin.xlsx", rows, headers=headers)
    # when it is imported from the command line
    call_command("import_orders", str(path), "--shop", shop.code, "--system")
    out = capsys.readouterr().out
    # then the amount and phone columns are understood and the report says what was not
    line = OrderLine.objects.get(order__shop=shop, order__order_no="X700001")
    assert (line.quantity, line.price_paid, line.order.customer.phone) == (2, Decimal("319.80"), "13512345678")
    assert "未识别的列（已忽略，可用 --mapping 指定）：买家留言" in out
    assert "注意：文件里没有这些列，相应数据为空或按默认值：签收时间" in out


def test_import_command_rejects_a_phone_that_is_nobodys(shop, tmp_path, capsys):
    path = write_csv(tmp_path / "bad.csv", with_value("手机号", "12345", row=2))
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command("import_orders", str(path), "--shop", shop.code, "--system")
    assert "第4行「手机号」：不是有效手机号 '12345'" in capsys.readouterr().out
    assert Order.objects.count() == 0


@pytest.mark.parametrize(("args", "message"), [
    (["missing.csv", "--shop", "xiaolu", "--system"], "找不到文件"),
    (["{csv}", "--shop", "nope", "--system"], "没有代码为 'nope' 的店铺"),
])
def test_import_command_refuses_bad_arguments(shop, tmp_path, args, message):
    path = write_csv(tmp_path / "orders.csv")
    args = [a.replace("{csv}", str(path)) for a in args]
    with pytest.raises(CommandError, match=message):
        call_command("import_orders", *args)


def test_shouhou_import_runs_as_a_real_process(tmp_path):
    # a fresh embedded database in its own data dir: migrate, make a shop, import through the CLI alias
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOUHOU_")}
    env.update(SHOUHOU_DATA_DIR=str(tmp_path / "var"), PYTHONPATH=str(REPO))

    def shouhou(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "shouhou", *args], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=300)

    assert shouhou("migrate", "-v0").returncode == 0
    made = shouhou("shell", "-c", "from shouhou.commerce.models import Shop; Shop.objects.create(name='店', code='cli')")
    assert made.returncode == 0, made.stderr
    path = write_csv(tmp_path / "orders.csv")
    ok = shouhou("import", str(path), "--shop", "cli", "--system")
    assert ok.returncode == 0, ok.stderr
    assert "订单 新增 2，更新 0" in ok.stdout
    bad = shouhou("import", str(write_csv(tmp_path / "bad.csv", with_value("实付金额", "abc", row=0))), "--shop", "cli",
                  "--system")
    assert bad.returncode == 1
    assert "第2行「实付金额」：不是有效金额 'abc'" in bad.stdout
    assert "导入失败，未写入任何数据" in bad.stderr


def _snapshot(shop) -> dict:
    return {
        "orders": list(Order.objects.filter(shop=shop).order_by("order_no").values_list("order_no", "total_paid",
                                                                                         "status")),
        "lines": OrderLine.objects.filter(shop=shop).count(),
        "customers": sorted(Customer.objects.filter(shop=shop).values_list("phone", "tier")),
        "products": sorted(Product.objects.filter(shop=shop).values_list("name", "category")),
        "shipments": sorted(Shipment.objects.filter(shop=shop).values_list("tracking_no", "status")),
        "sessions": sorted(LiveSession.objects.filter(shop=shop).values_list("title", flat=True)),
    }


def test_demo_is_deterministic_for_a_seed(db):
    first = demo_build(seed=7, orders=1500, customers=500, anchor=ANCHOR, other_apps=False)
    a = _snapshot(first.shop)
    second = demo_build(seed=7, orders=1500, customers=500, anchor=ANCHOR, other_apps=False)
    assert Shop.objects.filter(code=DEMO_SHOP_CODE).count() == 1
    assert _snapshot(second.shop) == a
    assert len(a["orders"]) == 1500 and len(a["customers"]) == 500 and len(a["products"]) == 300
    third = demo_build(seed=8, orders=1500, customers=500, anchor=ANCHOR, other_apps=False)
    assert _snapshot(third.shop)["orders"] != a["orders"]


@pytest.mark.usefixtures("demo_clock")
def test_demo_command_builds_a_live_shop_with_every_shipment_status(db, capsys):
    call_command("demo", "--seed", "42", "--orders", "2000", "--customers", "600")
    out = capsys.readouterr().out
    shop = Shop.objects.get(code=DEMO_SHOP_CODE)
    assert (shop.name, shop.platform) == ("小鹿直播旗舰店", "douyin")
    assert "登录：demo / shouhou-demo" in out and "订单 2000" in out
    statuses = set(Shipment.objects.filter(shop=shop).values_list("status", flat=True))
    assert statuses == set(ShipmentStatus.values)
    late = Shipment.objects.filter(shop=shop, status=ShipmentStatus.PENDING, promised_ship_by__lt=timezone.now())
    assert late.exists()
    # nothing happens in the future: no parcel signed, shipped or scanned after now
    assert not Order.objects.filter(shop=shop, delivered_at__gt=timezone.now()).exists()
    assert not Shipment.objects.filter(shop=shop, signed_at__gt=timezone.now()).exists()
    assert not Shipment.objects.filter(shop=shop, last_event_at__gt=timezone.now()).exists()
    assert Order.objects.filter(shop=shop, delivered_at__gte=timezone.now() - dt.timedelta(days=2)).exists()
    assert set(Product.objects.filter(shop=shop).values_list("category", flat=True)) == {
        "clothing", "underwear", "cosmetics", "electronics", "mobile_phone", "food", "fresh", "home"}
    assert not Product.objects.filter(shop=shop, category="electronics", warranty_days=0).exists()
    assert Order.objects.filter(shop=shop, live_session__isnull=False).count() > 1500
    assert not OrderLine.objects.filter(shop=shop, batch_no="").exists()
    roles = dict(Membership.objects.filter(shop=shop).values_list("user__username", "role"))
    assert roles == {"demo": "admin", "zhuguan": "supervisor", "kefu1": "agent", "kefu2": "agent",
                     "kefu3": "agent", "kefu4": "agent"}
    demo = get_user_model().objects.get(username="demo")
    assert demo.is_superuser and demo.check_password("shouhou-demo")


@pytest.mark.usefixtures("demo_clock")
def test_demo_can_be_rebuilt_on_a_database_that_already_holds_it(db):
    # given a full demo (cases, recalls, tickets, reviews … that protect their orders and SKUs)
    first = demo_build(seed=3, orders=400, customers=200)
    from shouhou.cases.models import Case

    assert Case.objects.filter(shop=first.shop).exists()
    # when it is built again, then the old shop is replaced rather than the build failing
    second = demo_build(seed=3, orders=400, customers=200)
    assert Shop.objects.filter(code=DEMO_SHOP_CODE).count() == 1
    assert second.shop.pk != first.shop.pk
    assert not Case.objects.filter(shop_id=first.shop.pk).exists()
    assert Order.objects.filter(shop=second.shop).count() == 400


def test_demo_if_empty_does_nothing_when_a_shop_exists(shop, capsys):
    call_command("demo", "--if-empty")
    assert "跳过演示数据" in capsys.readouterr().out
    assert list(Shop.objects.values_list("code", flat=True)) == ["xiaolu"]


def test_demo_calls_other_apps_seed_hooks(db, monkeypatch):
    import types

    from shouhou.commerce import demo

    seen = []
    fake = types.ModuleType("shouhou.policies.demo")
    fake.seed = lambda *, shop, rng: seen.append((shop.code, type(rng).__name__))
    real_import = demo.importlib.import_module

    def fake_import(name):
        if name == "shouhou.policies.demo":
            return fake
        if name.endswith(".demo"):
            raise ModuleNotFoundError(name=name)
        return real_import(name)

    monkeypatch.setattr(demo.importlib, "import_module", fake_import)
    result = demo_build(seed=1, orders=50, customers=30, anchor=ANCHOR)
    assert result.seeded_apps == ["policies"]
    assert seen == [(DEMO_SHOP_CODE, "Random")]


def test_the_import_benchmark_runs_at_a_tiny_size(tmp_path):
    # given the benchmark entry point; when it runs with 300 rows on a scratch SQLite database
    env = {k: v for k, v in os.environ.items() if k != "SHOUHOU_DATABASE_URL"}
    res = subprocess.run([sys.executable, "-m", "bench.import_orders", "--rows", "300", "--trace-rows", "100"],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    # then it prints its figures
    assert res.returncode == 0, res.stderr[-2000:]
    assert "[sqlite] CSV 首次导入：300 行" in res.stdout
    assert "订单 新增 0 更新" in res.stdout and "tracemalloc 峰值" in res.stdout


@pytest.mark.parametrize(("command", "args", "message"), [
    ("demo", ["--orders", "-5"], "应在 1–1000000 之间，收到 -5"),
    ("demo", ["--customers", "many"], "应为整数，收到「many」"),
    ("report", ["rollup", "--shop", "x", "--days", "-3"], "应在 1–3660 之间，收到 -3"),
])
def test_a_number_out_of_range_is_refused_before_anything_runs(command, args, message):
    with pytest.raises(CommandError, match=message):
        call_command(command, *args)
    assert not Shop.objects.exists()


@pytest.mark.parametrize(("week", "message"), [
    ("2026-48", "周的格式应为 2026-W48"),
    ("2026-W99", "没有这一周：2026-W99"),
    ("9999-W10", "这一周超出可查询的范围：9999-W10"),
])
def test_the_weekly_report_says_what_is_wrong_with_the_week(shop, tmp_path, week, message):
    with pytest.raises(CommandError, match=message):
        call_command("report", "weekly", "--shop", shop.code, "--week", week, "--out", str(tmp_path / "w.xlsx"))
