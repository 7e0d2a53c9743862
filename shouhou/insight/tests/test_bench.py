"""The dashboard benchmark (docs/benchmarks/insight_dashboard.md) runs at a tiny scale on every CI run."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def test_the_dashboard_benchmark_runs_at_a_tiny_scale(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOUHOU_DATABASE")}
    env["SHOUHOU_DATA_DIR"] = str(tmp_path)  # a scratch SQLite database
    res = subprocess.run([sys.executable, "-m", "bench.insight_dashboard", "--scale", "0.00001", "--runs", "2"],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    out = res.stdout
    assert "generate order lines" in out and "rollup" in out
    for name in ("metric first_response", "breakdown by live_session", "pareto return reasons", "agent KPIs",
                 "page /insight/ (overview)", "page /insight/drill/?metric=return"):
        assert name in out, out[-3000:]
    assert out.count(" p50 ") >= 30
