"""Exact, table-driven checks of the pure business-hours calendar (no database, no clock)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shouhou.sla.calendar import (
    SHANGHAI,
    CalendarError,
    always_open,
    business_seconds_between,
    calendar_from_spec,
    due_at,
    has_opening_hours,
)

WEEKDAYS_9_18 = {"weekly": {d: ["09:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
                 # National Day 2026-10-01..08 closed; Sunday 2026-09-27 and Saturday 2026-10-10 worked (调休)
                 "holidays": [f"2026-10-0{d}" for d in range(1, 9)],
                 "makeup_workdays": ["2026-09-27", "2026-10-10"]}
OFFICE = calendar_from_spec(WEEKDAYS_9_18)
# A night desk: 20:00 to 02:00 every day, written as two intervals.
NIGHT = calendar_from_spec({"weekly": {d: ["00:00-02:00", "20:00-24:00"]
                                       for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}})


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize(("calendar", "start", "seconds", "expected"), [
    # inside hours, same day
    (OFFICE, "2026-11-23 10:00", 5 * 60, "2026-11-23 10:05"),
    # before opening: the clock starts at 09:00
    (OFFICE, "2026-11-23 07:30", 2 * 3600, "2026-11-23 11:00"),
    # runs past closing into the next morning
    (OFFICE, "2026-11-23 17:00", 2 * 3600, "2026-11-24 10:00"),
    # Friday evening → Monday morning (weekend closed)
    (OFFICE, "2026-11-27 17:30", 3600, "2026-11-30 09:30"),
    # exactly at closing with zero left: due at the closing moment
    (OFFICE, "2026-11-23 17:00", 3600, "2026-11-23 18:00"),
    # zero seconds outside hours: the next open moment
    (OFFICE, "2026-11-28 12:00", 0, "2026-11-30 09:00"),
    # 48 business hours from a Monday 09:00 = 5 days and 3 hours later
    (OFFICE, "2026-11-23 09:00", 48 * 3600, "2026-11-30 12:00"),
    # National Day holidays skipped: Sep 30 17:00 + 2h → Oct 9 10:00
    (OFFICE, "2026-09-30 17:00", 2 * 3600, "2026-10-09 10:00"),
    # 调休: Saturday Oct 10 is a workday
    (OFFICE, "2026-10-09 17:00", 2 * 3600, "2026-10-10 10:00"),
    # 调休: Sunday Sep 27 is a workday
    (OFFICE, "2026-09-26 12:00", 3600, "2026-09-27 10:00"),
    # night shift across midnight: 23:30 + 1h → 00:30 next day
    (NIGHT, "2026-11-23 23:30", 3600, "2026-11-24 00:30"),
    # night shift: after 02:00 the clock waits for 20:00
    (NIGHT, "2026-11-24 01:30", 3600, "2026-11-24 20:30"),
    # always open: wall clock
    (always_open(), "2026-11-23 23:58", 5 * 60, "2026-11-24 00:03"),
])
def test_due_at(calendar, start, seconds, expected):
    assert due_at(at(start), seconds, calendar) == at(expected)


@pytest.mark.parametrize(("calendar", "start", "end", "expected_seconds"), [
    (OFFICE, "2026-11-23 10:00", "2026-11-23 10:05", 300),
    (OFFICE, "2026-11-23 17:00", "2026-11-24 10:00", 2 * 3600),
    (OFFICE, "2026-11-27 17:30", "2026-11-30 09:30", 3600),
    (OFFICE, "2026-11-28 08:00", "2026-11-29 23:00", 0),
    (OFFICE, "2026-09-30 17:00", "2026-10-09 10:00", 2 * 3600),
    (OFFICE, "2026-11-23 12:00", "2026-11-23 11:00", 0),
    (NIGHT, "2026-11-23 19:00", "2026-11-24 03:00", 6 * 3600),
    (always_open(), "2026-11-23 00:00", "2026-11-24 00:00", 86400),
])
def test_business_seconds_between(calendar, start, end, expected_seconds):
    assert business_seconds_between(at(start), at(end), calendar) == expected_seconds


@pytest.mark.parametrize("start", ["2026-11-23 08:00", "2026-11-27 16:45", "2026-09-30 17:59", "2026-11-24 01:59"])
@pytest.mark.parametrize("seconds", [0, 59, 3600, 9 * 3600 + 1, 48 * 3600])
def test_due_at_and_business_seconds_agree(start, seconds):
    for calendar in (OFFICE, NIGHT):
        due = due_at(at(start), seconds, calendar)
        assert business_seconds_between(at(start), due, calendar) == seconds


def test_times_in_other_zones_are_read_in_the_calendars_zone():
    # 09:00 UTC is 17:00 in Shanghai: one open hour is left that day.
    utc_start = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("UTC"))
    due = due_at(utc_start, 3600, OFFICE)
    assert due == at("2026-11-23 18:00")
    assert due.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(("spec", "message"), [
    ({"weekly": {"mon": ["18:00-09:00"]}}, "weekly.mon[0]: 开始时间须早于结束时间"),
    ({"weekly": {"mon": ["9点-18点"]}}, "weekly.mon[0]: 时间格式应为 HH:MM"),
    ({"weekly": {"funday": ["09:00-18:00"]}}, "weekly.funday: 未知的星期"),
    ({"weekly": {"sat": ["09:00"]}}, "weekly.sat[0]: 应写成 开始-结束"),
    ({"weekly": {"sun": ["09:00-25:00"]}}, "weekly.sun[0]: 时间超出"),
    ({"holidays": ["2026-13-01"]}, "holidays[0]: 日期格式应为 YYYY-MM-DD"),
    ({"weekly": {"mon": ["09:00-12:00", "11:30-13:00"]}}, "weekly.mon[1]: 与同一天的另一段时间重叠"),
    ({"weekly": {"tue": ["12:00-18:00", "09:00-12:30"]}}, "weekly.tue[0]: 与同一天的另一段时间重叠"),
    ({"weekly": {"mon": "09:00-18:00"}}, "weekly.mon: 应为时间段列表"),
    ({"holidays": "2026-10-01"}, "holidays: 应为日期列表"),
    ({"weekly": {"mon": ["09:60-18:00"]}}, "weekly.mon[0]: 时间超出"),
])
def test_bad_spec_names_the_location(spec, message):
    with pytest.raises(CalendarError, match=message.replace("[", r"\[").replace("]", r"\]")):
        calendar_from_spec(spec)


def test_makeup_workday_uses_the_hours_of_makeup_weekday():
    spec = {"weekly": {"mon": ["09:00-18:00"], "fri": ["09:00-12:00"]}, "makeup_workdays": ["2026-10-10"]}
    assert due_at(at("2026-10-10 08:00"), 3600, calendar_from_spec(spec)) == at("2026-10-10 10:00")
    friday_hours = calendar_from_spec({**spec, "makeup_weekday": 4})
    assert due_at(at("2026-10-10 11:30"), 3600, friday_hours) == at("2026-10-12 09:30")
    with pytest.raises(CalendarError, match="makeup_weekday: 应为 0"):
        calendar_from_spec({**spec, "makeup_weekday": 7})


def test_adjacent_intervals_are_allowed_and_counted_once():
    cal = calendar_from_spec({"weekly": {"mon": ["12:00-18:00", "09:00-12:00"]}})
    assert business_seconds_between(at("2026-11-23 00:00"), at("2026-11-24 00:00"), cal) == 9 * 3600
    assert has_opening_hours(cal) and not has_opening_hours(calendar_from_spec({"weekly": {"mon": []}}))


def test_a_calendar_with_no_hours_is_refused_not_looped_forever():
    with pytest.raises(CalendarError, match="没有任何营业时间"):
        due_at(at("2026-11-23 10:00"), 60, calendar_from_spec({"weekly": {}}))
    with pytest.raises(CalendarError, match="负数"):
        due_at(at("2026-11-23 10:00"), -1, OFFICE)
