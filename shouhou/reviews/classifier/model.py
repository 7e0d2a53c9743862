"""The review classifier: TF-IDF features (hashed character n-grams + jieba words) and linear models.

- sentiment: NB-weighted logistic regression (1 positive / 0 negative) over the whole text (long texts keep
  head and tail, see normalize.py), `sentiment_score` = the probability of positive, read in two stages: a
  char n-gram model first, then, for every text it does not read as clearly positive (below SENT_SCREEN), a
  model on char n-grams + jieba words (better in and out of domain; the negatives need their words for the
  complaint type anyway, so the words are cut once and used twice); both read the text through
  `normalize.sentiment_view` (negation rewrites: 「一点也不差」, 「完全没有异味」, 「不是很满意」); one rule on top, kept
  because it adds precision on dev: a text read positive whose part after its last turn word (但是, 可是,
  可惜 …) names a serious fault (发错, 坏了, 假货, 退货 …) and scores negative on its own is negative
  (「很好\n但是发错货了」, a long page of praise that ends 「可惜尺码发错了…很失望」);
- complaint type: a class-balanced linear SVM trained on the human labels of data/labels/ (main type), on
  char n-grams, jieba words and the first clause's char n-grams; the other types from one L1 logistic
  regression per type on the same features ("is this type among the reader's types?"), above a logit chosen on
  dev (a model file without them falls back to the types within a margin of the main one).

Everything is linear in the features, so prediction is a few sparse matrix products per batch, and the
shipped file holds only idf vectors, a word vocabulary and weights (float16, xz-compressed).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from shouhou.reviews.classifier import features as F
from shouhou.reviews.classifier.normalize import normalize_text, sentiment_view
from shouhou.reviews.classifier.rules import (
    aspect_of,
    drop_unsupported_others,
    praised_main_type,
    precise_rule_type,
)
from shouhou.reviews.classifier.taxonomy import MAX_OTHERS, ComplaintType

MODEL_PATH = Path(__file__).resolve().parent.parent / "data" / "review_model.joblib"
MODEL_VERSION = 4  # the second sentiment stage is optional in the file (absent: the char model alone)
# The char model's probability of positive at or above which a text is read positive without its jieba words:
# on the sentiment dev tenth, every threshold from 0.8 to 0.98 gave the words model's accuracy, and 0.8 cuts
# words for 58 % of texts instead of 77 % (docs/reviews.md, "Fifth round").
SENT_SCREEN = 0.8
SEED = 20261205
# Sentiment held-out split: a stable hash of the normalised text (so a duplicate text is always on the
# same side), one in ten.
SENTIMENT_HELDOUT_MOD = 10


def is_sentiment_heldout(text: str) -> bool:
    return int(hashlib.sha256(text.encode("utf-8")).hexdigest()[:8], 16) % SENTIMENT_HELDOUT_MOD == 0


def text_hash(text: str) -> str:
    """Short stable fingerprint of a review text (we keep hashes in the repo, never the text)."""
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()[:16]


@dataclass
class FeatureSpec:
    """How texts become a feature matrix: hashed char n-grams, + jieba words when `vocab` is set, + the
    char n-grams of the first clause (weighted by `first_weight`) when `first_idf` is set."""

    ngrams: tuple[int, int]
    char_idf: np.ndarray
    vocab: dict[str, int] | None = None
    word_idf: np.ndarray | None = None
    first_idf: np.ndarray | None = None
    first_weight: float = 0.0

    @property
    def width(self) -> int:
        return (F.N_CHAR + (len(self.vocab) if self.vocab is not None else 0)
                + (F.N_FIRST if self.first_idf is not None else 0))

    def transform(self, texts: Sequence[str], char_counts=None, word_docs: Sequence[list[str]] | None = None):
        """`char_counts` / `word_docs`: the texts' char n-gram counts and jieba words when already computed."""
        from scipy.sparse import hstack

        if char_counts is None:
            char_counts = F.char_counts(texts, self.ngrams)
        blocks = [F.tfidf(char_counts, self.char_idf)]
        if self.vocab is not None:
            if word_docs is None:
                word_docs = [F.words(t) for t in texts]
            blocks.append(F.tfidf(F.word_counts(word_docs, self.vocab), self.word_idf))
        if self.first_idf is not None:
            first = F.tfidf(F.char_counts(F.first_clauses(texts), self.ngrams, F.N_FIRST), self.first_idf)
            first.data *= self.first_weight
            blocks.append(first)
        return blocks[0] if len(blocks) == 1 else hstack(blocks, format="csr")

    @classmethod
    def fit(cls, texts: Sequence[str], *, ngrams: tuple[int, int], words: bool, min_df: int = 2,
            first_weight: float = 0.0) -> FeatureSpec:
        spec = cls(ngrams, F.fit_idf(F.char_counts(texts, ngrams)))
        if words:
            docs = [F.words(t) for t in texts]
            spec.vocab = F.word_vocabulary(docs, min_df=min_df)
            spec.word_idf = F.fit_idf(F.word_counts(docs, spec.vocab))
        if first_weight:
            spec.first_idf = F.fit_idf(F.char_counts(F.first_clauses(texts), ngrams, F.N_FIRST))
            spec.first_weight = first_weight
        return spec

    def dump(self) -> dict:
        return {"ngrams": list(self.ngrams), "char_idf": self.char_idf.astype(np.float16),
                "vocab": None if self.vocab is None else sorted(self.vocab, key=self.vocab.get),
                "word_idf": None if self.word_idf is None else self.word_idf.astype(np.float16),
                "first_idf": None if self.first_idf is None else self.first_idf.astype(np.float16),
                "first_weight": float(self.first_weight)}

    @classmethod
    def load(cls, d: dict) -> FeatureSpec:
        vocab = None if d["vocab"] is None else {t: i for i, t in enumerate(d["vocab"])}
        word_idf = None if d["word_idf"] is None else d["word_idf"].astype(np.float32)
        first_idf = None if d.get("first_idf") is None else d["first_idf"].astype(np.float32)
        return cls(tuple(d["ngrams"]), d["char_idf"].astype(np.float32), vocab, word_idf, first_idf,
                   float(d.get("first_weight", 0.0)))


# The complaint-after-praise rule (see the module docstring). On the sentiment dev slice it turned 4
# positive-read reviews negative, 3 of them rightly; without the fault words it lost accuracy at every
# threshold (mild 「就是…」 remarks are positive in this data).
_TURN = re.compile(r"(但是|可是|可惜|然而|不过|但)")
_SERIOUS_FAULT = re.compile(r"发错|错发|少发|漏发|坏的|坏了|破了|碎了|假货|退货|退款|退换|失望|差评|投诉|不能用|用不了|上当|骗")
TAIL_NEGATIVE_BELOW = 0.2


def complaint_after_turn(text: str) -> str:
    """The part of `text` from its last turn word on, when it names a serious fault; else ''."""
    parts = _TURN.split(text)
    if len(parts) < 3:
        return ""
    tail = "".join(parts[-2:])
    return tail if _SERIOUS_FAULT.search(tail) else ""


@dataclass(frozen=True)
class Prediction:
    sentiment: int
    sentiment_score: float
    complaint_type: str
    aspect: str
    complaint_others: str = ""  # further types, `|`-joined (multi-label)
    # A "mixed" review: read positive (sentiment stays 1), yet one of its clauses is a clear complaint, whose
    # type is named (whole.name_mixed_complaints; docs/reviews.md, "Mixed reviews").
    mixed: bool = False


@dataclass
class ReviewModel:
    sent_features: FeatureSpec
    sent_coef: np.ndarray            # (width,)
    sent_intercept: float
    comp_features: FeatureSpec
    comp_coef: np.ndarray            # (n_classes, width)
    comp_intercept: np.ndarray       # (n_classes,)
    comp_classes: list[str]
    others_margin: float = 0.0               # without an others model: a type within this margin of the main one
    meta: dict = field(default_factory=dict)
    # the second stage of sentiment (char n-grams + jieba words); None: the char model alone decides
    sent_words_features: FeatureSpec | None = None
    sent_words_coef: np.ndarray | None = None
    sent_words_intercept: float = 0.0
    # the other types: one L1 logistic regression per type on the complaint features ("is this type among the
    # reader's types?"); a type other than the main one whose logit is above `others_threshold` is an other type
    others_coef: object | None = None        # scipy CSR (n_others, width), mostly zeros
    others_intercept: np.ndarray | None = None
    others_classes: list[str] = field(default_factory=list)
    others_threshold: float = 0.0

    # -- sentiment -------------------------------------------------------------------------------------
    def _sent_w(self):
        w = getattr(self, "_sent_w_cache", None)
        if w is None:
            w = self._sent_w_cache = self.sent_coef.astype(np.float32)
        return w

    def sentiment_scores(self, texts: Sequence[str], char_counts=None,
                         word_docs: dict[int, list[str]] | None = None) -> np.ndarray:
        """Probability of positive per text. `word_docs`, when given, receives the jieba words cut for the
        second stage (text index → words), for the complaint type to reuse."""
        if char_counts is None:
            char_counts = F.char_counts(texts, self.sent_features.ngrams)
        scores = _sigmoid(self.sent_features.transform(texts, char_counts) @ self._sent_w() + self.sent_intercept)
        if self.sent_words_features is None:
            return scores
        unsure = np.flatnonzero(scores < SENT_SCREEN)
        if len(unsure):
            docs = [F.words(texts[i]) for i in unsure]
            if word_docs is not None:
                word_docs.update(zip(unsure.tolist(), docs, strict=True))
            X = self.sent_words_features.transform([texts[i] for i in unsure], char_counts[unsure], docs)
            scores[unsure] = _sigmoid(X @ self._sent_words_w() + self.sent_words_intercept)
        return scores

    def _sent_words_w(self):
        w = getattr(self, "_sent_words_w_cache", None)
        if w is None:
            w = self._sent_words_w_cache = self.sent_words_coef.astype(np.float32)
        return w

    # -- complaint type --------------------------------------------------------------------------------
    def _comp_t(self):
        cached = getattr(self, "_comp_t_cache", None)
        if cached is None:
            cached = self._comp_t_cache = np.ascontiguousarray(self.comp_coef.astype(np.float32).T)
        return cached

    def complaint_scores(self, texts: Sequence[str], char_counts=None,
                         word_docs: Sequence[list[str]] | None = None) -> np.ndarray:
        return self.complaint_outputs(texts, char_counts, word_docs)[0]

    def complaint_outputs(self, texts: Sequence[str], char_counts=None,
                          word_docs: Sequence[list[str]] | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """(main-type scores, other-type logits or None without an others model), from one feature matrix."""
        if len(texts) == 0:
            return np.zeros((0, len(self.comp_classes)), dtype=np.float32), None
        X = self.comp_features.transform(texts, char_counts, word_docs)
        scores = np.asarray(X @ self._comp_t()) + self.comp_intercept
        if self.others_coef is None:
            return scores, None
        return scores, np.asarray((X @ self.others_coef.T).todense()) + self.others_intercept

    def complaint_types(self, texts: Sequence[str]) -> list[tuple[str, str]]:
        """(main type, other types `|`-joined) of normalised texts read as complaints."""
        scores, others_logits = self.complaint_outputs(texts)
        return self.complaint_sets(scores, texts, others_logits)

    def complaint_labels(self, texts: Sequence[str]) -> list[str]:
        return [main for main, _others in self.complaint_sets(self.complaint_scores(texts), texts)]

    def complaint_sets(self, scores: np.ndarray, texts: Sequence[str] | None = None,
                       others_logits: np.ndarray | None = None) -> list[tuple[str, str]]:
        """(main type, other types `|`-joined) from the scores; with the texts, a kept rule that fires
        decides the main type (the model's main type then becomes an other type). The other types come from
        the others model's logits when given, else from the margin; with the texts, a type named only in a
        negation or in praise is taken out of them (rules.drop_unsupported_others)."""
        out = []
        no_others = {ComplaintType.NONE.value, ComplaintType.OTHER.value}
        for k, row in enumerate(scores):
            order = np.argsort(-row)
            main = self.comp_classes[order[0]]
            if others_logits is not None:
                logits = others_logits[k]
                others = [self.others_classes[j] for j in np.argsort(-logits)
                          if logits[j] > self.others_threshold and self.others_classes[j] != main
                          and self.others_classes[j] not in no_others][:MAX_OTHERS]
            else:
                others = [self.comp_classes[j] for j in order[1:1 + MAX_OTHERS]
                          if row[order[0]] - row[j] <= self.others_margin and self.comp_classes[j] not in no_others]
            ruled = precise_rule_type(texts[k]) if texts is not None else ""
            if ruled and ruled != main:
                others = [c for c in [main, *others] if c != ruled and c not in no_others][:MAX_OTHERS]
                main = ruled
            if texts is not None and main not in no_others and praised_main_type(texts[k], main):
                # the model's first type is only praised: the next one the text names, among the other types
                # first, else by score (not none/other, and not praised either)
                ranked = [*others, *(self.comp_classes[j] for j in order[1:])]
                nxt = next((c for c in ranked if c != main and c not in no_others
                            and not praised_main_type(texts[k], c)), "")
                if nxt:
                    others = [c for c in others if c not in (main, nxt)]
                    main = nxt
            if texts is not None and others:
                others = drop_unsupported_others(texts[k], others)
            out.append((main, "|".join(others) if main not in no_others else ""))
        return out

    # -- both ------------------------------------------------------------------------------------------
    def predict(self, texts: Iterable[object]) -> list[Prediction]:
        norm = [normalize_text(t) for t in texts]
        if not norm:
            return []
        # The sentiment models read the text with their negation rewrites; the complaint type reads `norm`,
        # reusing the sentiment's char n-grams and jieba words wherever the two texts are the same.
        sent = [sentiment_view(t) for t in norm]
        counts = F.char_counts(sent, self.sent_features.ngrams)
        docs: dict[int, list[str]] = {}
        scores = self.sentiment_scores(sent, counts, docs)
        negative = scores < 0.5
        tails = {i: t for i, text in enumerate(norm) if not negative[i] and (t := complaint_after_turn(text))}
        if tails:
            tail_scores = self.sentiment_scores([sentiment_view(t) for t in tails.values()])
            for i, tail_score in zip(tails, tail_scores, strict=True):
                if tail_score < TAIL_NEGATIVE_BELOW:
                    negative[i], scores[i] = True, tail_score
        negative_idx = [i for i in range(len(norm)) if negative[i] and norm[i]]
        negative_texts = [norm[i] for i in negative_idx]
        comp_counts = None
        if self.comp_features.ngrams == self.sent_features.ngrams and negative_idx:
            comp_counts = self._counts_of_norm(counts, sent, norm, negative_idx)
        comp_scores, others_logits = self.complaint_outputs(
            negative_texts, comp_counts,
            [docs[i] if i in docs and sent[i] is norm[i] else F.words(norm[i]) for i in negative_idx]
            if self.comp_features.vocab is not None else None)
        comp = dict(zip(negative_idx, self.complaint_sets(comp_scores, negative_texts, others_logits), strict=True))
        out = []
        for i, text in enumerate(norm):
            if not text:
                # Nothing to read: neutral score, counted positive (no complaint to recover).
                out.append(Prediction(1, 0.5, str(ComplaintType.NONE), ""))
                continue
            score = float(scores[i])
            if not negative[i]:
                out.append(Prediction(1, round(score, 4), str(ComplaintType.NONE), aspect_of(text)))
                continue
            main, others = comp[i]
            if main == ComplaintType.NONE:
                # Read negative, but the type model sees no complaint: keep it negative, type unnamed.
                main = str(ComplaintType.OTHER)
            out.append(Prediction(0, round(score, 4), main, aspect_of(text), others))
        return out

    def _counts_of_norm(self, counts, sent: list[str], norm: list[str], rows: list[int]):
        """The char n-gram counts of `norm[i]` for i in `rows`, taken from `counts` (those of `sent`) where the
        sentiment view left the text as it was, counted afresh where it rewrote it."""
        from scipy.sparse import vstack

        rewritten = [i for i in rows if sent[i] is not norm[i]]
        if not rewritten:
            return counts[rows]
        extra = F.char_counts([norm[i] for i in rewritten], self.sent_features.ngrams)
        at = {i: counts.shape[0] + k for k, i in enumerate(rewritten)}
        return vstack([counts, extra], format="csr")[[at.get(i, i) for i in rows]]

    def save(self, path: Path = MODEL_PATH) -> Path:
        import joblib

        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump({
            "version": MODEL_VERSION,
            "sent_features": self.sent_features.dump(),
            "sent_coef": self.sent_coef.astype(np.float16),
            "sent_intercept": float(self.sent_intercept),
            "comp_features": self.comp_features.dump(),
            "comp_coef": self.comp_coef.astype(np.float16),
            "comp_intercept": self.comp_intercept.astype(np.float32),
            "comp_classes": list(self.comp_classes),
            "others_margin": float(self.others_margin),
            "meta": self.meta,
            "sent_words_features": None if self.sent_words_features is None else self.sent_words_features.dump(),
            "sent_words_coef": None if self.sent_words_coef is None else self.sent_words_coef.astype(np.float16),
            "sent_words_intercept": float(self.sent_words_intercept),
            "others_coef": None if self.others_coef is None else self.others_coef.astype(np.float32),
            "others_intercept": None if self.others_intercept is None else self.others_intercept.astype(np.float32),
            "others_classes": list(self.others_classes),
            "others_threshold": float(self.others_threshold),
        }, path, compress=("xz", 6))
        return path

    @classmethod
    def load(cls, path: Path = MODEL_PATH) -> ReviewModel:
        import joblib

        if not path.exists():
            raise FileNotFoundError(f"找不到评价模型文件 {path}，请先运行 `shouhou reviews train`")
        data = joblib.load(path)
        if data.get("version") != MODEL_VERSION:
            raise ValueError(f"评价模型版本 {data.get('version')} 与代码版本 {MODEL_VERSION} 不符，请重新训练")
        return cls(sent_features=FeatureSpec.load(data["sent_features"]), sent_coef=data["sent_coef"],
                   sent_intercept=data["sent_intercept"], comp_features=FeatureSpec.load(data["comp_features"]),
                   comp_coef=data["comp_coef"], comp_intercept=data["comp_intercept"],
                   comp_classes=data["comp_classes"], others_margin=data["others_margin"], meta=data["meta"],
                   sent_words_features=None if data.get("sent_words_features") is None
                   else FeatureSpec.load(data["sent_words_features"]),
                   sent_words_coef=data.get("sent_words_coef"),
                   sent_words_intercept=data.get("sent_words_intercept", 0.0),
                   others_coef=data.get("others_coef"), others_intercept=data.get("others_intercept"),
                   others_classes=list(data.get("others_classes") or []),
                   others_threshold=data.get("others_threshold", 0.0))


def _sigmoid(z) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(z)))


@lru_cache(maxsize=1)
def default_model() -> ReviewModel:
    return ReviewModel.load(MODEL_PATH)


def classify_texts(texts: Iterable[object]) -> list[Prediction]:
    """Classify many texts in one batch (set-based: one featurisation, a few matrix products)."""
    return default_model().predict(list(texts))


def classify_text(text: object) -> Prediction:
    return classify_texts([text])[0]
