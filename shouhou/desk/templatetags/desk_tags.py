"""Small display helpers for the workbench templates."""

from __future__ import annotations

import math

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """90 -> '1分30秒', 3720 -> '1小时2分'; empty for a missing value (None, or the '' of a template
    lookup on a missing object) and for anything that is not a finite number."""
    if seconds is None or isinstance(seconds, bool):
        return ""
    try:
        number = float(seconds)
    except (TypeError, ValueError):
        return ""
    if not math.isfinite(number):
        return ""
    seconds = int(number)
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    sign = "-" if seconds < 0 else ""
    if hours:
        return sign + _("%(hours)s小时%(minutes)s分") % {"hours": hours, "minutes": minutes}
    if minutes:
        return sign + _("%(minutes)s分%(seconds)s秒") % {"minutes": minutes, "seconds": secs}
    return sign + _("%(seconds)s秒") % {"seconds": secs}


@register.filter
def is_image_file(field_file) -> bool:
    """A message's attachment shown as a picture (stored names carry the extension of the checked kind)."""
    from shouhou.inbox.channels.webchat import attachment_info

    info = attachment_info(getattr(field_file, "name", "") or "")
    return bool(info and info["image"])
