"""Plain metrics (no scikit-learn needed at run time): accuracy, per-type precision/recall, macro-F1, confusion."""

from __future__ import annotations


def confusion(y_true: list, y_pred: list, labels: list) -> list[list[int]]:
    pos = {lab: i for i, lab in enumerate(labels)}
    m = [[0] * len(labels) for _ in labels]
    for t, p in zip(y_true, y_pred, strict=True):
        m[pos[t]][pos[p]] += 1
    return m


def per_label(y_true: list, y_pred: list, labels: list) -> dict:
    """label -> (precision, recall, f1, support)."""
    out = {}
    for lab in labels:
        tp = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == lab and p == lab)
        fp = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t != lab and p == lab)
        fn = sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == lab and p != lab)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        out[lab] = (precision, recall, f1, tp + fn)
    return out


def macro_f1(y_true: list, y_pred: list, labels: list) -> float:
    """Mean F1 over the labels that occur in the truth or the predictions (absent ones would count as 0)."""
    present = [lab for lab in labels if lab in set(y_true) | set(y_pred)]
    stats = per_label(y_true, y_pred, present)
    return sum(s[2] for s in stats.values()) / len(stats) if stats else 0.0


def accuracy(y_true: list, y_pred: list) -> float:
    return sum(1 for t, p in zip(y_true, y_pred, strict=True) if t == p) / len(y_true) if y_true else 0.0
