"""China's public holidays and make-up workdays come from the `holidays` package (2027's 春节 is closed on
the office calendar, not typed in for 2026 only), and a supervisor or admin corrects a year on a page:
add or remove a holiday or a make-up workday, stored as overrides on the calendar, audited."""

from __future__ import annotations

import importlib
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from shouhou.core.models import AuditEvent
from shouhou.sla.calendar import calendar_from_spec, due_at
from shouhou.sla.defaults import office_calendar_spec
from shouhou.sla.holidays import public_year
from shouhou.sla.models import BusinessCalendar
from shouhou.sla.policies import pure_calendar
from shouhou.sla.selectors import calendar_year
from shouhou.sla.services import calendar_day_set, sla_defaults_install
from shouhou.sla.tests.helpers import at

OFFICE = calendar_from_spec(office_calendar_spec())


@pytest.mark.parametrize(("start", "hours", "expected"), [
    # 2027 春节 (from the package): Fri 5 Feb (除夕) to Wed 10 Feb closed → Thursday 11 Feb
    ("2027-02-04 17:00", 2, "2027-02-11 10:00"),
    # 2026 春节 with its make-up Saturday 14 Feb worked (State Council schedule in the package)
    ("2026-02-13 17:00", 2, "2026-02-14 10:00"),
    ("2026-02-14 17:00", 2, "2026-02-24 10:00"),
    # 2026 National Day: 1–7 Oct closed, Saturday 10 Oct worked
    ("2026-09-30 17:00", 2, "2026-10-08 10:00"),
    ("2026-10-09 17:00", 2, "2026-10-10 10:00"),
    # 2028 元旦 by rule: Saturday 1 Jan, observed on Monday 3 Jan
    ("2027-12-31 17:00", 2, "2028-01-04 10:00"),
])
def test_office_calendar_follows_the_package(start, hours, expected):
    assert due_at(at(start), hours * 3600, OFFICE) == at(expected)


def test_the_package_has_2026_official_and_2027_by_rule():
    y2026, y2027 = public_year("CN", 2026), public_year("CN", 2027)
    assert y2026.official and date(2026, 2, 14) in y2026.makeup_workdays
    assert not y2027.official and y2027.makeup_workdays == ()
    assert (date(2027, 2, 6), "春节") in y2027.holidays


def test_spec_overrides_add_and_remove_days():
    spec = {**office_calendar_spec(), "holidays": ["2027-03-01"], "makeup_workdays": ["2027-02-20"],
            "holidays_removed": ["2027-02-10"]}
    cal = calendar_from_spec(spec)
    assert cal.intervals_on(date(2027, 3, 1)) == []          # the shop's own holiday (a Monday)
    assert len(cal.intervals_on(date(2027, 2, 20))) == 1       # a Saturday worked (调休)
    assert len(cal.intervals_on(date(2027, 2, 10))) == 1       # the package's day off, removed by the shop
    cal = calendar_from_spec({**office_calendar_spec(), "makeup_workdays_removed": ["2026-02-14"]})
    assert cal.intervals_on(date(2026, 2, 14)) == []


# --- the service and the page ---------------------------------------------------------------------------



@pytest.fixture
def office(shop):
    sla_defaults_install(shop=shop)
    return BusinessCalendar.objects.get(shop=shop, name="职能部门工作日")


@pytest.mark.django_db
def test_a_supervisor_corrects_2027_and_the_clock_follows(office, supervisor):
    # given the 2027 schedule the State Council published after the package's release: Sat 20 Feb worked
    before = due_at(at("2027-02-19 17:00"), 2 * 3600, pure_calendar(office))
    assert before == at("2027-02-22 10:00")
    # when a supervisor adds it as a make-up workday and removes a day off the package guessed
    calendar_day_set(calendar=office, actor=supervisor, day=date(2027, 2, 20), kind="makeup_workday", on=True)
    calendar_day_set(calendar=office, actor=supervisor, day=date(2027, 2, 10), kind="holiday", on=False)
    office.refresh_from_db()
    # then the overrides are stored, audited, and the clock uses them at once
    assert (office.spec["makeup_workdays"], office.spec["holidays_removed"]) == (["2027-02-20"], ["2027-02-10"])
    assert due_at(at("2027-02-19 17:00"), 2 * 3600, pure_calendar(office)) == at("2027-02-20 10:00")
    assert due_at(at("2027-02-09 12:00"), 2 * 3600, pure_calendar(office)) == at("2027-02-10 11:00")
    assert due_at(at("2027-02-10 12:00"), 3600, pure_calendar(office)) == at("2027-02-10 13:00")
    actions = list(AuditEvent.objects.filter(object_type="sla.businesscalendar", object_id=str(office.pk))
                   .order_by("pk").values_list("action", flat=True))
    assert actions[-2:] == ["sla.calendar.makeup_workday_add", "sla.calendar.holiday_remove"]
    # and undoing restores the package's day
    calendar_day_set(calendar=office, actor=supervisor, day=date(2027, 2, 10), kind="holiday", on=True)
    office.refresh_from_db()
    assert "holidays_removed" not in office.spec


@pytest.mark.django_db
def test_an_agent_may_not_correct_a_calendar(office, agent):
    with pytest.raises(PermissionDenied):
        calendar_day_set(calendar=office, actor=agent, day=date(2027, 2, 20), kind="makeup_workday", on=True)


@pytest.mark.django_db
def test_year_selector_marks_sources(office, supervisor):
    calendar_day_set(calendar=office, actor=supervisor, day=date(2027, 3, 1), kind="holiday", on=True)
    calendar_day_set(calendar=office, actor=supervisor, day=date(2027, 2, 9), kind="holiday", on=False)
    office.refresh_from_db()
    days = {(d.day, d.kind): d for d in calendar_year(calendar=office, year=2027).days}
    assert (days[(date(2027, 2, 6), "holiday")].name, days[(date(2027, 2, 6), "holiday")].source) == ("春节", "public")
    assert days[(date(2027, 2, 9), "holiday")].active is False
    assert (days[(date(2027, 3, 1), "holiday")].source, days[(date(2027, 3, 1), "holiday")].active) == ("shop", True)


def _client(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.mark.django_db
def test_calendar_pages_for_a_supervisor(office, supervisor):
    c = _client(supervisor)
    r = c.get("/sla/calendars/")
    assert r.status_code == 200 and "职能部门工作日" in r.content.decode()
    r = c.get(f"/sla/calendars/{office.pk}/2027/")
    page = r.content.decode()
    assert r.status_code == 200 and "春节" in page and 'data-testid="unofficial"' in page and 'id="add-day"' in page
    r = c.post(f"/sla/calendars/{office.pk}/2027/", {"action": "add_makeup", "date": "2027-02-20"})
    assert r.status_code == 302
    office.refresh_from_db()
    assert office.spec["makeup_workdays"] == ["2027-02-20"]
    r = c.post(f"/sla/calendars/{office.pk}/2027/", {"action": "add_holiday", "date": "2026-02-20"}, follow=True)
    assert "日期须在 2027 年内" in r.content.decode()
    r = c.get(f"/sla/calendars/{office.pk}/2026/")
    assert 'data-testid="unofficial"' not in r.content.decode()


@pytest.mark.django_db
def test_calendar_pages_for_an_agent_are_read_only(office, agent, other_shop):
    c = _client(agent)
    r = c.get(f"/sla/calendars/{office.pk}/2027/")
    assert r.status_code == 200 and 'id="add-day"' not in r.content.decode()
    r = c.post(f"/sla/calendars/{office.pk}/2027/", {"action": "add_makeup", "date": "2027-02-20"})
    assert r.status_code == 403
    other = BusinessCalendar.objects.create(shop=other_shop, name="别家", spec=office_calendar_spec())
    assert c.get(f"/sla/calendars/{other.pk}/2027/").status_code == 404


@pytest.mark.django_db
def test_calendar_page_in_english(office, supervisor):
    c = _client(supervisor)
    c.cookies["django_language"] = "en"
    page = c.get(f"/sla/calendars/{office.pk}/2027/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Public holidays and make-up workdays in 2027" in page


def test_migration_moves_typed_2026_lists_to_the_package():
    mod = importlib.import_module("shouhou.sla.migrations.0002_office_calendars_follow_public_holidays")
    rows = []

    class Row:
        def __init__(self, spec):
            self.spec = spec
            rows.append(self)

        def save(self, update_fields):
            self.saved = True

    typed = Row({"weekly": {"mon": ["09:00-18:00"]}, "holidays": list(mod.OLD_2026_HOLIDAYS),
                 "makeup_workdays": list(mod.OLD_2026_MAKEUP)})
    edited = Row({"weekly": {"mon": ["09:00-18:00"]}, "holidays": ["2026-01-01"], "makeup_workdays": []})

    class Manager:
        def all(self):
            return self

        def only(self, *fields):
            return rows

    class Apps:
        def get_model(self, app, name):
            return type("BusinessCalendar", (), {"objects": Manager()})

    mod.forwards(Apps(), None)
    assert typed.spec == {"weekly": {"mon": ["09:00-18:00"]}, "public_holidays": "CN", "holidays": [],
                          "makeup_workdays": []}
    assert edited.spec["holidays"] == ["2026-01-01"] and not hasattr(edited, "saved")
