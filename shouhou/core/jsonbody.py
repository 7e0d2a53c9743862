"""One parse for every JSON body a webhook or platform push sends us.

`json.loads` on an outsider's bytes fails in ways a plain `except JSONDecodeError` misses: 100,000 nested `[`
raise RecursionError, a 5,000-digit integer raises ValueError with Python's own words (「Exceeds the limit (4300
digits)…」), and `NaN` / `Infinity` are accepted although JSON has no such values (PostgreSQL's jsonb refuses
them later, mid-transaction). A payload thousands of levels deep that did parse can still overflow the stack of
whatever walks it next (json.dumps into a JSONField, a template). `json_body` refuses all of these with one
neutral message, as `JsonBodyError` — a `json.JSONDecodeError`, so every caller's existing `except
JSONDecodeError` / `except ValueError` already answers it as "not JSON" (RFC 8259 §9: a parser may limit depth
and the range of numbers).
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64  # no platform's push nests past ten levels
MAX_INT_DIGITS = 64  # 64-bit ids have 20 digits; a longer integer is no id, amount or time
NOT_JSON = "请求体不是合法的 JSON"  # platform-facing words stay Chinese, untranslated (docs/configuration.md)
_REFUSE = object()


class JsonBodyError(json.JSONDecodeError):
    """The body is not JSON we accept. Its text is always NOT_JSON: never the parser's internal words."""

    def __init__(self, message: str = NOT_JSON):
        super().__init__(message, "", 0)
        self.msg = message

    def __str__(self) -> str:
        return self.msg


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise JsonBodyError
    return int(text)


def _no_constant(name: str):
    raise JsonBodyError  # NaN, Infinity, -Infinity


def _depth_ok(value: Any) -> bool:
    """Walked without recursion, so the check itself cannot overflow the stack."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > MAX_DEPTH:
            return False
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return True


def json_body(raw: bytes | str, *, empty: Any = _REFUSE) -> Any:
    """The parsed body; raise JsonBodyError for anything that is not JSON within the limits above (bad bytes, bad
    syntax, too deep, an over-long integer, NaN/Infinity). An empty body is `empty` when given, else refused."""
    if not raw and empty is not _REFUSE:
        return empty
    try:
        value = json.loads(raw, parse_int=_int, parse_constant=_no_constant)
    except JsonBodyError:
        raise
    except (ValueError, RecursionError, TypeError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise JsonBodyError from exc
    if not _depth_ok(value):
        raise JsonBodyError
    return value
