"""The after-sales complaint taxonomy (data/labels/GUIDELINES.md): codes, labels, and how texts carry them.

A classified text has one main type and 0–3 other types (multi-label: many complaints mix several).
The codes are the guideline's codes; the people who labelled data/labels/ used exactly these.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ComplaintType(models.TextChoices):
    NONE = "none", _("无（非投诉）")
    QUALITY_DEFECT = "quality_defect", _("质量问题")
    NOT_AS_DESCRIBED = "not_as_described", _("与描述不符")
    COUNTERFEIT = "counterfeit", _("假货/非正品")
    WRONG_OR_MISSING = "wrong_or_missing", _("错发漏发")
    SIZE_FIT = "size_fit", _("尺码不合适")
    LOGISTICS = "logistics", _("物流")
    PACKAGING = "packaging", _("包装")
    SERVICE_ATTITUDE = "service_attitude", _("服务态度")
    AFTER_SALES = "after_sales", _("售后处理")
    PRICE = "price", _("价格")
    PROMISE_NOT_KEPT = "promise_not_kept", _("承诺未兑现")
    DISLIKE = "dislike", _("不喜欢（非质量问题）")
    USAGE_QUESTION = "usage_question", _("使用咨询")
    OTHER = "other", _("其他")


# Types that are not a complaint about the shop (kept out of the Pareto of problems).
NOT_COMPLAINTS = frozenset({ComplaintType.NONE.value})
MAX_OTHERS = 3
SEPARATOR = "|"


def join_types(codes) -> str:
    """`a|b|c` for storage and CSV (the labels' own format); unknown or repeated codes are dropped."""
    seen: list[str] = []
    for code in codes:
        code = str(code).strip()
        if code in ComplaintType.values and code not in seen:
            seen.append(code)
    return SEPARATOR.join(seen[:MAX_OTHERS])


def split_types(value: str) -> list[str]:
    return [c for c in (value or "").split(SEPARATOR) if c]
