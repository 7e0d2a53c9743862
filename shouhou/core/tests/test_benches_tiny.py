"""Each bench command still runs and prints its figures (at a tiny size, on a scratch SQLite database), so
the commands behind docs/benchmarks.md cannot rot between the runs that produce the figures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]

BENCHES = [
    (["bench.notifications", "--size", "300"], ["enqueue+render 300 order_placed messages", "render only 300",
                                                 "rows still 300"]),
    (["bench.tracking", "--size", "200"], ["webhook path:", "set-based path: 200 events offered"]),
    (["bench.policy_cases", "--size", "200"], ["decide: 200 calls", "recall_launch: 200 cases"]),
    (["bench.reviews", "--size", "500"], ["classify in batches", "guard_outgoing", "inspect_reply"]),
    (["bench.retention", "--size", "100"], ["first sweep:", "second sweep (idempotent):", "changed 0"]),
] + [  # each platform's pushes, enveloped and signed as it sends them, through its own push endpoint
    (["bench.platform_pushes", "--platform", platform, "--size", "30", "--apply", "5"],
     [f"[sqlite {platform}] intake: 30 messages in 30 pushes of 1", "(30 inbox rows)", "inbox rows still 30",
      "baseline bulk insert of the same 30 inbox rows", "applied end to end: 5 messages",
      "(5 cases opened through the policy)"])
    for platform in ("doudian", "kuaishou", "wechat_shop", "youzan")
]


def _name(command: list[str]) -> str:
    """The bench's module, and the platform where one is named: bench.platform_pushes-kuaishou."""
    return f"{command[0]}-{command[2]}" if command[1:2] == ["--platform"] else command[0]


@pytest.mark.parametrize(("command", "expected"), BENCHES, ids=[_name(b[0]) for b in BENCHES])
def test_bench_command_runs_and_prints_its_figures(tmp_path, command, expected):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOUHOU_DATABASE")}
    env["SHOUHOU_DATA_DIR"] = str(tmp_path)
    res = subprocess.run([sys.executable, "-m", *command], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    for text in expected:
        assert text in res.stdout, res.stdout[-2000:]
