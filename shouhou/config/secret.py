"""The secret key: signed customer links (case follow, web chat), sessions and CSRF depend on it.

- `SHOUHOU_SECRET_KEY` set: that key (production sets it, the same on every web process).
- not set, outside production: a random key made once per install and kept in `<data dir>/secret_key`
  (file mode 0600), so a fresh install never signs with a key printed in the source.
- production (`SHOUHOU_PRODUCTION=true`): a missing, short or published key refuses to start.

Docs: docs/security.md ("The secret key").
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

KEY_FILE_NAME = "secret_key"
MIN_LENGTH = 50
MIN_UNIQUE = 5
# Keys that were printed in this project's source or are Django's own placeholders: anyone can sign
# links with them.
PUBLISHED_KEYS = frozenset({
    "dev-only-insecure-key-change-me-in-production-0123456789",
    "change-me",
    "changeme",
    "secret",
})
# "change-me…": the placeholder deploy/systemd/shouhou.env.example carried (a production copied unedited
# started with it), and any other placeholder of that kind.
PUBLISHED_PREFIXES = ("django-insecure-", "dev-only-insecure-", "change-me", "changeme", "change_me")


def key_problem(key: str) -> str | None:
    """Why a key must not sign anything in production, or None when it is fit."""
    if not key:
        return "未设置 SHOUHOU_SECRET_KEY (not set)"
    if key in PUBLISHED_KEYS or key.lower().startswith(PUBLISHED_PREFIXES):
        return "SHOUHOU_SECRET_KEY 是公开的示例值 (a published key)"
    if len(key) < MIN_LENGTH or len(set(key)) < MIN_UNIQUE:
        return f"SHOUHOU_SECRET_KEY 太短或太简单，至少 {MIN_LENGTH} 个字符 (too short or too simple)"
    return None


def install_key(data_dir: Path) -> str:
    """The install's own key: read `<data_dir>/secret_key`, or create it once (0600, never overwritten:
    two processes starting together both end up with the first one's key)."""
    path = data_dir / KEY_FILE_NAME
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(64))
    for _ in range(50):  # the creator may still be writing
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.02)
    raise ImproperlyConfigured(f"密钥文件为空：{path}（删除后重启即可重新生成）")


def secret_key(*, env_key: str | None, data_dir: Path, production: bool) -> str:
    if production:
        problem = key_problem(env_key or "")
        if problem:
            raise ImproperlyConfigured(
                f"生产模式拒绝启动：{problem}。请设置 SHOUHOU_SECRET_KEY 为随机的长字符串，例如 "
                "python3 -c \"import secrets; print(secrets.token_urlsafe(64))\"（docs/security.md）")
        return env_key or ""
    if env_key:
        return env_key
    return install_key(data_dir)
