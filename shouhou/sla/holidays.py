"""Public holidays and make-up workdays (调休) from the maintained `holidays` package (docs/sla.md,
docs/dependencies.md). The package carries the State Council's published schedule for the years it knows
(its China data lists the days off and, in `weekend_workdays`, the weekend days worked); for later years it
computes the statutory festivals by rule (lunar dates included) without the make-up weekends, which the
State Council announces each November or December: a shop corrects such a year on the calendar page.

Pure and cached per process: the calendar code asks `public_days(country)` once per country.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import holidays as holidays_pkg
from django.utils.translation import gettext_lazy as _

# The label is shown on the calendar page in the reader's language (it was Chinese on the English page).
COUNTRIES = {"CN": _("中国大陆（国务院办公厅放假安排）")}
# The reader's language → the package's language for the festivals' names (it has en_US and zh_CN for China).
NAME_LANGUAGES = {"en": "en_US"}
FIRST_YEAR, LAST_YEAR = 2020, 2060  # the span the calendars cover (the package knows China 1950–2100)


@lru_cache(maxsize=4)
def _country(country: str, language: str):
    return holidays_pkg.country_holidays(country, years=range(FIRST_YEAR, LAST_YEAR + 1), language=language)


@lru_cache(maxsize=4)
def public_days(country: str) -> tuple[frozenset[date], frozenset[date]]:
    """(days off, weekend days worked) for FIRST_YEAR..LAST_YEAR."""
    data = _country(country, "zh_CN")
    workdays = getattr(data, "weekend_workdays", set())
    return (frozenset(data),
            frozenset(d for d in workdays if FIRST_YEAR <= d.year <= LAST_YEAR))


@dataclass(frozen=True)
class PublicYear:
    country: str
    year: int
    holidays: tuple[tuple[date, str], ...]  # (day off, its name in the language asked for)
    makeup_workdays: tuple[date, ...]
    official: bool  # the package holds the published schedule (make-up weekends known) for this year


def public_year(country: str, year: int, language: str = "zh-hans") -> PublicYear:
    """One year's days off (with names in `language`, a Django language code; Chinese unless the package has
    the language) and make-up workdays as the package has them."""
    data = _country(country, NAME_LANGUAGES.get(language.split("-")[0], "zh_CN"))
    days_off = tuple(sorted((d, name) for d, name in data.items() if d.year == year))
    makeup = tuple(sorted(d for d in public_days(country)[1] if d.year == year))
    return PublicYear(country=country, year=year, holidays=days_off, makeup_workdays=makeup, official=bool(makeup))
