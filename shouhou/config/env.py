"""Typed helpers that read settings from the environment (one place, no surprises)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"", "0", "false", "no", "off"}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    """A switch: 1/true/yes/on or 0/false/no/off (any case; empty is off). Anything else refuses to start:
    a mistyped SHOUHOU_PRODUCTION=ture used to mean "off" without a word."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} 应为 true 或 false（1/0、yes/no、on/off），收到「{raw}」")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name} 应为整数，收到「{raw}」") from None


def env_json(name: str, default):
    """A JSON value (an object of provider options, say); unset or empty: the default."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} 不是合法的 JSON（{exc}）") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def env_path(name: str, default: Path) -> Path:
    raw = os.environ.get(name)
    return Path(raw).expanduser() if raw else default


POOL_ENV = "SHOUHOU_DB_POOL"
WEB_APPLICATION_NAME = "shouhou-web"


def postgres_pool(database: dict, size: int) -> bool:
    """Give a PostgreSQL database entry Django's connection pool (psycopg_pool): at most `size` connections,
    reused across requests and threads; a connection is checked before it is handed out (a restarted server
    costs one reconnect, not an error). Other engines, or size 0: unchanged. Returns whether it pooled.

    Only web processes pool (`shouhou serve` turns it on): the worker forks its task processes, and a
    child must never share its parent's open connections (cli.py turns it off for the worker)."""
    if size <= 0 or not database.get("ENGINE", "").endswith("postgresql"):
        return False
    database["CONN_MAX_AGE"] = 0  # the pool keeps connections; Django refuses both at once
    database["CONN_HEALTH_CHECKS"] = True
    options = database.setdefault("OPTIONS", {})
    options.setdefault("application_name", WEB_APPLICATION_NAME)  # web vs worker in pg_stat_activity
    options["pool"] = {"min_size": 1, "max_size": size, "timeout": 10}
    return True
