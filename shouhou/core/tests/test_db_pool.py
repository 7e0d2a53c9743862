"""Web processes keep their PostgreSQL connections in a pool (config/env.py postgres_pool, `serve`); the worker
never pools (it forks its task processes); SQLite is left alone. The pool at work across real processes is
asserted in live/tests/test_processes.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management.base import CommandError

from shouhou.config.env import postgres_pool
from shouhou.core.management.commands.serve import web_pool_size

REPO = Path(__file__).resolve().parents[3]
PG = {"ENGINE": "django.db.backends.postgresql", "NAME": "shouhou", "CONN_MAX_AGE": 60, "OPTIONS": {}}


def test_a_postgresql_database_gets_a_bounded_checked_pool_and_no_persistent_connections():
    database = {**PG, "OPTIONS": {}}
    assert postgres_pool(database, 12) is True
    assert database["OPTIONS"]["pool"] == {"min_size": 1, "max_size": 12, "timeout": 10}
    assert database["CONN_MAX_AGE"] == 0  # Django refuses a pool with persistent connections
    assert database["CONN_HEALTH_CHECKS"] is True  # a connection is checked before it is handed out
    assert database["OPTIONS"]["application_name"] == "shouhou-web"


def test_no_pool_for_sqlite_or_size_zero():
    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": "x", "CONN_MAX_AGE": 0, "OPTIONS": {}}
    assert postgres_pool(sqlite, 12) is False and "pool" not in sqlite["OPTIONS"]
    database = {**PG, "OPTIONS": {}}
    assert postgres_pool(database, 0) is False and "pool" not in database["OPTIONS"]
    assert database["CONN_MAX_AGE"] == 60


def test_the_pool_size_comes_from_the_variable_else_the_threads():
    assert web_pool_size({}) == settings.WEB_THREADS + settings.LIVE_READ_THREADS + 2 == 12
    assert web_pool_size({"SHOUHOU_DB_POOL": "20"}) == 20
    assert web_pool_size({"SHOUHOU_DB_POOL": "0"}) == 0
    with pytest.raises(CommandError, match="SHOUHOU_DB_POOL 应为非负整数，收到「many」"):
        web_pool_size({"SHOUHOU_DB_POOL": "many"})


SHOW = "from django.conf import settings; d = settings.DATABASES['default']; print(d['OPTIONS'].get('pool'), d['CONN_MAX_AGE'])"


def _settings_seen(command: str) -> str:
    """The database settings Django ends up with when `shouhou <command>` starts in an environment that asks
    for a pool: the entry point (cli.main) runs, then the command is replaced by printing the settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOUHOU_", "PYTEST"))}
    env.update({"SHOUHOU_DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres", "SHOUHOU_DB_POOL": "7",
                "SHOUHOU_DB_CONN_MAX_AGE": "60", "DJANGO_SETTINGS_MODULE": "shouhou.config.settings",
                "PYTHONPATH": str(REPO)})
    script = ("import sys, django, django.core.management as management\n"
              "from shouhou import cli\n"
              "management.execute_from_command_line = lambda argv: (django.setup(), exec(sys.stdin.read()))\n"
              "cli.main(['shouhou', sys.argv[1]])\n")
    return subprocess.run([sys.executable, "-c", script, command], input=SHOW, cwd=REPO, env=env, check=True,  # noqa: S603
                          capture_output=True, text=True, timeout=120).stdout.strip()


def test_the_worker_never_pools_even_when_the_variable_says_so():
    # the same environment: a command other than the worker reads the variable, the worker is forced to 0
    assert _settings_seen("shell").startswith("{'min_size': 1, 'max_size': 7")
    assert _settings_seen("worker") == "None 60"
