"""The two SLA benchmark entry points run end to end at a tiny size on a scratch SQLite database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def _run(module: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"SHOUHOU_DATABASE_URL", "SHOUHOU_DATA_DIR"}}
    return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)


def test_sla_sweep_bench_runs_at_a_tiny_size():
    res = _run("bench.sla_sweep", "--tickets", "300", "--runs", "3", "--catch-up")
    assert res.returncode == 0, res.stderr[-2000:]
    assert "generated 300 tickets" in res.stdout
    assert "sla_sweep × 3 (one a minute from T0): p50" in res.stdout and "catch-up sweep" in res.stdout


def test_inbox_queue_bench_runs_at_a_tiny_size():
    res = _run("bench.inbox_queue", "--tickets", "300", "--runs", "1")
    assert res.returncode == 0, res.stderr[-2000:]
    assert "generated 300 tickets with conversations and messages" in res.stdout
    assert "all open (default)" in res.stdout and "live refresh /desk/queue/rows/" in res.stdout
    assert "buyer messages with reply clocks" in res.stdout and "reply board (today's rates" in res.stdout
    assert "gc.freeze as a web process does at start:" in res.stdout
    assert "full garbage collections while timing:" in res.stdout


def test_sla_calendar_bench_runs_at_a_tiny_size():
    res = _run("bench.sla_calendar", "--calls", "5")
    assert res.returncode == 0, res.stderr[-2000:]
    assert "office    366 days" in res.stdout and "desk      366 days" in res.stdout
