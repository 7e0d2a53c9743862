"""Running `shouhou …` as a separate process in tests, with the test's data directory and database and none of
the caller's other SHOUHOU_/DJANGO_ settings (an operator's environment is what the command reads)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def command_env(tmp: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOUHOU_", "DJANGO_"))}
    env.update({"SHOUHOU_DATA_DIR": str(tmp), "DJANGO_SETTINGS_MODULE": "shouhou.config.settings"})
    if os.environ.get("SHOUHOU_DATABASE_URL"):
        env["SHOUHOU_DATABASE_URL"] = os.environ["SHOUHOU_DATABASE_URL"]
    env.update(extra)
    return env


def run_shouhou(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "shouhou", *args], cwd=REPO, env=env, capture_output=True,  # noqa: S603
                          text=True, timeout=300)
