"""Business-hours calendars for SLA clocks. Pure: no database, no clock; every input is explicit.

A calendar has opening intervals per weekday (several per day allowed, e.g. a split shift or a night
shift written as 22:00-24:00 on one day and 00:00-02:00 on the next), public holidays (closed) and
make-up workdays (调休: a weekend date worked with the hours of `makeup_weekday`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_SEARCH_DAYS = 800  # a calendar with no opening hours for this long is a configuration error

Interval = tuple[int, int]  # minutes from midnight, start < end <= 1440


class CalendarError(ValueError):
    pass


@dataclass(frozen=True)
class BusinessCalendar:
    weekly: Mapping[int, tuple[Interval, ...]]
    holidays: frozenset[date] = frozenset()
    makeup_workdays: frozenset[date] = frozenset()
    makeup_weekday: int = 0
    tz: ZoneInfo = field(default=SHANGHAI)

    def intervals_on(self, day: date) -> list[tuple[datetime, datetime]]:
        if day in self.holidays:
            return []
        weekday = self.makeup_weekday if day in self.makeup_workdays else day.weekday()
        midnight = datetime.combine(day, time(0), tzinfo=self.tz)
        return [(midnight + timedelta(minutes=a), midnight + timedelta(minutes=b))
                for a, b in self.weekly.get(weekday, ())]


def has_opening_hours(calendar: BusinessCalendar) -> bool:
    """False for a calendar with no interval on any weekday (every due time would be never)."""
    return any(calendar.weekly.get(d) for d in range(7))


def always_open(tz: ZoneInfo = SHANGHAI) -> BusinessCalendar:
    return BusinessCalendar(weekly={d: ((0, 1440),) for d in range(7)}, tz=tz)


def _minutes(text: str, *, where: str) -> int:
    try:
        hours, minutes = text.strip().split(":")
        value = int(hours) * 60 + int(minutes)
    except ValueError:
        raise CalendarError(f"{where}: 时间格式应为 HH:MM，收到 {text!r}")
    if not 0 <= value <= 1440 or not 0 <= int(minutes) < 60:
        raise CalendarError(f"{where}: 时间超出 00:00–24:00，收到 {text!r}")
    return value


def calendar_from_spec(spec: Mapping, tz: ZoneInfo = SHANGHAI) -> BusinessCalendar:
    """{"weekly": {"mon": ["09:00-18:00"], ...}, "holidays": ["2026-10-01"], "makeup_workdays": [...],
    "makeup_weekday": 0} (a make-up workday is worked with that weekday's hours; 0 = Monday).
    Errors name their location, e.g. `weekly.sat[0]: 开始时间须早于结束时间`."""
    weekly: dict[int, tuple[Interval, ...]] = {}
    for name, ranges in (spec.get("weekly") or {}).items():
        if name not in DAY_NAMES:
            raise CalendarError(f"weekly.{name}: 未知的星期（应为 {', '.join(DAY_NAMES)}）")
        if isinstance(ranges, str | bytes) or not isinstance(ranges, Iterable):
            raise CalendarError(f"weekly.{name}: 应为时间段列表，如 [\"09:00-18:00\"]")
        parsed = []
        for i, text in enumerate(ranges):
            where = f"weekly.{name}[{i}]"
            start_text, sep, end_text = str(text).partition("-")
            if not sep:
                raise CalendarError(f"{where}: 应写成 开始-结束，如 09:00-18:00")
            start, end = _minutes(start_text, where=where), _minutes(end_text, where=where)
            if start >= end:
                raise CalendarError(f"{where}: 开始时间须早于结束时间（跨夜班请拆成两段：22:00-24:00 与次日 00:00-02:00）")
            parsed.append((start, end))
        ordered = sorted(parsed)
        for (_, prev_end), (start, _) in zip(ordered, ordered[1:], strict=False):
            if start < prev_end:  # overlapping intervals would count the same minutes twice
                i = next(k for k, r in enumerate(parsed) if r[0] == start)
                raise CalendarError(f"weekly.{name}[{i}]: 与同一天的另一段时间重叠，请合并成一段")
        weekly[DAY_NAMES.index(name)] = tuple(ordered)
    makeup_weekday = spec.get("makeup_weekday", 0)
    if isinstance(makeup_weekday, bool) or not isinstance(makeup_weekday, int) or not 0 <= makeup_weekday <= 6:
        raise CalendarError(f"makeup_weekday: 应为 0（周一）到 6（周日），收到 {makeup_weekday!r}")
    return BusinessCalendar(weekly=weekly, holidays=_dates(spec.get("holidays", ()), "holidays"),
                            makeup_workdays=_dates(spec.get("makeup_workdays", ()), "makeup_workdays"),
                            makeup_weekday=makeup_weekday, tz=tz)


def _dates(values: Iterable, where: str) -> frozenset[date]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise CalendarError(f"{where}: 应为日期列表，如 [\"2026-10-01\"]")
    out = set()
    for i, value in enumerate(values):
        try:
            out.add(value if isinstance(value, date) else date.fromisoformat(str(value)))
        except ValueError:
            raise CalendarError(f"{where}[{i}]: 日期格式应为 YYYY-MM-DD，收到 {value!r}")
    return frozenset(out)


def business_seconds_between(start: datetime, end: datetime, calendar: BusinessCalendar) -> int:
    """Open seconds in [start, end). Zero when end <= start."""
    if end <= start:
        return 0
    total = 0.0
    day = start.astimezone(calendar.tz).date()
    last = end.astimezone(calendar.tz).date()
    while day <= last:
        for a, b in calendar.intervals_on(day):
            lo, hi = max(a, start), min(b, end)
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return int(total)


def due_at(start: datetime, seconds: int, calendar: BusinessCalendar) -> datetime:
    """The moment `seconds` of open time have passed since `start`. Zero seconds → the next open moment."""
    if seconds < 0:
        raise CalendarError("时长不能为负数")
    remaining = float(seconds)
    day = start.astimezone(calendar.tz).date()
    for _ in range(MAX_SEARCH_DAYS):
        for a, b in calendar.intervals_on(day):
            lo = max(a, start)
            if b <= lo:
                continue
            available = (b - lo).total_seconds()
            if remaining <= available:
                return (lo + timedelta(seconds=remaining)).astimezone(calendar.tz)
            remaining -= available
        day += timedelta(days=1)
    raise CalendarError(f"日历在 {MAX_SEARCH_DAYS} 天内没有足够的营业时间")
