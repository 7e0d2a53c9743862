"""The one clock. Tests freeze it with time-machine; code never calls datetime.now() directly."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def localnow() -> datetime:
    return timezone.now().astimezone(local_tz())
