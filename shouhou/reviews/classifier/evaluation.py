"""Evaluation on the repo's fixed test split (complaint type) and the held-out split (sentiment).

Complaint type: the `test` rows of data/labels/ (reviews and, apart, the written chat openings), against
the people's main type; the keyword rules of `rules.py` (what ran before the model) on the same rows as
the baseline. Sentiment: the reviews whose normalised text hashes into the held-out tenth.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from shouhou.reviews.classifier.evaluation_metrics import accuracy, confusion, macro_f1, per_label
from shouhou.reviews.classifier.model import ReviewModel, default_model, is_sentiment_heldout
from shouhou.reviews.classifier.rules import weak_label
from shouhou.reviews.classifier.taxonomy import ComplaintType, split_types
from shouhou.reviews.classifier.training import LABELS_DIR, load_labelled, load_rows

# Phrasings the sentiment must get right (issue 14): negation, a complaint after praise, a long review
# whose complaint comes last.
PROBES: list[tuple[str, int]] = [
    ("没有不满意的地方", 1),
    ("没有什么可挑剔的，很满意", 1),
    ("不是很满意", 0),
    ("一点也不差", 1),
    ("完全没有异味", 1),
    ("很好\n但是发错货了", 0),
    ("包装很好，物流也快，可是收到的是坏的", 0),
    ("衣服收到了，" + "面料柔软，做工精细，颜色也正，" * 40 + "可惜尺码发错了，退换又麻烦，很失望", 0),
]


@dataclass
class TypeScores:
    name: str
    rows: int
    accuracy: float
    macro_f1: float
    baseline_accuracy: float = 0.0
    baseline_macro_f1: float = 0.0
    in_readers_set: float = 0.0      # the predicted main type is one of the reader's types
    others_f1: float = 0.0           # predicted other types vs the reader's


@dataclass
class OutsideScores:
    """Sentiment on a labelled set from outside the training data (another domain)."""

    name: str
    rows: int
    positive_share: float
    accuracy: float
    macro_f1: float
    confusion: list[list[int]]


def outside_sentiment(path: Path, model: ReviewModel) -> OutsideScores:
    """Read a CSV with columns `label` (1 positive, 0 negative) and `review` (or text, content … csvio.TEXT_COLUMNS),
    and score the model's sentiment on
    it, each text read whole (whole.classify_whole, as `classify` reads it)."""
    import csv

    from shouhou.reviews.classifier.csvio import text_column
    from shouhou.reviews.classifier.whole import classify_whole

    if not path.exists():
        raise ValueError(f"找不到域外评价文件 {path}")
    texts, y = [], []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = list(reader.fieldnames or [])
        if "label" not in fields:
            raise ValueError(f"{path.name}: 缺少列 label（需要 label 与 review，或 text 等评价文本列）")
        column = text_column(fields, None, path.name)
        for n, rec in enumerate(reader, start=2):
            if rec["label"] not in ("0", "1"):
                raise ValueError(f"{path.name} 第 {n} 行: label 应为 0 或 1，实际为 {rec['label']!r}")
            texts.append(rec[column] or "")
            y.append(int(rec["label"]))
    if not texts:
        raise ValueError(f"{path.name}: 没有评价")
    got = [p.sentiment for p in classify_whole(texts, model)]
    return OutsideScores(name=path.name, rows=len(y), positive_share=sum(y) / len(y), accuracy=accuracy(y, got),
                         macro_f1=macro_f1(y, got, [0, 1]), confusion=confusion(y, got, [0, 1]))


@dataclass
class Report:
    sentiment_rows: int
    sentiment_accuracy: float
    sentiment_macro_f1: float
    sentiment_confusion: list[list[int]]
    per_second: float
    per_cpu_second: float
    probes: list[tuple[str, int, int]] = field(default_factory=list)
    types: list[TypeScores] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    per_type: dict = field(default_factory=dict)
    type_confusion: list[list[int]] = field(default_factory=list)
    snownlp_rows: int = 0
    snownlp_accuracy: float = 0.0
    snownlp_ours_accuracy: float = 0.0
    snownlp_per_second: float = 0.0
    model_meta: dict = field(default_factory=dict)
    outside: list[OutsideScores] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = ["== 问题类型（人工标注的固定测试集；基线 = 关键词规则）=="]
        meta = self.model_meta
        if meta.get("complaint_train_rows"):
            dev = (f"，开发集评价 准确率 {meta['dev_reviews_accuracy']:.4f} / macro-F1 {meta['dev_reviews_macro_f1']:.4f}"
                   if meta.get("dev_reviews_accuracy") is not None else "")
            out.append(f"模型：训练集 {meta['complaint_train_rows']} 条选定设置{dev}（C = {meta.get('complaint_C')}，"
                       f"首句权重 {meta.get('first_clause_weight')}），再以训练集+开发集重新拟合；测试集从未参与")
        for t in self.types:
            out.append(f"{t.name}: {t.rows} 条  准确率 accuracy = {t.accuracy:.4f}   macro-F1 = {t.macro_f1:.4f}   "
                       f"（规则基线 {t.baseline_accuracy:.4f} / {t.baseline_macro_f1:.4f}）   "
                       f"主类型在标注类型集合中 {t.in_readers_set:.4f}   其他类型 F1 {t.others_f1:.4f}")
        if self.labels:
            out.append("各类型（评价+对话测试集）: precision  recall  F1  support")
            for lab in self.labels:
                p, r, f1, n = self.per_type[lab]
                out.append(f"  {lab:18s} {p:9.3f} {r:7.3f} {f1:5.3f} {n:8d}")
            out.append("混淆矩阵（行=人工标注，列=预测）: " + " ".join(f"{i}={lab}" for i, lab in enumerate(self.labels)))
            out.append("      " + "".join(f"{i:5d}" for i in range(len(self.labels))))
            for i, row in enumerate(self.type_confusion):
                out.append(f"  {i:3d} " + "".join(f"{v:5d}" for v in row))
        out += [
            "== 情感（按文本哈希固定留出的十分之一）==",
            f"留出集 {self.sentiment_rows} 条评价",
            f"情感 准确率 accuracy = {self.sentiment_accuracy:.4f}   macro-F1 = {self.sentiment_macro_f1:.4f}",
            "混淆矩阵（行=真实，列=预测；0 负面，1 正面）:",
            "         pred0  pred1",
            f"  true0 {self.sentiment_confusion[0][0]:6d} {self.sentiment_confusion[0][1]:6d}",
            f"  true1 {self.sentiment_confusion[1][0]:6d} {self.sentiment_confusion[1][1]:6d}",
        ]
        for text, want, got in self.probes:
            shown = text if len(text) <= 30 else f"{text[:12]}…{text[-14:]}（{len(text)} 字）"
            out.append(f"  检查 {'✓' if want == got else '✗'} {shown.replace(chr(10), '⏎')!r}: 应为 {want}，预测 {got}")
        for o in self.outside:
            out.append(f"情感（域外，不参与训练与选择）{o.name}: {o.rows} 条，正面占 {o.positive_share:.2f}  "
                       f"准确率 accuracy = {o.accuracy:.4f}   macro-F1 = {o.macro_f1:.4f}   "
                       f"混淆 true0 {o.confusion[0][0]}/{o.confusion[0][1]} true1 {o.confusion[1][0]}/{o.confusion[1][1]}")
        out.append(f"速度 shouhou: {self.per_second:,.0f} 条/秒（墙钟），{self.per_cpu_second:,.0f} 条/CPU秒"
                   "（单核；含规范化、情感、问题类型、方面）")
        if self.snownlp_rows:
            out += [
                f"SnowNLP 对比（同样的 {self.snownlp_rows} 条）: SnowNLP 准确率 {self.snownlp_accuracy:.4f}，"
                f"shouhou 准确率 {self.snownlp_ours_accuracy:.4f}",
                f"速度 SnowNLP: {self.snownlp_per_second:,.0f} 条/CPU秒",
            ]
        return out


def _type_scores(name, rows, preds, model_labels) -> TypeScores:
    truth = [r.main for r in rows]
    got = [p[0] for p in preds]
    base = [weak_label(r.text) for r in rows]
    labels = list(ComplaintType.values)
    tp = fp = fn = 0
    for r, (_main, others) in zip(rows, preds, strict=True):
        g, w = set(split_types(others)), set(r.others)
        tp, fp, fn = tp + len(g & w), fp + len(g - w), fn + len(w - g)
    return TypeScores(
        name=name, rows=len(rows), accuracy=accuracy(truth, got), macro_f1=macro_f1(truth, got, labels),
        baseline_accuracy=accuracy(truth, base), baseline_macro_f1=macro_f1(truth, base, labels),
        in_readers_set=sum(1 for r, g in zip(rows, got, strict=True) if g == r.main or g in r.others) / len(rows),
        others_f1=2 * tp / (2 * tp + fp + fn) if tp else 0.0)


def evaluate(*, csv_path: Path | None = None, model: ReviewModel | None = None, limit: int | None = None,
             snownlp_limit: int | None = None, with_snownlp: bool = False, labels_dir: Path = LABELS_DIR,
             outside: list[Path] | None = None) -> Report:
    model = model or default_model()
    all_rows = load_rows(csv_path)
    rows = [r for r in all_rows if r.text and is_sentiment_heldout(r.text)]
    if limit:
        rows = rows[:limit]
    if not rows:
        raise ValueError("留出集为空：数据太少")
    texts = [r.text for r in rows]
    y = [r.label for r in rows]
    model.predict(texts[:10])  # warm up (jieba dictionary, opencc table)
    c0, t0 = time.process_time(), time.perf_counter()
    preds = model.predict(texts)
    cpu, elapsed = time.process_time() - c0, time.perf_counter() - t0
    yp = [p.sentiment for p in preds]
    report = Report(sentiment_rows=len(rows), sentiment_accuracy=accuracy(y, yp),
                    sentiment_macro_f1=macro_f1(y, yp, [0, 1]), sentiment_confusion=confusion(y, yp, [0, 1]),
                    per_second=len(rows) / max(elapsed, 1e-9), per_cpu_second=len(rows) / max(cpu, 1e-9),
                    model_meta=dict(model.meta))
    report.probes = [(t, want, p.sentiment) for (t, want), p in zip(PROBES, model.predict([t for t, _ in PROBES]),
                                                                      strict=True)]

    labelled = load_labelled(all_rows, labels_dir) if (labels_dir / "reviews.csv").exists() else []
    test = [r for r in labelled if r.split == "test"]
    if test:
        sets = model.complaint_types([r.text for r in test])
        groups = [("评价 reviews", [i for i, r in enumerate(test) if r.source == "review"]),
                  ("对话开场（团队撰写）chat openings", [i for i, r in enumerate(test) if r.source != "review"]),
                  ("合计 all", list(range(len(test))))]
        for name, idx in groups:
            if idx:
                report.types.append(_type_scores(name, [test[i] for i in idx], [sets[i] for i in idx],
                                                 model.comp_classes))
        truth, got = [r.main for r in test], [s[0] for s in sets]
        report.labels = [c for c in ComplaintType.values if c in set(truth) | set(got)]
        report.per_type = per_label(truth, got, report.labels)
        report.type_confusion = confusion(truth, got, report.labels)

    report.outside = [outside_sentiment(path, model) for path in outside or []]
    if with_snownlp:
        from snownlp import SnowNLP

        sample = rows if not snownlp_limit else rows[:snownlp_limit]
        SnowNLP("热身").sentiments  # noqa: B018 - loads its model before timing
        c0 = time.process_time()
        snow = [1 if SnowNLP(r.text).sentiments >= 0.5 else 0 for r in sample]
        snow_elapsed = time.process_time() - c0
        report.snownlp_rows = len(sample)
        report.snownlp_accuracy = accuracy([r.label for r in sample], snow)
        report.snownlp_ours_accuracy = accuracy([r.label for r in sample], yp[: len(sample)])
        report.snownlp_per_second = len(sample) / max(snow_elapsed, 1e-9)
    return report
