"""Walk, round nine: the calendar page in English named the festivals and the source of the public holidays
in Chinese (元旦, 春节（补假）, 中国大陆（国务院办公厅放假安排）) — the `holidays` package has the names in
English too. The Chinese page keeps the Chinese names, and the clock's days are the same in both."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from shouhou.sla.holidays import public_year
from shouhou.sla.models import BusinessCalendar
from shouhou.sla.services import sla_defaults_install

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(shop):
    sla_defaults_install(shop=shop)
    return BusinessCalendar.objects.get(shop=shop, name="职能部门工作日")


def _page(user, url: str, language: str) -> str:
    c = Client()
    c.force_login(user)
    c.cookies["django_language"] = language
    response = c.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_festivals_and_their_source_are_named_in_english_on_the_english_page(office, supervisor):
    page = _page(supervisor, f"/sla/calendars/{office.pk}/2027/", "en")
    assert "New Year&#x27;s Day" in page and "Chinese New Year" in page
    assert "Mainland China (State Council holiday schedule)" in page
    for chinese in ("元旦", "春节", "国庆节", "中国大陆"):
        assert chinese not in page


def test_the_chinese_page_keeps_the_chinese_names(office, supervisor):
    page = _page(supervisor, f"/sla/calendars/{office.pk}/2027/", "zh-hans")
    assert "元旦" in page and "春节" in page and "中国大陆（国务院办公厅放假安排）" in page
    assert "New Year" not in page


def test_both_languages_list_the_same_days():
    zh, en = public_year("CN", 2027, "zh-hans"), public_year("CN", 2027, "en")
    assert [d for d, _ in zh.holidays] == [d for d, _ in en.holidays]
    assert (date(2027, 1, 1), "元旦") in zh.holidays
    assert dict(en.holidays)[date(2027, 1, 1)] == "New Year's Day"
    assert zh.makeup_workdays == en.makeup_workdays


def test_each_calendar_page_has_one_main_landmark(office, supervisor):
    """Both pages opened a second <main> inside the layout's own (two main landmarks, the page padded twice)."""
    for url in ("/sla/calendars/", f"/sla/calendars/{office.pk}/2027/"):
        page = _page(supervisor, url, "zh-hans")
        assert page.count("<main") == 1 and page.count("</main>") == 1
