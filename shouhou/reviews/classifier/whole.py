"""Classify each text whole (the entry point of `shouhou reviews classify`).

- A line break inside a review changes nothing: it is dropped (a space only between two Latin letters or
  digits), so 「还行吧\n一般般」 is classified exactly as 「还行吧一般般」 (it was not: the break became a space,
  which made new character n-grams and flipped some labels).
- A text longer than the classifier reads (normalize.MAX_CHARS) is also read sentence by sentence, in
  windows of up to two sentences (at most WINDOW characters), and the most negative reading decides: a
  complaint at the end or in the middle of a long review is never cut off. For after-sales one real
  complaint in a long review is what matters; the price is that a long review whose one sentence the
  model misreads as negative is labelled negative.
- A text with no Chinese character once normalised (English, digits, punctuation; an emoji counts, it becomes
  赞/差) is not given to the model, which learnt from Chinese reviews only and read every such text as a
  complaint (「Great product, love it!」 negative, `dislike`; 「666」 negative): it is scored as an empty text is
  (0.5, counted positive, type `none`). A low star rating still makes a stored review negative (type `other`).
  So is a platform's placeholder for a review without words (「系统默认好评」「此用户没有填写评价。」: is_placeholder).
- A text read positive that holds a clear complaint (a "mixed" review, 「裙子很漂亮，只是说好的腰带没给」) keeps its
  sentiment but gets the complaint's type (`mixed=True`, name_mixed_complaints): its whole-text score is below
  MIXED_BELOW, one of its clauses read on its own scores below MIXED_CLAUSE_BELOW, and the type model names a
  type (not `none` / `other`) with a margin of MIXED_MARGIN over the next one. The three were chosen on a dev
  tenth of the review data; docs/reviews.md, "Mixed reviews", has the figures.
The classifier itself (model, features, taxonomy) is untouched; this only prepares what it is given."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from shouhou.reviews.classifier import normalize
from shouhou.reviews.classifier.model import Prediction, ReviewModel, default_model
from shouhou.reviews.classifier.taxonomy import ComplaintType

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_BREAKS = re.compile(r"(?:\r\n|[\r\n\u2028\u2029\x0b\x0c\x85])+")
_SENTENCE = re.compile(r"[^。！？!?；;…]+[。！？!?；;…]*")
WINDOW = 200
# Mixed reviews (chosen on the sentiment dev tenth with the models fitted without it: of the positive reviews
# 1.0 % were given a type, of the negative reviews read positive 26 of 137; docs/reviews.md, "Mixed reviews").
MIXED_BELOW = 0.7          # the whole text's probability of positive must be below this …
MIXED_CLAUSE_BELOW = 0.15  # … one clause (two Chinese characters or more), read alone, below this …
MIXED_MARGIN = 0.5         # … and the type model's type ahead of the next one by this much
_CLAUSE = re.compile(r"[^，,。！？!?；;…~～\s]+")


def one_line(text: str) -> str:
    """`text` without its line breaks: dropped, or a space between two ASCII letters/digits."""
    def join(match: re.Match[str]) -> str:
        before = text[match.start() - 1] if match.start() else ""
        after = text[match.end()] if match.end() < len(text) else ""
        return " " if before.isascii() and before.isalnum() and after.isascii() and after.isalnum() else ""

    return _BREAKS.sub(join, text)


def windows(text: str, size: int = WINDOW) -> list[str]:
    """Runs of one and two consecutive sentences (each at most `size` characters; a longer sentence is cut
    into `size`-character pieces)."""
    sentences: list[str] = []
    for sentence in _SENTENCE.findall(text) or [text]:
        sentences += [sentence[i:i + size] for i in range(0, len(sentence), size)]
    out = list(sentences)
    out += [a + b for a, b in zip(sentences, sentences[1:], strict=False) if len(a + b) <= size]
    return out


# What a platform writes when the buyer wrote nothing (淘宝 「此用户没有填写评价。」「评价方未及时做出评价，系统默认好评！」,
# 京东 「此用户未填写评价内容」, 抖店 「用户默认好评」 …): no words of the buyer's, so read as an empty text —
# a tester's 5-star 「系统默认好评」 opened a recovery task as `other`, 「该用户未填写评价内容」 as `dislike`.
_PLACEHOLDER = re.compile(
    r"(?:评价方未及时做出评价[，,]?)?(?:系统|用户)?默认(?:好评|评价)|"
    r"(?:该|此|这个)?(?:用户|买家|顾客)?(?:未|没有|没)(?:及时)?(?:填写|做出|发表|留下)(?:文字|任何)?(?:评价|评论)(?:内容)?|"
    r"(?:该|此)(?:用户|买家)觉得商品(?:很好|非常好|不错|较好|挺好)[^。！!]{0,12}")
_PLACEHOLDER_REST = re.compile(r"[\s，,。.！!~～、]*")


def is_placeholder(text: object) -> bool:
    """A platform's stand-in for a review without words (and nothing else in the text)."""
    if not isinstance(text, str):
        return False
    return bool(_PLACEHOLDER_REST.fullmatch(_PLACEHOLDER.sub("", text.strip())) and _PLACEHOLDER.search(text))


def readable(text: object) -> bool:
    """Whether the classifier can read the text: it holds a Chinese character (or does once normalised), and
    it is not a platform's placeholder for a review without words."""
    if is_placeholder(text):
        return False
    if isinstance(text, str) and _HAN.search(text):
        return True
    return bool(_HAN.search(normalize.normalize_text(text)))


UNREAD = Prediction(1, 0.5, "none", "")  # as an empty text: nothing the model can read, nothing to recover


def classify_whole(texts: list[object], model: ReviewModel | None = None) -> list[Prediction]:
    """One prediction per text, reading all of every text (in one batch for the model)."""
    pieces: list[str] = []
    spans: list[tuple[int, int]] = []
    for text in texts:
        if not readable(text):
            spans.append((-1, -1))
            continue
        clean = one_line(text) if isinstance(text, str) else text
        parts = [clean]
        if isinstance(clean, str) and len(clean) > normalize.MAX_CHARS * 0.9:
            parts += windows(clean)  # the head as the model reads it, and every part of the rest
        spans.append((len(pieces), len(pieces) + len(parts)))
        pieces.extend(parts)
    model = model or default_model()
    predictions = model.predict(pieces) if pieces else []
    out = [min(predictions[a:b], key=lambda p: p.sentiment_score) if a >= 0 else replace(UNREAD)
           for a, b in spans]
    return name_mixed_complaints(texts, out, model)


# A fault named after a turn word (「物流很快，包装也很好，但是少发了一件」): the review data calls many of these
# positive (「很脆很甜，但是可惜有一个坏的，可以给5星」) and the sentiment keeps them so, however sure it is of the praise;
# such a text is a mixed-review candidate whatever its score (the clause and margin tests still decide).
_TURN = re.compile(r"但是|可是|可惜|然而|不过|但|结果|没想到|就是|只是")
_FAULT = re.compile(r"发错|错发|少发|漏发|少了一|坏的|坏了|破了|碎了|裂了|假货|盗版|过期|胀包|胀袋|发霉|变质|馊了|漏了|"
                    r"不能用|用不了|退货|退款")
_NOT_BEFORE = re.compile(r"(没有|没|不|无|未)$")
_CLAUSE_END = re.compile(r"[，,。！!？?；;]")
# Read in texts of up to this many characters: a long hotel stay's 「后面就是火锅一条街……」 is no turn.
FAULT_TURN_CHARS = 100


def fault_after_turn(text: object) -> bool:
    """Whether a fault is named in the clause a turn word opens or the next one (「……，就是第一个里面是坏的」, 「就是这次
    收到的一箱里，有三盒已经胀包了」; not 「京东自营就是好，……杜绝了假货」, where 就是 is no turn and the fault far)."""
    if not isinstance(text, str) or len(text) > FAULT_TURN_CHARS:
        return False
    for turn in _TURN.finditer(text):
        ends = [m.start() for m in _CLAUSE_END.finditer(text, turn.end())][:2]  # its clause and the next
        clause = text[turn.end():ends[-1] if len(ends) == 2 else len(text)]
        if any(not _NOT_BEFORE.search(clause[max(0, m.start() - 2):m.start()]) for m in _FAULT.finditer(clause)):
            return True
    return False


def _clauses(text: str) -> list[str]:
    return [c for c in _CLAUSE.findall(text) if len(_HAN.findall(c)) >= 2]


def name_mixed_complaints(texts: list[object], preds: list[Prediction], model: ReviewModel) -> list[Prediction]:
    """`preds` with a type named for the mixed reviews among the texts read positive: the sentiment stays
    (the review data labels many such reviews positive, and the positive-review rate must not move), the
    type is the type model's reading of the whole text, `mixed` is set. Two model passes for the candidates
    only (their clauses' sentiment, then their type)."""
    candidates = [(i, normalize.normalize_text(one_line(texts[i]) if isinstance(texts[i], str) else texts[i]))
                  for i, p in enumerate(preds)
                  if p.sentiment == 1 and readable(texts[i])
                  and (p.sentiment_score < MIXED_BELOW or fault_after_turn(texts[i]))]
    candidates = [(i, norm, clauses) for i, norm in candidates if len(clauses := _clauses(norm)) >= 2]
    if not candidates:
        return preds
    flat = [normalize.sentiment_view(c) for _i, _norm, clauses in candidates for c in clauses]
    scores = model.sentiment_scores(flat).tolist()
    complaining, at = [], 0
    for i, norm, clauses in candidates:
        # a fault named after the turn is itself the complaining clause; otherwise one clause must read negative
        if fault_after_turn(texts[i]) or min(scores[at:at + len(clauses)]) < MIXED_CLAUSE_BELOW:
            complaining.append((i, norm))
        at += len(clauses)
    if not complaining:
        return preds
    norms = [norm for _i, norm in complaining]
    type_scores, others_logits = model.complaint_outputs(norms)
    named = model.complaint_sets(type_scores, norms, others_logits)
    out = list(preds)
    for (i, _norm), row, (main, others) in zip(complaining, type_scores, named, strict=True):
        top = np.sort(row)[-2:]
        if main in (ComplaintType.NONE, ComplaintType.OTHER) or top[1] - top[0] < MIXED_MARGIN:
            continue
        out[i] = replace(out[i], complaint_type=main, complaint_others=others, mixed=True)
    return out


def complaint_types_whole(texts: list[object], model: ReviewModel | None = None) -> list[tuple[str, str, str]]:
    """(main type, other types, aspect) of texts known to be negative (read negative, or rated 1–2 stars), read as
    `classify_whole` reads them, so that `reviews reclassify` gives back what ingest stored: a text the model
    reads negative keeps its whole reading (line breaks dropped, a long text's most negative window); one it
    reads positive gets the type model's reading of the text as a complaint (`none` → `other`); a text with
    no Chinese is `other`. (Reclassify used to read the normalised text directly, where a line break is a
    space: 8 of 303 negative texts of the merchant battery with line breaks changed type on a reclassify.)"""
    from shouhou.reviews.classifier.model import default_model
    from shouhou.reviews.classifier.rules import aspect_of
    from shouhou.reviews.classifier.taxonomy import ComplaintType

    model = model or default_model()
    other = str(ComplaintType.OTHER)
    preds = classify_whole(texts, model)
    out: list[tuple[str, str, str]] = [(other, "", "")] * len(texts)
    positive: list[int] = []
    for i, (text, p) in enumerate(zip(texts, preds, strict=True)):
        if not readable(text):
            continue
        if p.sentiment == 0:
            out[i] = (p.complaint_type, p.complaint_others, p.aspect)
        else:
            positive.append(i)
    if positive:
        norm = [normalize.normalize_text(one_line(texts[i]) if isinstance(texts[i], str) else texts[i])
                for i in positive]
        for i, text, (main, others) in zip(positive, norm, model.complaint_types(norm), strict=True):
            out[i] = (other, "", aspect_of(text)) if main == ComplaintType.NONE else (main, others, aspect_of(text))
    return out
