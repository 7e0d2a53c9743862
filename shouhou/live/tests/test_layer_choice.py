"""Which channel layer carries live pushes (settings, docs/live.md): in-memory without Redis; with Redis the
pub/sub layer (one publish per event, each web process hands it to its sockets) unless SHOUHOU_LIVE_LAYER=lists
asks for the list-based one with its capacity; anything else is refused at start. Pushes across real processes
through the pub/sub layer: live/tests/test_processes.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
SHOW = ("from django.conf import settings; c = settings.CHANNEL_LAYERS['default']; "
        "print(c['BACKEND'], c['CONFIG'].get('capacity'))")


def _layer(**variables: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOUHOU_", "PYTEST"))}
    env.update({"DJANGO_SETTINGS_MODULE": "shouhou.config.settings", "PYTHONPATH": str(REPO), **variables})
    return subprocess.run([sys.executable, "-c", f"import django; django.setup(); {SHOW}"], cwd=REPO, env=env,  # noqa: S603
                          capture_output=True, text=True, timeout=120)


def test_without_redis_the_in_memory_layer_with_its_capacity():
    assert _layer().stdout.split() == ["channels.layers.InMemoryChannelLayer", "1000"]


def test_with_redis_the_pub_sub_layer_unless_lists_are_asked_for():
    redis = "redis://127.0.0.1:6379/12"
    assert _layer(SHOUHOU_REDIS_URL=redis).stdout.split() == ["channels_redis.pubsub.RedisPubSubChannelLayer", "None"]
    assert _layer(SHOUHOU_REDIS_URL=redis, SHOUHOU_LIVE_LAYER="lists").stdout.split() == [
        "channels_redis.core.RedisChannelLayer", "1000"]
    refused = _layer(SHOUHOU_REDIS_URL=redis, SHOUHOU_LIVE_LAYER="kafka")
    assert refused.returncode != 0 and "SHOUHOU_LIVE_LAYER must be pubsub or lists, not 'kafka'" in refused.stderr
