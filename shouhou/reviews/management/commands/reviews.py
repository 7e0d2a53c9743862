"""`shouhou reviews train|evaluate|classify` — the review classifier from the command line; `webhook-key` — the key
a shop's review push is signed with."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "评价分类：train 用人工标注重新训练模型；evaluate 在固定测试集上评估（问题类型、情感）；reclassify 重判已存评价的问题类型；classify 给 CSV 打标签"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        t = sub.add_parser("train", help="从评价数据与人工标注重新训练并写出模型文件", description="从评价数据与人工标注重新训练并写出模型文件")
        t.add_argument("--csv", type=Path, default=None, help="训练数据（默认 SHOUHOU_REVIEWS_CSV）")
        t.add_argument("--out", type=Path, default=None, help="模型文件输出路径（默认仓库内的模型）")
        t.add_argument("--labels", type=Path, default=None, help="人工标注目录（默认仓库内 data/labels）")
        e = sub.add_parser("evaluate", help="在人工标注的固定测试集上评估问题类型，在留出集上评估情感", description="在人工标注的固定测试集上评估问题类型，在留出集上评估情感")
        e.add_argument("--csv", type=Path, default=None)
        e.add_argument("--model", type=Path, default=None, help="模型文件（默认仓库内的模型）")
        e.add_argument("--labels", type=Path, default=None, help="人工标注目录（默认仓库内 data/labels）")
        e.add_argument("--limit", type=int, default=None, help="情感只评估前 N 条留出评价")
        e.add_argument("--snownlp", action="store_true", help="同时与 SnowNLP 对比情感（较慢）")
        e.add_argument("--snownlp-limit", type=int, default=None, help="SnowNLP 只跑前 N 条")
        e.add_argument("--outside", type=Path, action="append", default=[], metavar="CSV",
                       help="域外情感评估集（列 label、review；1 正面 0 负面），可重复；不参与训练与选择")
        r = sub.add_parser("reclassify", help="用当前模型重新判断已存负面评价的问题类型（主类型、其他类型、方面）", description="用当前模型重新判断已存负面评价的问题类型（主类型、其他类型、方面）")
        r.add_argument("--shop", default=None, help="只处理该店铺代码的评价（默认全部店铺）")
        c = sub.add_parser("classify", help="读取含 review 列的 CSV，写出带分类结果的 CSV", description="读取含 review 列的 CSV，写出带分类结果的 CSV")
        c.add_argument("--in", dest="src", type=Path, required=True)
        c.add_argument("--out", dest="dst", type=Path, required=True)
        c.add_argument("--column", default=None,
                       help="评价文本所在列（默认 review；没有时取表头中唯一的 text、content、评价、评论、内容 等列）")
        c.add_argument("--encoding", default=None,
                       help="输入文件编码（默认自动识别：UTF-8/UTF-16 及其 BOM、GBK、Big5；无法确定时会提示）")
        k = sub.add_parser("webhook-key", help="显示某店铺评价推送的签名密钥（交给该店的对接方）",
                           description="显示某店铺评价推送 /api/reviews/webhook/<店铺代码> 的签名密钥：店铺自己的 "
                                       "webhook_secret，否则由 SHOUHOU_WEBHOOK_SECRET 与店铺代码派生、只对该店有效")
        k.add_argument("shop", help="店铺代码")

    def handle(self, *args, action: str, **opts):
        try:
            getattr(self, f"do_{action.replace('-', '_')}")(**opts)
        except (FileNotFoundError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:  # a directory, no permission, a full disk: named, never a traceback
            raise CommandError(f"无法读写 {exc.filename or ''}：{exc.strerror or exc}") from exc

    def do_webhook_key(self, *, shop, **_):
        from shouhou.commerce.models import Shop
        from shouhou.reviews.services import review_webhook_secret

        found = Shop.objects.filter(code=shop).first()
        if found is None:
            raise CommandError(f"店铺不存在：{shop}")
        key = review_webhook_secret(found)
        if not key:
            raise CommandError("该店铺未配置推送密钥（shop.settings.webhook_secret 或 SHOUHOU_WEBHOOK_SECRET）")
        self.stdout.write(key)

    @staticmethod
    def _labels_dir(labels: Path | None) -> Path:
        """--labels, or the repository's labels; a directory without the label files is refused before any
        work (evaluate printed an empty complaint-type report for it, train failed after reading the CSV)."""
        from shouhou.reviews.classifier.training import LABELS_DIR

        if labels is None:
            return LABELS_DIR
        if not labels.is_dir():
            raise CommandError(f"--labels 不是目录: {labels}")
        missing = [name for name in ("reviews.csv", "chat_openings.csv") if not (labels / name).is_file()]
        if missing:
            raise CommandError(f"--labels 目录 {labels} 中缺少人工标注文件: {'、'.join(missing)}")
        return labels

    def do_train(self, *, csv, out, labels, **_):
        from shouhou.reviews.classifier.model import MODEL_PATH
        from shouhou.reviews.classifier.training import train

        train(csv_path=csv, out=out or MODEL_PATH, labels_dir=self._labels_dir(labels), log=self.stdout.write)

    def do_evaluate(self, *, csv, model, labels, limit, snownlp, snownlp_limit, outside=(), **_):
        from shouhou.reviews.classifier.evaluation import evaluate
        from shouhou.reviews.classifier.model import ReviewModel

        labels = self._labels_dir(labels)
        loaded = None
        if model:
            if not model.is_file():
                raise CommandError(f"模型文件不存在或不是文件: {model}")
            try:
                loaded = ReviewModel.load(model)
            except Exception as exc:  # joblib/pickle raise many kinds on a file that is not a model
                raise CommandError(f"{model} 不是 shouhou reviews train 写出的模型文件"
                                   f"（{exc.__class__.__name__}）") from exc
        report = evaluate(csv_path=csv, model=loaded, limit=limit, snownlp_limit=snownlp_limit,
                          with_snownlp=snownlp or bool(snownlp_limit), labels_dir=labels,
                          outside=list(outside))
        for line in report.lines():
            self.stdout.write(line)

    def do_reclassify(self, *, shop, **_):
        from shouhou.commerce.models import Shop
        from shouhou.reviews.services import reviews_reclassify_types

        target = None
        if shop:
            target = Shop.objects.filter(code=shop).first()
            if target is None:
                raise CommandError(f"没有店铺代码为 “{shop}” 的店铺")
        n = reviews_reclassify_types(shop=target)
        self.stdout.write(f"已重新判断问题类型：{n} 条评价有变化")

    def do_classify(self, *, src, dst, column, encoding=None, **_):
        from shouhou.reviews.classifier.csvio import classify_csv

        if not src.exists():
            raise CommandError(f"输入文件不存在: {src}")
        if src.is_dir():
            raise CommandError(f"--in 是一个目录，不是 CSV 文件: {src}")
        if dst.is_dir():
            raise CommandError(f"--out 是一个目录，请给出输出文件名（如 {dst / 'classified.csv'}）")
        if not dst.parent.is_dir():
            raise CommandError(f"--out 所在的目录不存在: {dst.parent}")
        n = classify_csv(src=src, dst=dst, column=column, encoding=encoding,
                         on_column=lambda name: self.stdout.write(f"评价文本取自列 “{name}”（文件没有 review 列）"))
        self.stdout.write(f"已分类 {n} 条评价 → {dst}")
