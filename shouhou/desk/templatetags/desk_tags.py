"""Small display helpers for the workbench templates."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """90 -> '1分30秒', 3720 -> '1小时2分'; empty for None."""
    if seconds is None or seconds == "":
        return ""
    seconds = int(seconds)
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    sign = "-" if seconds < 0 else ""
    if hours:
        return f"{sign}{hours}小时{minutes}分"
    if minutes:
        return f"{sign}{minutes}分{secs}秒"
    return f"{sign}{secs}秒"
