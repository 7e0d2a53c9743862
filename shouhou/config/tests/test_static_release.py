"""Static files in production: after `shouhou collectstatic` (the deploy's migrate step) they are served under
hashed names, compressed, cached for a year; without it (development, tests) as they are. Production used to
serve chart.js (210 KB) uncompressed, `max-age=60`, under the same name in every release."""

from __future__ import annotations

from pathlib import Path

import yaml

from shouhou.core.testing.commands import REPO, command_env, run_shouhou

SHOW = """
from django.test import Client
from django.templatetags.static import static
url = static('desk/desk.css')
got = Client().get(url, HTTP_ACCEPT_ENCODING='gzip')
print(url, got.status_code, got.get('Content-Encoding'), got.get('Cache-Control'))
"""


def _served(tmp: Path) -> list[str]:
    done = run_shouhou(command_env(tmp), "shell", "--no-imports", "-c", SHOW)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1].split(" ", 3)


def test_collected_static_files_are_hashed_compressed_and_cached_for_good(tmp_path):
    done = run_shouhou(command_env(tmp_path), "collectstatic", "--noinput", "-v", "0")
    assert done.returncode == 0, done.stderr[-2000:]
    url, status, encoding, cache = _served(tmp_path)
    assert url.startswith("/static/desk/desk.") and url != "/static/desk/desk.css"
    assert (status, encoding) == ("200", "gzip")
    assert "immutable" in cache and "max-age=315360000" in cache


def test_without_collectstatic_the_files_are_served_as_they_are(tmp_path):
    url, status, _, cache = _served(tmp_path)
    assert (url, status) == ("/static/desk/desk.css", "200")
    assert "immutable" not in cache


def test_every_deploy_collects_the_static_files():
    unit = (REPO / "deploy" / "systemd" / "shouhou-migrate.service").read_text()
    assert "ExecStart=/opt/shouhou/.venv/bin/shouhou collectstatic --noinput" in unit
    compose = yaml.safe_load((REPO / "deploy" / "compose.yaml").read_text())
    assert "shouhou collectstatic --noinput" in " ".join(compose["services"]["migrate"]["command"])
