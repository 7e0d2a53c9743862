"""`python3 dev.py test` runs its PostgreSQL half on the server of SHOUHOU_TEST_PG_URL (README): it checks that
server, not always 127.0.0.1:5432, and installs or starts a local PostgreSQL only for a local address. A
developer with PostgreSQL elsewhere (a container on 5433) was sent to apt-get, or told 5432 had no server."""

from __future__ import annotations

import importlib.util
from types import SimpleNamespace

import pytest

from shouhou.core.testing.commands import REPO


def _dev(monkeypatch, url: str):
    spec = importlib.util.spec_from_file_location("shouhou_dev_py_pg", REPO / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "PG_URL", url)
    return module


def test_the_check_reaches_the_server_of_the_test_url_not_always_5432(monkeypatch):
    from django.conf import settings

    db = settings.DATABASES["default"]
    if "postgresql" in db["ENGINE"]:
        here = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/no_such_db_yet"
        # the tests make their own test_… database: the server answers even before the named one exists
        assert _dev(monkeypatch, here).pg_reachable()
    assert not _dev(monkeypatch, "postgres://postgres@127.0.0.1:9/shouhou").pg_reachable()  # port 9: nobody


def test_a_server_elsewhere_that_does_not_answer_is_named_and_nothing_is_installed(monkeypatch):
    dev = _dev(monkeypatch, "postgres://ci@db.internal:5433/shouhou")
    monkeypatch.setattr(dev, "pg_reachable", lambda: False)
    monkeypatch.setattr(dev, "apt_install", lambda *p: pytest.fail(f"apt-get install {p}"))
    # nor is this machine's PostgreSQL started, or its pg_hba.conf touched
    monkeypatch.setattr(dev, "subprocess", SimpleNamespace(run=lambda *a, **k: pytest.fail(f"ran {a}")))
    monkeypatch.setattr(dev, "Path", lambda *a: pytest.fail(f"looked at {a}"))
    with pytest.raises(SystemExit) as exc:
        dev.ensure_postgres()
    assert "db.internal:5433" in str(exc.value) and "SHOUHOU_TEST_PG_URL" in str(exc.value)
