"""Human-readable, unique-enough document numbers: PREFIX + yymmdd + 6 random base32 chars."""

from __future__ import annotations

import secrets

from shouhou.core.clock import localnow

_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_number(prefix: str) -> str:
    suffix = "".join(secrets.choice(_ALPHABET) for _ in range(6))
    return f"{prefix}{localnow():%y%m%d}{suffix}"
