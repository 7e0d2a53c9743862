"""Local stand-ins for the platforms' open APIs and pushes (tests, demos). Each speaks its platform's published
request, response and push shapes; see docs/platforms.md."""

from __future__ import annotations

import time

import httpx


def deliver(url: str, *, retries: int = 0, **kwargs) -> httpx.Response:
    """POST one push as the platforms do: an answer of 5xx, or none at all, is tried again — `retries` more times,
    after 0.5 s, 1 s, 2 s … (the platforms retry a failed push for minutes to hours; a sandbox compresses that).
    With no retries (the tests' default) the first answer is returned as it is."""
    for attempt in range(retries + 1):
        try:
            response = httpx.post(url, **kwargs)
        except httpx.TransportError:
            if attempt == retries:
                raise
        else:
            if response.status_code < 500 or attempt == retries:
                return response
        time.sleep(0.5 * 2 ** attempt)
    raise AssertionError("unreachable")  # pragma: no cover
