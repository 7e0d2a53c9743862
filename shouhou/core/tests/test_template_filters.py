"""Every template filter of the project survives a missing value. A template that looks up a field of
None gets '' (Django's string_if_invalid) and a metric without data gives None; a filter that raised on
them answered 500 on the weekly report (issue 15). New filters in any app are covered automatically."""

from __future__ import annotations

import inspect
import math

import pytest
from django.template.backends.django import get_installed_libraries
from django.template.library import import_library

MISSING = [None, "", "—", "abc", math.nan, math.inf, {}, [], object(), True]


def project_filters():
    found = []
    for name, module in sorted(get_installed_libraries().items()):
        if module.startswith("shouhou."):
            for filter_name, func in sorted(import_library(module).filters.items()):
                found.append(pytest.param(func, id=f"{name}.{filter_name}"))
    return found


def test_the_project_has_filters_to_check():
    ids = {p.id for p in project_filters()}
    assert {"insight_tags.duration", "insight_tags.pct", "insight_tags.share", "insight_tags.get",
            "desk_tags.duration"} <= ids


@pytest.mark.parametrize("func", project_filters())
def test_filter_answers_missing_values_without_raising(func):
    takes_arg = len(inspect.signature(func).parameters) >= 2
    for value in MISSING:
        if takes_arg:
            for arg in (None, "", "key"):
                func(value, arg)
        else:
            result = func(value)
            assert not (isinstance(result, str) and ("nan" in result.lower() or "inf" in result.lower())), result


@pytest.mark.parametrize(("value", "shown"), [(None, "—"), ("", "—"), (90, "1分30秒"), ("90", "1分30秒")])
def test_insight_duration_reads_numbers_and_dashes_missing_ones(value, shown):
    from shouhou.insight.templatetags.insight_tags import duration
    assert duration(value) == shown


@pytest.mark.parametrize(("value", "shown"), [(None, "—"), ("", "—"), (0.5, "50.0%"), ("abc", "—")])
def test_insight_share_and_pct(value, shown):
    from shouhou.insight.templatetags.insight_tags import pct, share
    assert share(value) == shown
    assert pct(value) == shown
