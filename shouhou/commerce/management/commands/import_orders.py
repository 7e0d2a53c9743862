"""shouhou import FILE --shop CODE (--as USERNAME | --system) [--mapping FILE.json] [--allow-partial]"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from shouhou.accounts.cli import actor_from_options, add_actor_arguments
from shouhou.commerce.models import ImportJob, Shop
from shouhou.commerce.selectors import import_report_lines
from shouhou.commerce.services import orders_import


class Command(BaseCommand):
    help = "导入订单导出文件（.xlsx / .csv）：默认有任何错误行则一行不写"

    def add_arguments(self, parser):
        parser.add_argument("file", help="订单导出文件 .xlsx 或 .csv")
        parser.add_argument("--shop", required=True, help="店铺代码（Shop.code）")
        parser.add_argument("--mapping", help="列映射 JSON 文件：{\"order_no\": \"外部单号\", ...}")
        parser.add_argument("--allow-partial", action="store_true", help="跳过错误行，只导入正确的行")
        add_actor_arguments(parser)

    def handle(self, *args, **opts):
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        shop = Shop.objects.filter(code=opts["shop"]).first()
        if shop is None:
            raise CommandError(f"没有代码为 {opts['shop']!r} 的店铺")
        mapping = None
        if opts.get("mapping"):
            try:
                mapping = json.loads(Path(opts["mapping"]).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CommandError(f"列映射文件无法读取：{exc}")
            if not isinstance(mapping, dict):
                raise CommandError("列映射文件应是一个 JSON 对象：{\"字段\": \"表头\"}")
        actor = actor_from_options(opts, command="import")
        try:
            job = orders_import(shop=shop, path=path, mapping=mapping, allow_partial=opts["allow_partial"], actor=actor)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        for line in import_report_lines(job=job):
            self.stdout.write(line)
        if job.status != ImportJob.Status.DONE:
            raise CommandError("导入失败，未写入任何数据" if not job.summary.get("written") else "导入失败")
