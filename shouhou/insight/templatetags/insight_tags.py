"""Small template helpers for the insight pages: drill links that keep the page's filters, rates as
percentages and seconds as a readable duration."""

from __future__ import annotations

import math
from collections.abc import Mapping
from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from shouhou.insight.metrics import Rate, TimeStats

register = template.Library()


@register.simple_tag(takes_context=True)
def drill_url(context, metric: str, part: str = "", dim: str = "", value="", **extra) -> str:
    """/insight/drill/?metric=…&part=… plus the page's period and filters, plus dim=value."""
    query = dict(context.get("query") or {})
    query.update(metric=metric)
    if part:
        query["part"] = part
    if dim:
        query[dim] = value
    query.update({k: v for k, v in extra.items() if v not in (None, "")})
    return reverse("insight:drill") + "?" + urlencode(query)


@register.simple_tag(takes_context=True)
def page_url(context, name: str, *args, **extra) -> str:
    """A URL of another insight page with the same period and filters (extra values override)."""
    query = dict(context.get("query") or {})
    for key, value in extra.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    return reverse(name, args=args) + ("?" + urlencode(query) if query else "")


def _number(value) -> float | None:
    """A figure from the template, or None when it is missing: a template lookup on a missing object
    gives '' (string_if_invalid), a metric without data gives None; neither may break a page."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


@register.filter
def pct(result) -> str:
    ratio = _number(result.ratio if isinstance(result, Rate) else result)
    if ratio is None:
        return "—"
    return f"{ratio * 100:.1f}%"


@register.filter
def share(value) -> str:
    value = _number(value)
    return "—" if value is None else f"{value * 100:.1f}%"


@register.filter
def duration(seconds) -> str:
    number = _number(seconds)
    if number is None:
        return "—"
    seconds = int(number)
    if seconds < 60:
        return _("%(seconds)s秒") % {"seconds": seconds}
    if seconds < 3600:
        return _("%(minutes)s分%(seconds)s秒") % {"minutes": seconds // 60, "seconds": f"{seconds % 60:02d}"}
    return _("%(hours)s小时%(minutes)s分") % {"hours": seconds // 3600, "minutes": f"{seconds % 3600 // 60:02d}"}


@register.filter
def is_rate(result) -> bool:
    return isinstance(result, Rate)


@register.filter
def is_time(result) -> bool:
    return isinstance(result, TimeStats)


@register.filter
def get(mapping, key):
    return mapping.get(key) if isinstance(mapping, Mapping) else None
