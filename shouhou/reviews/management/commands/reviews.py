"""`shouhou reviews train|evaluate|classify` — the review classifier from the command line."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "评价分类：train 重新训练模型；evaluate 留出集评估并对比 SnowNLP；classify 给 CSV 打标签"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        t = sub.add_parser("train", help="从评价数据重新训练并写出模型文件")
        t.add_argument("--csv", type=Path, default=None, help="训练数据（默认 SHOUHOU_REVIEWS_CSV）")
        t.add_argument("--out", type=Path, default=None, help="模型文件输出路径（默认仓库内的模型）")
        e = sub.add_parser("evaluate", help="在固定留出集上评估并与 SnowNLP 对比")
        e.add_argument("--csv", type=Path, default=None)
        e.add_argument("--model", type=Path, default=None, help="模型文件（默认仓库内的模型）")
        e.add_argument("--limit", type=int, default=None, help="只评估前 N 条留出评价")
        e.add_argument("--snownlp-limit", type=int, default=None, help="SnowNLP 只跑前 N 条（它较慢）")
        e.add_argument("--no-snownlp", action="store_true")
        c = sub.add_parser("classify", help="读取含 review 列的 CSV，写出带分类结果的 CSV")
        c.add_argument("--in", dest="src", type=Path, required=True)
        c.add_argument("--out", dest="dst", type=Path, required=True)
        c.add_argument("--column", default="review", help="评价文本所在列（默认 review）")
        c.add_argument("--encoding", default=None,
                       help="输入文件编码（默认自动识别：UTF-8/UTF-16 及其 BOM、GBK、Big5；无法确定时会提示）")

    def handle(self, *args, action: str, **opts):
        try:
            getattr(self, f"do_{action}")(**opts)
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from exc

    def do_train(self, *, csv, out, **_):
        from shouhou.reviews.classifier.model import MODEL_PATH
        from shouhou.reviews.classifier.training import train

        train(csv_path=csv, out=out or MODEL_PATH, log=self.stdout.write)

    def do_evaluate(self, *, csv, model, limit, snownlp_limit, no_snownlp, **_):
        from shouhou.reviews.classifier.evaluation import evaluate
        from shouhou.reviews.classifier.model import ReviewModel

        loaded = ReviewModel.load(model) if model else None
        report = evaluate(csv_path=csv, model=loaded, limit=limit, snownlp_limit=snownlp_limit,
                          with_snownlp=not no_snownlp)
        for line in report.lines():
            self.stdout.write(line)

    def do_classify(self, *, src, dst, column, encoding=None, **_):
        from shouhou.reviews.classifier.csvio import classify_csv

        if not src.exists():
            raise CommandError(f"输入文件不存在: {src}")
        n = classify_csv(src=src, dst=dst, column=column, encoding=encoding)
        self.stdout.write(f"已分类 {n} 条评价 → {dst}")
