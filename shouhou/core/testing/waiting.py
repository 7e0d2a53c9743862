"""Waiting in tests for something another thread or process does (a sandbox's push arriving over HTTP)."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(predicate: Callable[[], object], seconds: float = 10.0) -> bool:
    """Poll `predicate` every 50 ms until it is true or `seconds` have passed; say which."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False
