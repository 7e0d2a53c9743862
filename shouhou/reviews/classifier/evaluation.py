"""Held-out evaluation of the classifier and the SnowNLP comparison (same rows, accuracy and speed)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from shouhou.reviews.classifier.model import ReviewModel, default_model, featurize, is_heldout
from shouhou.reviews.classifier.rules import weak_label
from shouhou.reviews.classifier.training import load_rows


def confusion(y_true: list, y_pred: list, labels: list) -> list[list[int]]:
    pos = {lab: i for i, lab in enumerate(labels)}
    m = [[0] * len(labels) for _ in labels]
    for t, p in zip(y_true, y_pred, strict=True):
        m[pos[t]][pos[p]] += 1
    return m


def macro_f1(y_true: list, y_pred: list, labels: list) -> float:
    f1s = []
    for lab in labels:
        tp = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == lab and p == lab)
        fp = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t != lab and p == lab)
        fn = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == lab and p != lab)
        denom = 2 * tp + fp + fn
        f1s.append(2 * tp / denom if denom else 0.0)
    return sum(f1s) / len(f1s) if f1s else 0.0


def accuracy(y_true: list, y_pred: list) -> float:
    return sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == p) / len(y_true) if y_true else 0.0


@dataclass
class Report:
    rows: int
    accuracy: float
    macro_f1: float
    confusion: list[list[int]]
    per_second: float
    per_cpu_second: float = 0.0
    snownlp_rows: int = 0
    snownlp_accuracy: float = 0.0
    snownlp_ours_accuracy: float = 0.0
    snownlp_per_second: float = 0.0
    complaint_rows: int = 0
    complaint_agreement: float = 0.0
    complaint_macro_f1: float = 0.0
    complaint_model_agreement: float = 0.0
    complaint_model_macro_f1: float = 0.0
    complaint_labels: list[str] = field(default_factory=list)
    complaint_confusion: list[list[int]] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"留出集 {self.rows} 条评价",
            f"情感 准确率 accuracy = {self.accuracy:.4f}   macro-F1 = {self.macro_f1:.4f}",
            "混淆矩阵（行=真实，列=预测；0 负面，1 正面）:",
            "         pred0  pred1",
            f"  true0 {self.confusion[0][0]:6d} {self.confusion[0][1]:6d}",
            f"  true1 {self.confusion[1][0]:6d} {self.confusion[1][1]:6d}",
            f"速度 shouhou: {self.per_second:,.0f} 条/秒（墙钟），{self.per_cpu_second:,.0f} 条/CPU秒（单核；含规范化、情感、问题类型、方面）",
        ]
        if self.snownlp_rows:
            out += [
                f"SnowNLP 对比（同样的 {self.snownlp_rows} 条）: SnowNLP 准确率 {self.snownlp_accuracy:.4f}，"
                f"shouhou 准确率 {self.snownlp_ours_accuracy:.4f}",
                f"速度 SnowNLP: {self.snownlp_per_second:,.0f} 条/CPU秒",
            ]
        if self.complaint_rows:
            out += [
                f"问题类型（留出集中被判为负面的 {self.complaint_rows} 条真实负面评价，对照规则弱标签）:",
                f"  仅模型（泛化能力）: 一致率 {self.complaint_model_agreement:.4f}   "
                f"macro-F1 = {self.complaint_model_macro_f1:.4f}",
                f"  线上方式（规则命中用规则，否则用模型）: 一致率 {self.complaint_agreement:.4f}   "
                f"macro-F1 = {self.complaint_macro_f1:.4f}",
                "线上方式的混淆矩阵（行=规则标签，列=预测）: " + " ".join(self.complaint_labels),
            ]
            for lab, row in zip(self.complaint_labels, self.complaint_confusion, strict=True):
                out.append(f"  {lab:18s} " + " ".join(f"{v:5d}" for v in row))
        return out


def evaluate(*, csv_path: Path | None = None, model: ReviewModel | None = None, limit: int | None = None,
             snownlp_limit: int | None = None, with_snownlp: bool = True) -> Report:
    model = model or default_model()
    rows = [r for r in load_rows(csv_path) if is_heldout(r.index)]
    if limit:
        rows = rows[:limit]
    if not rows:
        raise ValueError("留出集为空：数据太少")
    texts = [r.text for r in rows]
    y = [r.label for r in rows]
    model.predict(texts[:10])  # warm up caches (opencc table, vectoriser)
    c0, t0 = time.process_time(), time.perf_counter()
    preds = model.predict(texts)
    cpu, elapsed = time.process_time() - c0, time.perf_counter() - t0
    yp = [p.sentiment for p in preds]
    report = Report(rows=len(rows), accuracy=accuracy(y, yp), macro_f1=macro_f1(y, yp, [0, 1]),
                    confusion=confusion(y, yp, [0, 1]), per_second=len(rows) / max(elapsed, 1e-9),
                    per_cpu_second=len(rows) / max(cpu, 1e-9))

    neg = [(r, p) for r, p in zip(rows, preds, strict=True) if r.label == 0 and p.sentiment == 0]
    if neg:
        truth = [weak_label(r.text) for r, _ in neg]
        got = [p.complaint_type for _, p in neg]
        labels = sorted(set(truth) | set(got))
        report.complaint_rows = len(neg)
        report.complaint_agreement = accuracy(truth, got)
        report.complaint_macro_f1 = macro_f1(truth, got, labels)
        report.complaint_labels = labels
        report.complaint_confusion = confusion(truth, got, labels)
        model_only = model.complaint_labels(featurize([r.text for r, _ in neg]))
        report.complaint_model_agreement = accuracy(truth, model_only)
        report.complaint_model_macro_f1 = macro_f1(truth, model_only, sorted(set(truth) | set(model_only)))

    if with_snownlp:
        from snownlp import SnowNLP

        sample = rows if not snownlp_limit else rows[:snownlp_limit]
        sample_texts = [r.text or "。" for r in sample]
        SnowNLP("热身").sentiments  # noqa: B018 - loads its model before timing
        c0 = time.process_time()
        snow = [1 if SnowNLP(t).sentiments >= 0.5 else 0 for t in sample_texts]
        snow_elapsed = time.process_time() - c0
        report.snownlp_rows = len(sample)
        report.snownlp_accuracy = accuracy([r.label for r in sample], snow)
        report.snownlp_ours_accuracy = accuracy([r.label for r in sample], yp[: len(sample)])
        report.snownlp_per_second = len(sample) / max(snow_elapsed, 1e-9)
    return report
