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


def test_serve_warns_when_the_pools_could_ask_for_more_connections_than_postgresql_has_left():
    from shouhou.core.management.commands.serve import budget_warning

    # 2 processes × 12 + the worker's 5 = 29 against 100 - 3 reserved - 60 in use = 37 free: no warning
    assert budget_warning(needed=29, max_connections=100, reserved=3, in_use=60) == ""
    # 8 processes × 12 + 5 = 101: more than the 97 a fresh server has left, said with the numbers and the ways out
    warning = budget_warning(needed=101, max_connections=100, reserved=3, in_use=0)
    assert "最多需要 101 个数据库连接，PostgreSQL 只剩 97 个" in warning
    assert "SHOUHOU_DB_POOL" in warning and "SHOUHOU_WEB_PROCESSES" in warning and "max_connections" in warning


def test_the_budget_counts_each_pool_and_the_workers_own_connections(settings):
    from shouhou.core.management.commands.serve import connection_budget

    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "workers": 4}
    assert connection_budget(processes=3, pool=12, worker=True) == 3 * 12 + 4 + 3
    assert connection_budget(processes=3, pool=12, worker=False) == 36


def test_the_budget_check_reads_the_real_postgresql_limits():
    # run against this machine's PostgreSQL whatever database the suite uses: the check reads max_connections,
    # the reserve and the other clients' connections, and warns for a need no server has room for
    env = {**os.environ, "SHOUHOU_DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
           "DJANGO_SETTINGS_MODULE": "shouhou.config.settings"}
    script = ("import django; django.setup()\n"
              "from shouhou.core.management.commands.serve import postgres_budget_warning\n"
              "print(postgres_budget_warning(100000)); print('--'); print(postgres_budget_warning(1) or 'ok')\n")
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, check=True,  # noqa: S603
                         capture_output=True, text=True, timeout=120).stdout
    many, few = out.split("--")
    assert "最多需要 100000 个数据库连接" in many and "max_connections" in many
    assert few.strip() == "ok"


def test_a_web_process_freezes_what_lives_as_long_as_it_before_serving():
    # given a fresh process that loads the ASGI application as `serve`'s server processes do (SHOUHOU_SERVING=1)
    script = ("import gc\n"
              "from shouhou.config import asgi\n"
              "gc.collect(); print(gc.get_freeze_count(), len(gc.get_objects()))\n")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "shouhou.config.settings", "SHOUHOU_SERVING": "1"}
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, check=True,  # noqa: S603
                         capture_output=True, text=True, timeout=120).stdout.split()
    frozen, walked = int(out[0]), int(out[1])
    # then the startup objects (Django, the apps, every view module) are out of the collector's reach
    assert frozen > 50_000
    # and a full collection walks only what was made since: a small fraction (it walked all ~140,000 before)
    assert walked < frozen // 10, (frozen, walked)


def test_a_test_process_that_loads_the_application_is_not_frozen():
    import gc

    from shouhou.config import asgi  # noqa: F401 (imported as the in-process test servers do)

    # a test process serves pages from a thread beside its tests: it is not a server process and freezes nothing
    # (a leaked cursor frozen with the rest would never be collected and keep its SQLite table locked); that
    # serve's own processes are told is asserted in test_serve_processes.py
    assert os.environ.get("SHOUHOU_SERVING") is None and gc.get_freeze_count() == 0
