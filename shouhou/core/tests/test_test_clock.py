"""SHOUHOU_TEST_CLOCK moves the whole test session (conftest.py): the way to show the suite does not
depend on the date or the hour."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.utils import timezone

from conftest import test_clock_start

BASE = dt.datetime(2026, 12, 5, 7, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(("raw", "expected"), [
    ("", None),
    ("+30d", BASE + dt.timedelta(days=30)),
    ("-30d", BASE - dt.timedelta(days=30)),
    ("+13h", BASE + dt.timedelta(hours=13)),
    ("-90m", BASE - dt.timedelta(minutes=90)),
    ("2027-01-03T23:59:30+08:00", dt.datetime(2027, 1, 3, 23, 59, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))),
])
def test_clock_start_reads_shifts_and_instants(raw, expected):
    assert test_clock_start(raw, BASE) == expected


def test_an_instant_without_offset_is_refused():
    with pytest.raises(pytest.UsageError):
        test_clock_start("2027-01-03T23:59:30", BASE)


def test_the_session_runs_at_the_requested_clock(tmp_path):
    """The kernel's clock (a file's modification time) is not moved; the test process's clock is."""
    probe = tmp_path / "probe"
    probe.write_text("x")
    real = dt.datetime.fromtimestamp(os.stat(probe).st_mtime, tz=dt.UTC)
    wanted = test_clock_start(os.environ.get("SHOUHOU_TEST_CLOCK", ""), real)
    expected = wanted if wanted is not None else real
    if wanted is not None and os.environ["SHOUHOU_TEST_CLOCK"][0] not in "+-":
        return  # an absolute instant: the session started there earlier; nothing to compare with `real`
    assert abs(timezone.now() - expected) < dt.timedelta(minutes=30)


def test_moving_the_session_clock_keeps_the_process_zone():
    """The process's zone is Django's TIME_ZONE whatever SHOUHOU_TEST_CLOCK says (the moved session ran in
    UTC: a naive '2026-11-23 11:05' handed to a frozen clock became 19:05 in Shanghai)."""
    import time

    import time_machine
    from django.conf import settings

    assert os.environ.get("TZ") == settings.TIME_ZONE
    assert time.localtime(0).tm_gmtoff == 8 * 3600
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
                             tick=False) as clock:
        clock.move_to("2026-11-23 11:05")  # naive: read in the process's zone
        assert timezone.localtime().strftime("%Y-%m-%d %H:%M") == "2026-11-23 11:05"
