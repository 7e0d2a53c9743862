"""What a long-running server process does once it has loaded, before it serves (shouhou.config.asgi calls it)."""

from __future__ import annotations

import gc

SERVING_ENV = "SHOUHOU_SERVING"  # set by `shouhou serve` for the server processes it starts


def settle_for_serving() -> int:
    """Load what every request needs (the URL patterns import every view module), then move all the objects
    that live as long as the process out of the garbage collector's reach. A full collection otherwise walks
    every one of them, ~140,000 in a web process: 60–120 ms during which the request being served waits (the
    queue bench's single slow runs, docs/benchmarks.md). Returns how many objects were frozen."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (the property imports the views)
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
