"""`shouhou report weekly --shop CODE --week 2026-W48 --out FILE.xlsx [--language en]` — the weekly
after-sales report (headers and sheet names in Chinese, or in English with --language en);
`shouhou report rollup --shop CODE --days 90` — (re)build the order-line rollup for past days."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from shouhou.core.cli_args import int_between


class Command(BaseCommand):
    help = "售后报表：weekly 生成周报 Excel；rollup 重建订单行日汇总"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        w = sub.add_parser("weekly", help="生成某店某周的售后周报（.xlsx）", description="生成某店某周的售后周报（.xlsx）")
        w.add_argument("--shop", required=True, help="店铺代码")
        w.add_argument("--week", default="", help="ISO 周，如 2026-W48（默认上一个完整的周）")
        w.add_argument("--out", type=Path, required=True, help="输出文件，如 weekly.xlsx")
        w.add_argument("--language", default="", choices=["", *[code for code, _name in settings.LANGUAGES]],
                       help="表头与工作表名称的语言：zh-hans（默认）或 en")
        r = sub.add_parser("rollup", help="重建订单行日汇总（看板分母）", description="重建订单行日汇总（看板分母）")
        r.add_argument("--shop", required=True, help="店铺代码")
        r.add_argument("--days", type=int_between(1, 3660), default=90, help="重建今天之前的天数（默认 90）")

    def handle(self, *args, action: str, **opts):
        from shouhou.commerce.models import Shop

        code = opts.pop("shop")  # passed on as the Shop itself (passing both failed: "multiple values for shop")
        shop = Shop.objects.filter(code=code).first()
        if shop is None:
            raise CommandError(f"没有代码为 {code} 的店铺")
        getattr(self, f"do_{action}")(shop=shop, **opts)

    def do_weekly(self, *, shop, week: str, out: Path, language: str = "", **_):
        from shouhou.insight.report import weekly_workbook_bytes
        from shouhou.insight.selectors import current_week, iso_week, weekly_report

        if week:
            try:
                start, end = iso_week(week)
            except ValueError as exc:
                raise CommandError(f"--week：{exc}") from exc
        else:
            this_week, _end = current_week()
            start, end = this_week - timedelta(days=7), this_week
        # the figures are read in that language too: the rows the report names itself (非直播订单, 未知, 未分配)
        # are worded when read
        with translation.override(language or settings.LANGUAGE_CODE):
            data = weekly_report(shop=shop, start=start, end=end)
            out.write_bytes(weekly_workbook_bytes(data))
        self.stdout.write(f"已写出 {out}（{shop.code} {data['week']}）")

    def do_rollup(self, *, shop, days: int, **_):
        from shouhou.core.clock import localnow
        from shouhou.insight.services import rollup_refresh

        today = localnow().date()
        rows = rollup_refresh(shop=shop, days=[today - timedelta(days=i) for i in range(1, days + 1)])
        self.stdout.write(f"已汇总 {days} 天，{rows} 行")
