"""shouhou clean_pictures [--dry-run] [--shop CODE] [--restart]

Writes every stored picture again without its EXIF/GPS and anything behind it (core/pictures.py). Pictures that
no longer decode are kept and listed; the exit status is 0 either way (they are a list to look at, not a failure
of the run)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from shouhou.commerce.models import Shop
from shouhou.core.pictures import pictures_clean


class Command(BaseCommand):
    help = "清除已存照片中的 EXIF/GPS 等元数据（逐个解码并重新写入；已干净的照片不改写）"

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="只统计，不改写任何文件")
        parser.add_argument("--shop", default=None, help="只处理这个店铺（店铺代码）的文件")
        parser.add_argument("--restart", action="store_true", help="从头开始，不接着上次中断的位置")

    def handle(self, *args, dry_run=False, shop=None, restart=False, **options):
        if shop is not None and not Shop.objects.filter(code=shop).exists():
            raise CommandError(f"未找到店铺：{shop}")
        report = pictures_clean(dry_run=dry_run, shop_code=shop, restart=restart)
        if report.resumed:
            self.stdout.write("接着上次中断的位置继续。")
        verb = "将清除" if dry_run else "已清除"
        self.stdout.write(
            f"检查文件 {report.examined} 个：{verb}元数据 {report.cleaned} 张，已干净 {report.already_clean} 张，"
            f"非图片 {report.not_pictures} 个，无法解码 {len(report.undecodable)} 个，文件丢失 {len(report.missing)} 个。")
        for problem in report.undecodable:
            self.stdout.write(f"无法解码（已保留，未改动）：{problem.label}\t{problem.name}\t{problem.reason}")
        for problem in report.missing:
            self.stdout.write(f"文件丢失：{problem.label}\t{problem.name}")
        if dry_run:
            self.stdout.write("试运行：没有改写任何文件。")
