"""Text normalisation before classification: traditional→simplified, emoji, whitespace, length.

Fast path: opencc (pure Python) is only called when the text holds at least one traditional-only
character, found with a set lookup, so the common simplified case costs one `isdisjoint`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

# Texts longer than this keep their head and their tail (half each, joined by " … "): a long review often
# ends with its complaint, so the tail is never dropped. 2,000 characters is 35× the median review.
MAX_CHARS = 2000

_SPACES = re.compile(r"\s+")
# A negated negative is praise: 「没有不满意的地方」 reads as 「满意的地方」, 「没什么不好」 as 「好」.
_DOUBLE_NEGATION = re.compile(r"(?:没有|没|无|并没有)(?:什么|任何|一点|一丝)?不(满意|好|舒服|喜欢|足|合适|方便)")
# Emoji and pictographs, variation selectors, zero-width joiners: replaced by one space-free marker so
# a review made only of 👍 or 😡 still has features (the marker is kept per kind).
_EMOJI = re.compile(
    "[\U0001f300-\U0001faff\U00002600-\U000027bf\U0001f000-\U0001f2ff\U0001f900-\U0001f9ff\ufe0f\u200d]"
)
_GOOD_EMOJI = set("👍👏😀😃😄😁😊😍🥰😘💯❤💕🌹🎉👌🙏")
_BAD_EMOJI = set("👎😡😠🤬😤😞😢😭💩🙄😒😓😩😫🤮")


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _traditional_chars() -> frozenset[str]:
    import opencc

    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    chars: set[str] = set()
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            key = line.split("\t", 1)[0].strip()
            if len(key) == 1:
                chars.add(key)
    # Characters that are identical in both scripts do not need converting.
    return frozenset(c for c in chars if c)


def _emoji_marker(match: re.Match[str]) -> str:
    ch = match.group(0)
    if ch in _GOOD_EMOJI:
        return "赞"
    if ch in _BAD_EMOJI:
        return "差"
    return ""


def normalize_text(text: object, *, max_chars: int = MAX_CHARS) -> str:
    """Return classifier-ready text; never raises (None/NaN/numbers become their string or '')."""
    if text is None:
        return ""
    if not isinstance(text, str):
        text = "" if text != text else str(text)  # NaN != NaN
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", text)  # full-width ASCII → half-width
    text = _EMOJI.sub(_emoji_marker, text)
    text = _SPACES.sub(" ", text).strip()
    if len(text) > max_chars:
        half = (max_chars - 3) // 2
        text = text[:half] + " … " + text[-half:]
    if not _traditional_chars().isdisjoint(text):
        text = _converter().convert(text)
    if "不" in text:
        text = _DOUBLE_NEGATION.sub(r"\1", text)
    return text.lower()
