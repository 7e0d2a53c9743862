"""The secret key and the production settings, as real processes (settings are read at start).

- A fresh install signs with its own random key, made once in the data dir (0600), never the key that
  was printed in the source (anyone could forge a customer's case-follow or chat link with it).
- Production (SHOUHOU_PRODUCTION=true) refuses to start with a missing, short or published key, or with
  SHOUHOU_DEBUG on; with a real key and HTTPS defaults `shouhou check --deploy` reports nothing.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from shouhou.config.secret import PUBLISHED_KEYS, install_key, key_problem, secret_key
from shouhou.core.testing.commands import command_env, run_shouhou

REPO = Path(__file__).resolve().parents[3]
GOOD_KEY = "Zx8-q2Lr7vB0kTn4Wm1yHs6pJd3fGc9aXe5uRi0oPl2KjQw7Nb"  # noqa: S105 - test value, 50 characters


_env, _shouhou = command_env, run_shouhou


PRINT_KEY = "from django.conf import settings; print(settings.SECRET_KEY)"


def test_a_fresh_install_makes_its_own_key_once_and_keeps_it_private(tmp_path):
    # given a data dir without a key and no SHOUHOU_SECRET_KEY
    env = _env(tmp_path)
    # when the product starts twice
    first = _shouhou(env, "shell", "--no-imports", "-c", PRINT_KEY)
    second = _shouhou(env, "shell", "--no-imports", "-c", PRINT_KEY)
    # then both runs sign with the same random key kept in the data dir, readable by the owner only
    assert first.returncode == 0, first.stderr[-2000:]
    key = first.stdout.strip()
    assert key == second.stdout.strip()
    assert key_problem(key) is None and key not in PUBLISHED_KEYS
    key_file = tmp_path / "secret_key"
    assert key_file.read_text().strip() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_two_installs_get_different_keys(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert install_key(tmp_path / "a") != install_key(tmp_path / "b")


def test_an_existing_key_file_is_never_overwritten(tmp_path):
    (tmp_path / "secret_key").write_text("kept-key\n")
    assert install_key(tmp_path) == "kept-key"


@pytest.mark.parametrize("key", ["", "dev-only-insecure-key-change-me-in-production-0123456789",
                                 "django-insecure-" + "x" * 60, "short-key", "a" * 80])
def test_production_refuses_a_missing_published_or_weak_key(tmp_path, key):
    with pytest.raises(ImproperlyConfigured, match="生产模式拒绝启动"):
        secret_key(env_key=key, data_dir=tmp_path, production=True)
    assert not (tmp_path / "secret_key").exists()  # production never invents a key of its own


def test_production_refuses_to_start_without_a_key_and_says_why(tmp_path):
    done = _shouhou(_env(tmp_path, SHOUHOU_PRODUCTION="true"), "check")
    assert done.returncode != 0
    assert "生产模式拒绝启动" in done.stderr and "SHOUHOU_SECRET_KEY" in done.stderr


def test_production_refuses_debug(tmp_path):
    done = _shouhou(_env(tmp_path, SHOUHOU_PRODUCTION="true", SHOUHOU_DEBUG="true", SHOUHOU_SECRET_KEY=GOOD_KEY),
                    "check")
    assert done.returncode != 0
    assert "SHOUHOU_DEBUG" in done.stderr


def test_check_deploy_is_clean_in_production_mode(tmp_path):
    # given production with a real key and the host name (HTTPS defaults: secure cookies, HSTS, redirect)
    env = _env(tmp_path, SHOUHOU_PRODUCTION="true", SHOUHOU_SECRET_KEY=GOOD_KEY,
               SHOUHOU_ALLOWED_HOSTS="shop.example.com")
    # when Django's deployment checklist runs, failing on any warning
    done = _shouhou(env, "check", "--deploy", "--fail-level", "WARNING")
    # then it reports nothing
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_check_deploy_outside_production_names_what_is_missing(tmp_path):
    # the same checklist on the embedded default warns (HTTP, no HSTS): the settings above are what fix it
    done = _shouhou(_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode != 0
    assert "security.W004" in done.stderr + done.stdout


def test_the_notification_webhook_secret_is_read_from_the_environment(tmp_path):
    # it was documented but never read: the SMS-reply and receipt webhooks could not be switched on
    show = "from django.conf import settings; print(repr(settings.SHOUHOU_NOTIFY_WEBHOOK_SECRET))"
    on = _shouhou(_env(tmp_path, SHOUHOU_NOTIFY_WEBHOOK_SECRET="gateway-bridge-secret"), "shell", "--no-imports", "-c",
                  show)
    off = _shouhou(_env(tmp_path), "shell", "--no-imports", "-c", show)
    assert on.stdout.strip() == "'gateway-bridge-secret'", on.stderr[-2000:]
    assert off.stdout.strip() == "''"
