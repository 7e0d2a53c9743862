"""Rate limits: fixed calendar windows, counted where every process and machine sees the same count
(core/counters.py: Redis when configured, else the database; one atomic step per hit).

    result = rate_check(scope="portal-lookup", key=ip, rate="10/m")
    @rate_limit(scope="portal-lookup", rate="10/m", key="ip")          # a Django view
    @rate_limit(scope="survey", rate="5/h", key=lambda r: r.POST.get("token", ""))

Over the limit a view answers 429 with a Chinese message and `Retry-After`; the API raises
`RateLimited`, which shouhou.api.errors turns into the same answer in the API's error shape.
"""

from __future__ import annotations

import functools
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from shouhou.core.clientip import client_ip, ip_limit_key  # client_ip re-exported: views import it from here
from shouhou.core.counters import counter_hit

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PLAIN_KEY = re.compile(r"[A-Za-z0-9._:@-]{1,64}")
MESSAGE = "请求过于频繁，请 {seconds} 秒后再试"


class RateLimited(Exception):
    def __init__(self, retry_after: int):
        super().__init__(MESSAGE.format(seconds=retry_after))
        self.retry_after = retry_after


@dataclass(frozen=True)
class RateResult:
    allowed: bool
    count: int
    limit: int
    retry_after: int


def parse_rate(rate: str) -> tuple[int, int]:
    """'10/m' -> (10, 60); '100/5m' -> (100, 300)."""
    count, _, period = rate.partition("/")
    unit = period[-1:] or "s"
    factor = int(period[:-1]) if period[:-1] else 1
    if unit not in _UNITS or not count.isdigit():
        raise ValueError(f"无法识别的限流速率：{rate}")
    return int(count), factor * _UNITS[unit]


def cache_safe(key: str) -> str:
    """A key as it may stand in a cache key: kept when short and plain (an IP, a user id), otherwise hashed —
    a key can come from the request (a token, a phone), and a long or non-ASCII one would make a large key
    that memcached refuses."""
    if _PLAIN_KEY.fullmatch(key):
        return key
    return "h" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def rate_check(*, scope: str, key: str, rate: str, cache_alias: str = "default") -> RateResult:
    """Count one hit for (scope, key) in the current window and say whether it is allowed."""
    limit, window = parse_rate(rate)
    current = int(time.time())
    bucket = current - current % window
    count = counter_hit(f"rl:{scope}:{cache_safe(key)}:{bucket}", expires_in=bucket + window - current,
                        cache_alias=cache_alias)
    retry_after = max(1, bucket + window - current)
    return RateResult(allowed=count <= limit, count=count, limit=limit, retry_after=retry_after)


def too_many_response(retry_after: int) -> HttpResponse:
    response = HttpResponse(_(MESSAGE).format(seconds=retry_after), status=429,
                            content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(retry_after)
    return response


def rate_limit(*, scope: str, rate: str, key: str | Callable[[HttpRequest], str] = "ip",
               methods: tuple[str, ...] | None = None):
    """Decorate a Django view. `key` is "ip", "user", or a function of the request."""

    def key_for(request: HttpRequest) -> str:
        if callable(key):
            return str(key(request))
        if key == "user" and getattr(request, "user", None) is not None and request.user.is_authenticated:
            return f"u{request.user.pk}"
        return ip_limit_key(client_ip(request))  # an IPv6 client by its /64

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if methods is None or request.method in methods:
                result = rate_check(scope=scope, key=key_for(request), rate=rate)
                if not result.allowed:
                    return too_many_response(result.retry_after)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
