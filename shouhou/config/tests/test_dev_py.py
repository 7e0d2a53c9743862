"""`python3 dev.py run` on a later day: `demo --if-empty` keeps the demo built on the first day, whose live
sessions, orders and timers stay dated from then (a week later the latest session is a week old). dev.py says
so, in the shop's day (Asia/Shanghai, the anchor's own offset), and names the command that rebuilds it."""

from __future__ import annotations

import datetime as dt
import importlib.util

from shouhou.core.testing.commands import REPO


def _dev():
    spec = importlib.util.spec_from_file_location("shouhou_dev_py_h8", REPO / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _at(text: str) -> float:
    return dt.datetime.fromisoformat(text).timestamp()


def test_a_demo_built_on_an_earlier_day_is_pointed_out_with_the_command_that_renews_it():
    note = _dev().stale_demo_note("2026-11-29T00:00:00+08:00", now=_at("2026-12-06T10:00:00+08:00"))
    assert note.startswith("演示数据是 2026-11-29 生成的") and "-m shouhou demo" in note


def test_a_demo_of_today_in_the_shops_zone_says_nothing():
    dev = _dev()
    # 18:30 UTC on 6 December is 02:30 on the 7th in Shanghai: a demo built that night is today's
    assert dev.stale_demo_note("2026-12-07T00:00:00+08:00", now=_at("2026-12-06T18:30:00+00:00")) == ""
    assert dev.stale_demo_note("2026-12-07T00:00:00+08:00", now=_at("2026-12-07T23:59:59+08:00")) == ""
    assert dev.stale_demo_note("", now=_at("2026-12-07T12:00:00+08:00")) == ""
