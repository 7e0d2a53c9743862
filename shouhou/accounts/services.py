"""Writes for accounts: memberships, roles, API tokens, shop switching, PII reveal, retention.
Every change to permissions is audited (core.audit.audit_record)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction

from shouhou.accounts.access import access_shop_for_user
from shouhou.accounts.actors import acting_user, require_role
from shouhou.accounts.choices import Role
from shouhou.accounts.models import ApiToken, Membership
from shouhou.accounts.permissions import PII_REVEAL, SETTINGS_EDIT, TOKEN_MANAGE, role_can
from shouhou.api.errors import DomainError
from shouhou.commerce.models import Customer, Order, Shop
from shouhou.core.audit import audit_record
from shouhou.core.clock import now

KNOWN_SCOPES = ("accounts", "commerce", "policies", "cases", "inbox", "sla", "notifications", "logistics",
                "reviews", "insight", "platforms")
RETENTION_KEY = "pii_retention_days"
DEFAULT_RETENTION_DAYS = 365


def _check_scopes(scopes: list[str]) -> list[str]:
    clean = []
    for scope in scopes:
        scope = scope.strip()
        if not scope:
            continue
        domain, _, mode = scope.partition(":")
        if scope in {"*", "read"} or (domain in KNOWN_SCOPES and mode in {"", "read", "write"}):
            clean.append(scope)
        else:
            raise DomainError(f"未知的权限范围：{scope}（可用：{'、'.join(KNOWN_SCOPES)}，可加 :read）", field="scopes")
    if not clean:
        raise DomainError("至少需要一个权限范围", field="scopes")
    return clean


@dataclass
class IssuedToken:
    token: ApiToken
    secret: str  # `<prefix>.<secret>`: shown once, never stored

    @property
    def header(self) -> str:
        return f"Bearer {self.secret}"


@transaction.atomic
def token_issue(*, shop: Shop, name: str, scopes: list[str], role: str = Role.AGENT, actor,
                expires_in_days: int | None = None) -> IssuedToken:
    """A new token; with expires_in_days (1–3650) it stops working after that many days."""
    require_role(actor, shop, TOKEN_MANAGE)
    if role not in Role.values:
        raise DomainError(f"未知角色：{role}", field="role")
    if not name.strip():
        raise DomainError("令牌名称不能为空", field="name")
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        raise DomainError("有效天数应在 1 到 3650 之间", field="expires_in_days")
    expires_at = now() + timedelta(days=expires_in_days) if expires_in_days else None
    from shouhou.api.auth import hash_token

    clean = _check_scopes(scopes)
    held = getattr(actor, "scopes", None) if getattr(actor, "token", None) is not None else None
    if held:
        from shouhou.api.auth import scope_covered

        wider = [scope for scope in clean if not scope_covered(scope, held)]
        if wider:
            raise PermissionDenied(f"令牌不能签发超出自身权限范围的令牌：{'、'.join(wider)}")
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(shop=shop, name=name.strip()[:100], prefix=prefix, key_hash=hash_token(secret),
                                    scopes=clean, role=role, created_by=acting_user(actor),
                                    expires_at=expires_at)
    audit_record(action="token.issue", obj=token, actor=actor, shop=shop,
                 after={"name": token.name, "scopes": ",".join(clean), "role": role, "prefix": prefix,
                        "expires_at": expires_at.isoformat() if expires_at else None})
    return IssuedToken(token=token, secret=f"{prefix}.{secret}")


@transaction.atomic
def token_revoke(*, token: ApiToken, actor) -> ApiToken:
    require_role(actor, token.shop, TOKEN_MANAGE)
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now())
    token.refresh_from_db()
    if updated:
        audit_record(action="token.revoke", obj=token, actor=actor, shop=token.shop,
                     before={"revoked_at": None}, after={"revoked_at": token.revoked_at.isoformat()})
    return token


@transaction.atomic
def membership_set(*, user, shop: Shop, role: str, actor, approval_limit=None) -> Membership:
    """Add the user to the shop with `role`, or change their role; audited either way."""
    require_role(actor, shop, TOKEN_MANAGE)
    if role not in Role.values:
        raise DomainError(f"未知角色：{role}", field="role")
    row = Membership.objects.select_for_update().filter(user=user, shop=shop).first()
    before = {"role": row.role, "approval_limit": str(row.approval_limit)} if row else {}
    if row is None:
        row = Membership(user=user, shop=shop, role=role)
    row.role = role
    if approval_limit is not None:
        row.approval_limit = approval_limit
    row.save()
    after = {"role": row.role, "approval_limit": str(row.approval_limit)}
    if before != after:
        audit_record(action="membership.add" if not before else "membership.change", obj=row, actor=actor,
                     shop=shop, before=before, after={**after, "user": user.get_username()})
    return row


@transaction.atomic
def membership_remove(*, membership: Membership, actor) -> None:
    require_role(actor, membership.shop, TOKEN_MANAGE)
    audit_record(action="membership.remove", obj=membership, actor=actor, shop=membership.shop,
                 before={"role": membership.role, "user": membership.user.get_username()})
    membership.delete()


def shop_switch(*, request, shop_id: int | str) -> Shop:
    """The shop switcher: remember the chosen shop in the session (only a shop the user belongs to)."""
    shop = access_shop_for_user(request.user, shop_id)
    request.session["shop_id"] = shop.pk
    return shop


@transaction.atomic
def shop_retention_set(*, shop: Shop, days: int, actor) -> Shop:
    require_role(actor, shop, SETTINGS_EDIT)
    if days < 30 or days > 3650:
        raise DomainError("数据保留期应在 30 到 3650 天之间", field="days")
    locked = Shop.objects.select_for_update().get(pk=shop.pk)
    before = locked.settings.get(RETENTION_KEY)
    locked.settings = {**locked.settings, RETENTION_KEY: days}
    locked.save(update_fields=["settings", "updated_at"])
    shop.settings = locked.settings  # the caller's instance sees the new value too
    audit_record(action="shop.retention", obj=locked, actor=actor, shop=locked,
                 before={"days": before}, after={"days": days})
    return locked


def shop_retention_days(shop: Shop) -> int:
    value = (shop.settings or {}).get(RETENTION_KEY)
    return int(value) if isinstance(value, int) and value > 0 else DEFAULT_RETENTION_DAYS


REVEAL_FIELDS = {
    ("customer", "phone"): (Customer, "phone"),
    ("order", "phone"): (Order, "receiver_phone"),
    ("order", "address"): (Order, "address"),
    ("order", "name"): (Order, "receiver_name"),
}


def pii_reveal(*, shop: Shop, role: str, actor, kind: str, object_id: int, field: str, reason: str = "") -> str:
    """Return the clear value of one personal field and write an audit event. 403 without PII_REVEAL.
    An order synced from a platform whose connection has the decrypt switch on is decrypted by the platform
    at this moment (platforms/decrypt.py): the clear value is returned, audited as such, and never stored."""
    if not role_can(role, PII_REVEAL):
        raise PermissionDenied("当前角色无权查看完整个人信息")
    spec = REVEAL_FIELDS.get((kind, field))
    if spec is None:
        allowed = "、".join(f"{k}.{f}" for k, f in REVEAL_FIELDS)
        raise DomainError(f"不支持查看的字段：{kind}.{field}（可用：{allowed}）", field="field")
    model, column = spec
    obj = model.objects.filter(shop=shop, pk=object_id).first()  # another shop's id is simply not found
    if obj is None:
        raise DomainError("未找到该记录", status=404, field="object_id")
    value, after = getattr(obj, column), {"field": column}
    if kind == "order":
        from shouhou.platforms.decrypt import DecryptRefused, receiver_reveal

        try:
            who = f"user:{actor.pk}" if getattr(actor, "pk", None) else "api-token"  # tokens share one budget
            decrypted = receiver_reveal(obj, column, who=who)  # HTTP to the platform: outside any transaction
        except DecryptRefused as exc:
            raise DomainError(exc.message, field="field") from exc
        if decrypted is not None:
            value, after = decrypted, {"field": column, "source": "platform_decrypt"}
    with transaction.atomic():
        audit_record(action="pii.reveal", obj=obj, actor=actor, shop=shop, after=after, note=(reason or "")[:200])
    return value
