"""What the API accepts the clock answers: a year of business minutes on an office calendar (the clock gave
up after 800 calendar days), any target on any calendar with hours (checked against a naive day-by-day
walker), a clear 422 for what cannot be computed, and an intake that never fails on an SLA computation."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shouhou.core.testing.factories import CustomerFactory
from shouhou.inbox.choices import Channel
from shouhou.inbox.services import message_receive
from shouhou.sla.calendar import (
    SHANGHAI,
    BusinessCalendar,
    CalendarError,
    business_seconds_between,
    calendar_from_spec,
    due_at,
)
from shouhou.sla.defaults import MAX_TARGET_MINUTES, office_calendar_spec
from shouhou.sla.models import BusinessCalendar as CalendarRow
from shouhou.sla.models import SlaPolicy
from shouhou.sla.tests.helpers import at, frozen, local
from shouhou.sla.tests.test_api import JSON, bearer

OFFICE = calendar_from_spec(office_calendar_spec())
YEAR = MAX_TARGET_MINUTES * 60


def naive_due(start: datetime, seconds: int, cal: BusinessCalendar) -> datetime:
    """The reference: walk the days one by one (what the clock did before, without its 800-day limit)."""
    remaining = timedelta(seconds=seconds)
    day = start.astimezone(cal.tz).date()
    while True:
        for a, b in cal.intervals_on(day):
            lo = max(a, start)
            if b <= lo:
                continue
            if remaining <= b - lo:
                return lo + remaining
            remaining -= b - lo
        day += timedelta(days=1)


def naive_between(start: datetime, end: datetime, cal: BusinessCalendar) -> int:
    total = timedelta()
    day = start.astimezone(cal.tz).date()
    while day <= end.astimezone(cal.tz).date():
        for a, b in cal.intervals_on(day):
            lo, hi = max(a, start), min(b, end)
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return int(total.total_seconds())


@pytest.mark.parametrize("start", ["2026-12-05 10:00", "2026-12-31 17:59", "2027-02-04 12:00", "2026-10-01 00:00"])
def test_a_year_of_business_minutes_on_the_office_calendar(start):
    # given the longest target the API accepts, on Mon–Fri 09:00–18:00 with China's holidays
    # when the clock computes it, then it answers (years later) and agrees with the naive walk and with
    # business_seconds_between
    due = due_at(at(start), YEAR, OFFICE)
    assert due == naive_due(at(start), YEAR, OFFICE)
    assert business_seconds_between(at(start), due, OFFICE) == YEAR
    assert due.year >= 2030


SPECS = st.fixed_dictionaries({
    "weekly": st.dictionaries(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
                              st.sampled_from([["09:00-18:00"], ["00:00-02:00", "20:00-24:00"], ["12:00-12:01"],
                                               ["00:00-24:00"], [], ["08:30-12:00", "13:30-17:45"]]),
                              min_size=1),
    "holidays": st.lists(st.dates(date(2026, 11, 1), date(2027, 3, 1)).map(str), max_size=30),
    "makeup_workdays": st.lists(st.dates(date(2026, 11, 1), date(2027, 3, 1)).map(str), max_size=8),
    "makeup_weekday": st.integers(0, 6),
})


@settings(max_examples=150, derandomize=True, deadline=None, database=None)
@given(spec=SPECS, offset=st.integers(0, 120 * 24 * 60), seconds=st.integers(0, 200 * 3600))
def test_due_at_matches_the_naive_walk_on_any_calendar(spec, offset, seconds):
    cal = calendar_from_spec(spec)
    if not any(cal.weekly.get(d) for d in range(7)):
        with pytest.raises(CalendarError):
            due_at(at("2026-11-01 00:00"), seconds, cal)
        return
    start = at("2026-11-01 00:00") + timedelta(minutes=offset, seconds=offset % 7)
    due = due_at(start, seconds, cal)
    assert due == naive_due(start, seconds, cal)
    assert business_seconds_between(start, due, cal) == seconds == naive_between(start, due, cal)


def test_what_the_clock_cannot_compute_is_a_calendar_error_not_a_crash():
    sparse = calendar_from_spec({"weekly": {"mon": ["09:00-09:01"]}})  # one minute a week
    with pytest.raises(CalendarError, match="9999"):
        due_at(at("2026-12-07 09:00"), YEAR, sparse)
    with pytest.raises(CalendarError, match="9999"):
        due_at(datetime(9999, 12, 31, 20, 0, tzinfo=SHANGHAI), 3600, OFFICE)


# --- the API accepts only what the clock answers ------------------------------------------------------


@pytest.fixture
def sup(shop):
    return bearer(shop, "supervisor")


@pytest.fixture
def office(shop):
    return CalendarRow.objects.create(shop=shop, name="职能部门工作日", spec=office_calendar_spec())


@pytest.fixture
def sparse(shop):
    return CalendarRow.objects.create(shop=shop, name="周一一分钟", spec={"weekly": {"mon": ["09:00-09:01"]}})


@pytest.mark.django_db
def test_a_year_long_policy_on_the_office_calendar_is_accepted_and_previewed(client, sup, office):
    body = {"name": "研发一年", "resolution_minutes": MAX_TARGET_MINUTES, "calendar_id": office.pk}
    r = client.post("/api/sla/policies", body, content_type=JSON, **sup)
    assert r.status_code == 201, r.content
    r = client.get(f"/api/sla/calendars/{office.pk}/due",
                   {"minutes": MAX_TARGET_MINUTES, "start": "2026-12-07T09:00:00+08:00"}, **sup)
    assert r.status_code == 200
    assert datetime.fromisoformat(r.json()["due_at"]) == naive_due(at("2026-12-07 09:00"), YEAR, OFFICE)


@pytest.mark.django_db
def test_a_target_the_calendar_cannot_answer_is_a_422_naming_the_field(client, sup, sparse):
    body = {"name": "太长", "resolution_minutes": MAX_TARGET_MINUTES, "calendar_id": sparse.pk}
    r = client.post("/api/sla/policies", body, content_type=JSON, **sup)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["resolution_minutes"] and "9999" in r.json()["detail"]
    assert not SlaPolicy.objects.filter(name="太长").exists()
    r = client.get(f"/api/sla/calendars/{sparse.pk}/due", {"minutes": MAX_TARGET_MINUTES}, **sup)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["minutes"]


@pytest.mark.django_db
def test_a_calendar_change_that_strands_a_policy_is_refused(client, sup, office):
    SlaPolicy.objects.create(shop=office.shop, name="研发一年", resolution_minutes=MAX_TARGET_MINUTES, calendar=office)
    body = {"name": "职能部门工作日", "spec": {"weekly": {"mon": ["09:00-09:01"]}}}
    r = client.put(f"/api/sla/calendars/{office.pk}", body, content_type=JSON, **sup)
    assert r.status_code == 422 and "研发一年" in r.json()["detail"]
    office.refresh_from_db()
    assert office.spec == office_calendar_spec()


@pytest.mark.django_db
def test_intake_never_fails_on_a_calendar_the_clock_cannot_use(shop):
    # given a policy saved (before the API checked) on a calendar with no opening hours at all
    dead = CalendarRow.objects.create(shop=shop, name="空日历", spec={"weekly": {}})
    SlaPolicy.objects.create(shop=shop, name="在线", channel=Channel.WEB_CHAT, first_response_minutes=30,
                             next_response_minutes=30, resolution_minutes=MAX_TARGET_MINUTES, calendar=dead)
    # when a customer writes, then the message is saved and the clock runs on the wall clock
    with frozen("2026-12-05 10:00"):
        msg = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="在吗", customer=CustomerFactory(shop=shop))
    t = msg.ticket
    t.refresh_from_db()
    assert local(t.first_response_due_at) == "2026-12-05 10:30"
    assert local(t.resolution_due_at) == local(at("2026-12-05 10:00") + timedelta(minutes=MAX_TARGET_MINUTES))
