"""Business-hours calendars for SLA clocks. Pure: no database, no clock; every input is explicit.

A calendar has opening intervals per weekday (several per day allowed, e.g. a split shift or a night
shift written as 22:00-24:00 on one day and 00:00-02:00 on the next), public holidays (closed) and
make-up workdays (调休: a weekend date worked with the hours of `makeup_weekday`).

The clock answers any target in a few dozen steps whatever its length: the open time before a day is
(whole weeks × the weekly hours) + (the week's first days) + (the difference the special days before it
make), so `due_at` searches days by bisection instead of walking them, and `business_seconds_between`
is a subtraction. Everything is counted in whole microseconds: exact, and the two functions agree.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
US = 1_000_000  # microseconds in a second
_MINUTE_US = 60 * US
_LAST_DAY = date.max.toordinal() - 1  # day numbers: ordinal − 1, so day 0 (0001-01-01) is a Monday

Interval = tuple[int, int]  # minutes from midnight, start < end <= 1440


class CalendarError(ValueError):
    pass


@dataclass(frozen=True)
class _Index:
    day_us: tuple[int, ...]     # open microseconds of each weekday (0 = Monday)
    prefix: tuple[int, ...]     # prefix[k] = open microseconds of weekdays 0..k-1
    week_us: int
    specials: tuple[int, ...]   # day numbers of holidays and make-up workdays, sorted
    cum: tuple[int, ...]        # cum[k] = sum of (actual − regular) open microseconds of specials[:k]


@dataclass(frozen=True)
class BusinessCalendar:
    weekly: Mapping[int, tuple[Interval, ...]]
    holidays: frozenset[date] = frozenset()
    makeup_workdays: frozenset[date] = frozenset()
    makeup_weekday: int = 0
    tz: ZoneInfo = field(default=SHANGHAI)

    def _pattern(self, day: date) -> tuple[Interval, ...]:
        if day in self.holidays:
            return ()
        weekday = self.makeup_weekday if day in self.makeup_workdays else day.weekday()
        return tuple(self.weekly.get(weekday, ()))

    def intervals_on(self, day: date) -> list[tuple[datetime, datetime]]:
        midnight = datetime.combine(day, time(0), tzinfo=self.tz)
        return [(midnight + timedelta(minutes=a), midnight + timedelta(minutes=b)) for a, b in self._pattern(day)]

    @cached_property
    def _index(self) -> _Index:
        day_us = tuple(sum(b - a for a, b in self.weekly.get(d, ())) * _MINUTE_US for d in range(7))
        prefix = [0]
        for value in day_us:
            prefix.append(prefix[-1] + value)
        specials = sorted({d.toordinal() - 1 for d in self.holidays | self.makeup_workdays})
        cum = [0]
        for n in specials:
            actual = sum(b - a for a, b in self._pattern(date.fromordinal(n + 1))) * _MINUTE_US
            cum.append(cum[-1] + actual - day_us[n % 7])
        return _Index(day_us, tuple(prefix), prefix[7], tuple(specials), tuple(cum))

    def open_before_day(self, n: int) -> int:
        """Open microseconds from day 0 to the start of day number `n` (ordinal − 1)."""
        ix = self._index
        weeks, rest = divmod(n, 7)
        return weeks * ix.week_us + ix.prefix[rest] + ix.cum[bisect_left(ix.specials, n)]

    def open_before(self, moment: datetime) -> int:
        """Open microseconds from day 0 to `moment` (a monotone measure: differences are business time)."""
        local = moment.astimezone(self.tz)
        n = local.date().toordinal() - 1
        total = self.open_before_day(n)
        for a, b in self.intervals_on(local.date()):
            if a < local:
                total += (min(b, local) - a) // timedelta(microseconds=1)
        return total


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
    "makeup_weekday": 0, "public_holidays": "CN", "holidays_removed": [...], "makeup_workdays_removed": [...]}.
    A make-up workday is worked with that weekday's hours (0 = Monday). With `public_holidays` the country's
    days off and make-up workdays come from the `holidays` package (sla.holidays); `holidays` and
    `makeup_workdays` add the shop's own, the `*_removed` lists take out the package's days the shop corrects.
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
    holidays = _dates(spec.get("holidays", ()), "holidays")
    makeup = _dates(spec.get("makeup_workdays", ()), "makeup_workdays")
    country = spec.get("public_holidays") or ""
    if country:
        from shouhou.sla.holidays import COUNTRIES, public_days

        if not isinstance(country, str) or country not in COUNTRIES:
            raise CalendarError(f"public_holidays: 未知的国家或地区 {country!r}（可用 {', '.join(COUNTRIES)}）")
        public_off, public_worked = public_days(country)
        holidays |= public_off - _dates(spec.get("holidays_removed", ()), "holidays_removed")
        makeup |= public_worked - _dates(spec.get("makeup_workdays_removed", ()), "makeup_workdays_removed")
    return BusinessCalendar(weekly=weekly, holidays=frozenset(holidays), makeup_workdays=frozenset(makeup),
                            makeup_weekday=makeup_weekday, tz=tz)


def _dates(values: Iterable, where: str) -> set[date]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise CalendarError(f"{where}: 应为日期列表，如 [\"2026-10-01\"]")
    out = set()
    for i, value in enumerate(values):
        try:
            out.add(value if isinstance(value, date) else date.fromisoformat(str(value)))
        except ValueError:
            raise CalendarError(f"{where}[{i}]: 日期格式应为 YYYY-MM-DD，收到 {value!r}")
    return out


def business_seconds_between(start: datetime, end: datetime, calendar: BusinessCalendar) -> int:
    """Open seconds in [start, end) (whole seconds, rounded down). Zero when end <= start."""
    if end <= start:
        return 0
    return (calendar.open_before(end) - calendar.open_before(start)) // US


def due_at(start: datetime, seconds: int, calendar: BusinessCalendar) -> datetime:
    """The moment `seconds` of open time have passed since `start`. Zero seconds → the next open moment.
    Any target is answered in O(log) steps; CalendarError only for a calendar with no opening hours at all,
    a negative duration, or a due time past the year 9999."""
    if seconds < 0:
        raise CalendarError("时长不能为负数")
    if not has_opening_hours(calendar):
        raise CalendarError("日历没有任何营业时间，时限永远不会到期")
    try:
        return _due_at(start, int(seconds), calendar)
    except (OverflowError, ValueError) as exc:  # a start or a due time beyond what datetime can hold
        if isinstance(exc, CalendarError):
            raise
        raise CalendarError(OUT_OF_RANGE) from exc


OUT_OF_RANGE = "到期时间超出可计算的范围（公元 9999 年以后），请缩短时限或增加营业时间"


WALK_DAYS = 3  # short targets (minutes, hours) end within a few days: walking them is quicker than indexing


def _walk(start: datetime, seconds: int, calendar: BusinessCalendar) -> datetime | None:
    """The due time if it falls within WALK_DAYS days of `start`, else None."""
    remaining = timedelta(seconds=seconds)
    day = start.astimezone(calendar.tz).date()
    for _ in range(WALK_DAYS):
        for a, b in calendar.intervals_on(day):
            lo = max(a, start)
            if b <= lo:
                continue
            if remaining < b - lo or (seconds and remaining == b - lo):
                return (lo + remaining).astimezone(calendar.tz)
            remaining -= b - lo
        day += timedelta(days=1)
    return None


def _due_at(start: datetime, seconds: int, calendar: BusinessCalendar) -> datetime:
    walked = _walk(start, seconds, calendar)
    if walked is not None:
        return walked
    target = calendar.open_before(start) + seconds * US
    strict = seconds == 0  # zero: the first moment with open time still ahead

    def reached(n: int) -> bool:  # is the target reached by the end of day n?
        end = calendar.open_before_day(n + 1)
        return end > target if strict else end >= target

    lo = hi = start.astimezone(calendar.tz).date().toordinal() - 1
    step = 1
    while not reached(hi):  # gallop forward by doubling steps, then bisect [lo, hi]
        if hi >= _LAST_DAY:
            raise CalendarError(OUT_OF_RANGE)
        lo, hi = hi + 1, min(hi + step, _LAST_DAY)
        step *= 2
    while lo < hi:
        mid = (lo + hi) // 2
        if reached(mid):
            hi = mid
        else:
            lo = mid + 1
    day = date.fromordinal(lo + 1)
    base = calendar.open_before_day(lo)
    for a, b in calendar.intervals_on(day):
        length = (b - a) // timedelta(microseconds=1)
        if (base + length > target) if strict else (base + length >= target):
            return (a + timedelta(microseconds=max(0, target - base))).astimezone(calendar.tz)
        base += length
    raise CalendarError("日历计算出错")  # unreachable: day `lo` holds the target


def target_error(seconds: int, calendar: BusinessCalendar, *, at: datetime) -> str | None:
    """Why a target of `seconds` cannot be answered on `calendar` from `at` (None: it can). What the API
    accepts the clock must answer: policies and calendars are checked with this before they are saved."""
    try:
        due_at(at, seconds, calendar)
    except CalendarError as exc:
        return str(exc)
    return None
