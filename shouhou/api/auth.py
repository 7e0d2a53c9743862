"""API authentication: a browser session or a per-shop bearer token. Both resolve to one shop.

Every authenticated call also passes three generic guards, so each router gets them for free:
- shop membership: `X-Shop-Id` naming a shop the user (or token) does not belong to is refused (403);
- read-only: analysts, and tokens without a write scope for the router's domain, may not use unsafe
  methods (403);
- rate limit: per token / per user, cache-backed (429 with Retry-After).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie, HttpBearer

from shouhou.accounts.access import role_for, shop_pk, shops_for_user
from shouhou.accounts.models import ApiToken
from shouhou.accounts.permissions import role_can, role_may_write
from shouhou.commerce.models import Shop
from shouhou.core.clock import now
from shouhou.core.ratelimit import RateLimited, rate_check

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class Principal:
    shop: Shop
    role: str
    user: AbstractBaseUser | AnonymousUser | None = None
    token: ApiToken | None = None
    scopes: list[str] = field(default_factory=list)

    def can(self, action: str) -> bool:
        """The role decides. A token's scopes are API domains (`insight`, `reviews:read` …) and were checked
        against the request's own domain by guard_request before any handler ran; testing them again here
        against the action's prefix ("view", "audit.", "team.") refused every domain-scoped token on the
        routers that ask can() — an `insight` token read no insight, a `reviews` token no reviews."""
        return role_can(self.role, action)

    @property
    def actor(self):
        """The user to record in audit events (None for a token)."""
        return self.user if getattr(self.user, "is_authenticated", False) else None


def scope_covered(scope: str, held: list[str]) -> bool:
    """Whether a token holding `held` may hand out `scope`: never more than it has itself (an `accounts` token
    minting a `*` one was a way out of its scope)."""
    if "*" in held:
        return True
    if scope == "*":
        return False
    if scope == "read":
        return "read" in held
    domain, _, mode = scope.partition(":")
    return scope_allows_domain(held, domain, write=mode != "read")


def scope_allows_domain(scopes: list[str], domain: str, *, write: bool) -> bool:
    """Token scopes are domains (`cases`, `inbox`, ...), optionally narrowed to `<domain>:read`;
    `*` is everything, `read` is read-only everywhere. A bare domain allows reading and writing."""
    if "*" in scopes or domain in scopes or f"{domain}:write" in scopes:
        return True
    if write:
        return False
    return "read" in scopes or f"{domain}:read" in scopes


def api_domain(request) -> str:
    """`/api/cases/...` -> `cases` (the router's prefix)."""
    parts = [p for p in request.path.split("/") if p]
    return parts[1] if len(parts) > 1 and parts[0] == "api" else ""


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _shop_for_request(request, user) -> Shop | None:
    shops = shops_for_user(user)
    wanted = request.headers.get("X-Shop-Id")
    if wanted:
        pk = shop_pk(wanted)
        shop = shops.filter(pk=pk).first() if pk is not None else None
        if shop is None:
            raise PermissionDenied("无权访问该店铺（X-Shop-Id 不是您所属的店铺）")
        return shop
    if hasattr(request, "session") and request.session.get("shop_id"):
        chosen = shops.filter(pk=request.session["shop_id"]).first()
        if chosen is not None:
            return chosen
    return shops.order_by("pk").first()


def guard_request(request, principal: Principal) -> None:
    """The generic guards every API operation passes once authenticated."""
    write = request.method not in SAFE_METHODS
    if principal.token is not None:
        domain = api_domain(request)
        if principal.scopes and domain and not scope_allows_domain(principal.scopes, domain, write=write):
            raise PermissionDenied(f"令牌权限范围不包含「{domain}{'（写）' if write else ''}」")
    if write and not role_may_write(principal.role):
        raise PermissionDenied("只读角色不能修改数据")
    limits = settings.SHOUHOU.get("API_RATE_LIMIT", "600/m")
    who = f"t{principal.token.pk}" if principal.token is not None else f"u{getattr(principal.user, 'pk', '')}"
    result = rate_check(scope="api", key=who, rate=limits)
    if not result.allowed:
        raise RateLimited(result.retry_after)


class SessionAuth(APIKeyCookie):
    """Django session cookie (CSRF-checked for unsafe methods)."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if not user or not user.is_authenticated:
            return None
        shop = _shop_for_request(request, user)
        if shop is None:
            return None
        role = role_for(user, shop) or ""
        principal = Principal(shop=shop, role=role, user=user)
        guard_request(request, principal)
        request.principal = principal
        return principal


TOKEN_PREFIX = re.compile(r"[A-Za-z0-9_-]{1,12}")


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <prefix>.<secret>`; the token belongs to exactly one shop."""

    def authenticate(self, request, token):
        # A bearer token that does not check out is refused outright (401), never silently replaced
        # by the browser session that may ride along.
        prefix, _, secret = token.partition(".")
        if not secret or not TOKEN_PREFIX.fullmatch(prefix):
            # a prefix as issued (hex, at most the column's 12 characters): a NUL reached PostgreSQL, which
            # refuses it in any text (DataError, answered 422 instead of 401)
            raise AuthenticationError()
        row = ApiToken.objects.select_related("shop").filter(prefix=prefix, revoked_at__isnull=True).first()
        if row is None or not hmac.compare_digest(row.key_hash, hash_token(secret)):
            raise AuthenticationError()
        if row.expires_at is not None and row.expires_at <= now():
            raise AuthenticationError()  # expired: refused like a revoked token
        wanted = request.headers.get("X-Shop-Id")
        if wanted and wanted != str(row.shop_id):
            raise PermissionDenied("无权访问该店铺（令牌属于另一家店铺）")
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now())
        principal = Principal(shop=row.shop, role=row.role, token=row, scopes=list(row.scopes or []))
        guard_request(request, principal)
        request.principal = principal
        return principal


session_auth = SessionAuth()
token_auth = TokenAuth()
DEFAULT_AUTH = [token_auth, session_auth]
