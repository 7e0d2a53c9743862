"""Reproducible training and evaluation on the review CSV (settings.SHOUHOU["REVIEWS_CSV"])."""

from __future__ import annotations

import csv
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings

from shouhou.reviews.classifier.model import (
    MODEL_PATH,
    SEED,
    ReviewModel,
    featurize,
    is_heldout,
    text_hash,
)
from shouhou.reviews.classifier.normalize import normalize_text
from shouhou.reviews.classifier.rules import weak_label

LABELS_PATH = Path(__file__).resolve().parent.parent / "data" / "complaint_labels.csv"


@dataclass
class Row:
    index: int
    cat: str
    label: int
    text: str  # normalised


def dataset_path() -> Path:
    return Path(settings.SHOUHOU["REVIEWS_CSV"])


def load_rows(path: Path | None = None) -> list[Row]:
    path = path or dataset_path()
    if not path.exists():
        raise FileNotFoundError(f"找不到评价数据 {path}（设置 SHOUHOU_REVIEWS_CSV）")
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"label", "review"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path}: 缺少列 {', '.join(sorted(missing))}")
        for i, rec in enumerate(reader):
            try:
                label = int(rec["label"])
            except (TypeError, ValueError):
                raise ValueError(f"{path} 第 {i + 2} 行: label 应为 0 或 1，实际为 {rec['label']!r}") from None
            rows.append(Row(i, rec.get("cat") or "", label, normalize_text(rec["review"])))
    return rows


def write_complaint_labels(rows: list[Row], path: Path = LABELS_PATH) -> dict[int, str]:
    """Weak labels for every negative review: row index, text hash, label (no review text)."""
    labels = {r.index: weak_label(r.text) for r in rows if r.label == 0}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["row_index", "text_sha256_16", "cat", "complaint_type"])
        for r in rows:
            if r.label == 0:
                w.writerow([r.index, text_hash(r.text), r.cat, labels[r.index]])
    return labels


def train(*, csv_path: Path | None = None, out: Path = MODEL_PATH, log=print) -> ReviewModel:
    from sklearn.linear_model import LogisticRegression

    t0 = time.perf_counter()
    rows = load_rows(csv_path)
    # The label file lives next to the model: the shipped pair in the repo, or a pair elsewhere (tests).
    labels = write_complaint_labels(rows, LABELS_PATH if out == MODEL_PATH else out.with_name("complaint_labels.csv"))
    train_rows = [r for r in rows if not is_heldout(r.index)]
    log(f"读取 {len(rows)} 行，训练 {len(train_rows)} 行，留出 {len(rows) - len(train_rows)} 行")
    X = featurize([r.text for r in train_rows])
    y = np.array([r.label for r in train_rows])
    sent = LogisticRegression(C=8.0, solver="liblinear", random_state=SEED, max_iter=200)
    sent.fit(X, y)
    neg_mask = y == 0
    Xn = X[neg_mask]
    yn = [labels[r.index] for r, m in zip(train_rows, neg_mask, strict=True) if m]
    comp = LogisticRegression(C=8.0, solver="saga", random_state=SEED, max_iter=60, tol=1e-3)
    comp.fit(Xn, yn)
    model = ReviewModel(
        sent_coef=sent.coef_[0], sent_intercept=float(sent.intercept_[0]),
        comp_coef=comp.coef_, comp_intercept=comp.intercept_, comp_classes=[str(c) for c in comp.classes_],
        meta={"rows": len(rows), "train_rows": len(train_rows), "seed": SEED,
              "complaint_label_counts": dict(Counter(labels.values()))},
    )
    model.save(out)
    log(f"模型已写入 {out}（{out.stat().st_size / 1e6:.2f} MB，用时 {time.perf_counter() - t0:.1f}s）")
    return model
