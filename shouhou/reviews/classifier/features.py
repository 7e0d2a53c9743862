"""Features for the classifier, computed for a whole batch at once.

- character 1–3-grams, hashed into 2^18 columns with numpy (no Python loop per n-gram);
- jieba words and word bigrams, looked up in the vocabulary kept from training (dictionary mode, no
  HMM: about 3× faster and as good here; cut by jieba-rs through rjieba, which gives the same words);
- for the complaint type, the character n-grams of the first clause again, in their own block (the
  guideline's main type is, when two weigh the same, the first mentioned);
- TF-IDF weighting as scikit-learn's `TfidfVectorizer(sublinear_tf=True)`: 1 + log(count), times the idf
  kept from training, each block L2-normalised.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from rjieba import cut as _cut

N_CHAR = 2**18
N_FIRST = 2**17
CHAR_NGRAMS = (1, 3)

_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xC2B2AE3D27D4EB4F)
_M3 = np.uint64(0x165667B19E3779F9)
_SALT = {1: np.uint64(0x27D4EB2F165667C5), 2: np.uint64(0x85EBCA77C2B2AE63), 3: np.uint64(0xFF51AFD7ED558CCD),
         4: np.uint64(0xA0761D6478BD642F), 5: np.uint64(0xE7037ED1A0B428DB)}


def _mix(h: np.ndarray) -> np.ndarray:
    h ^= h >> np.uint64(31)
    h *= _M2
    h ^= h >> np.uint64(29)
    return h


def char_counts(texts: Sequence[str], ngrams: tuple[int, int] = CHAR_NGRAMS, n_features: int = N_CHAR):
    """Hashed character n-gram counts (n_texts × n_features CSR, float32, not normalised).

    The texts are joined with NUL separators into one array of code points, and every n-gram that does
    not cross a separator is hashed with 64-bit multiply-xorshift."""
    from scipy.sparse import csr_matrix

    n_docs = len(texts)
    if n_docs == 0:
        return csr_matrix((0, n_features), dtype=np.float32)
    joined = "\x00".join(t.replace("\x00", " ") for t in texts) + "\x00"
    cp = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    lens = np.fromiter((len(t) for t in texts), count=n_docs, dtype=np.int64)
    doc = np.repeat(np.arange(n_docs, dtype=np.int64), lens + 1)
    ok = cp != 0
    cols, rows = [], []
    with np.errstate(over="ignore"):
        a = cp * _M1
        for n in range(ngrams[0], ngrams[1] + 1):
            if len(cp) < n:
                continue
            m = len(cp) - n + 1
            valid = ok[:m].copy()
            h = a[:m] ^ _SALT[n]
            for k in range(1, n):
                valid &= ok[k:k + m]
                h = (h * _M3) ^ (cp[k:k + m] * _M1)
            h = _mix(h)
            cols.append((h[valid] % np.uint64(n_features)).astype(np.int64))
            rows.append(doc[:m][valid])
    col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    X = csr_matrix((np.ones(len(col), dtype=np.float32), (row, col)), shape=(n_docs, n_features))
    X.sum_duplicates()
    return X


_CLAUSE_END = re.compile(r"[,.!?;~，。！？；、…\n]+")


def first_clauses(texts: Sequence[str]) -> list[str]:
    """The first non-empty clause of each text (up to the first , . ! ? ; … after normalisation)."""
    out = []
    for t in texts:
        for part in _CLAUSE_END.split(t):
            if part.strip():
                out.append(part)
                break
        else:
            out.append("")
    return out


def l2_normalise(X):
    sq = np.zeros(X.shape[0], dtype=np.float32)
    nz_rows = np.diff(X.indptr) > 0
    if nz_rows.any():
        sq[nz_rows] = np.add.reduceat(X.data * X.data, X.indptr[:-1][nz_rows])
    norms = np.sqrt(sq)
    norms[norms == 0] = 1.0
    X.data /= np.repeat(norms, np.diff(X.indptr))
    return X


def tfidf(X, idf: np.ndarray | None):
    """Sublinear tf (1 + log count) times idf, L2-normalised rows (in place on a copy of X)."""
    X = X.astype(np.float32, copy=True)
    np.log(X.data, out=X.data)
    X.data += 1.0
    if idf is not None:
        X.data *= idf[X.indices]
    return l2_normalise(X)


def fit_idf(X) -> np.ndarray:
    """Smoothed idf as scikit-learn: ln((1 + n) / (1 + df)) + 1."""
    n = X.shape[0]
    df = np.bincount(X.indices, minlength=X.shape[1])
    return (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)


def words(text: str) -> list[str]:
    """jieba words (dictionary mode, no HMM) and adjacent word bigrams; spaces dropped. The cut is jieba-rs's
    (rjieba): the same dictionary and algorithm as the Python jieba the model was first trained with — the
    same words for all 50,221 texts of the review CSV — at about 17× the speed (docs/reviews.md, "Sixth round")."""
    toks = [t for t in _cut(text, hmm=False) if not t.isspace()]
    return toks + [a + " " + b for a, b in zip(toks, toks[1:], strict=False)]


def word_vocabulary(docs: Sequence[list[str]], min_df: int = 2) -> dict[str, int]:
    df: dict[str, int] = {}
    for toks in docs:
        for t in set(toks):
            df[t] = df.get(t, 0) + 1
    kept = sorted(t for t, c in df.items() if c >= min_df)
    return {t: i for i, t in enumerate(kept)}


def word_counts(docs: Sequence[list[str]], vocab: dict[str, int]):
    from scipy.sparse import csr_matrix

    indptr = [0]
    indices: list[int] = []
    get = vocab.get
    for toks in docs:
        for t in toks:
            j = get(t)
            if j is not None:
                indices.append(j)
        indptr.append(len(indices))
    X = csr_matrix((np.ones(len(indices), dtype=np.float32), np.array(indices, dtype=np.int64),
                    np.array(indptr, dtype=np.int64)), shape=(len(docs), len(vocab)))
    X.sum_duplicates()
    return X
