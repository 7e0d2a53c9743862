"""Accounts API: who am I, the audit log, revealing personal data, API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.core.exceptions import PermissionDenied
from ninja import Field, Query, Router, Schema, Status

from shouhou.accounts import selectors, services
from shouhou.accounts.choices import Role
from shouhou.accounts.models import ApiToken
from shouhou.accounts.permissions import AUDIT_VIEW, ROLE_ACTIONS, TOKEN_MANAGE
from shouhou.api.errors import DomainError

router = Router(tags=["账号与权限"])


class MeOut(Schema):
    shop_id: int
    shop_name: str
    role: str
    username: str | None
    token: str | None
    actions: list[str]


class AuditOut(Schema):
    id: int
    at: datetime
    actor: str | None
    action: str
    object_type: str
    object_id: str
    before: dict
    after: dict
    note: str


class RevealIn(Schema):
    kind: Literal["customer", "order"] = Field(description="customer 或 order")
    object_id: int = Field(ge=1)
    field: Literal["phone", "address", "name"]
    reason: str = Field("", max_length=200)


class RevealOut(Schema):
    kind: str
    object_id: int
    field: str
    value: str


class TokenIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(min_length=1, max_length=20)
    role: Literal["agent", "supervisor", "admin", "analyst"] = Role.AGENT
    expires_in_days: int | None = Field(None, ge=1, le=3650, description="令牌有效天数；不填为长期有效（可随时吊销）")


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    role: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None


class TokenIssuedOut(TokenOut):
    secret: str = Field(description="只显示这一次；请立即保存")


def _token_out(token: ApiToken) -> dict:
    return {"id": token.pk, "name": token.name, "prefix": token.prefix, "scopes": list(token.scopes or []),
            "role": token.role, "created_at": token.created_at, "last_used_at": token.last_used_at,
            "revoked_at": token.revoked_at, "expires_at": token.expires_at}


def _require(request, action: str) -> None:
    if not request.auth.can(action):
        raise PermissionDenied("当前角色无权执行此操作")


@router.get("/me", response=MeOut, summary="当前身份与店铺")
def me(request):
    p = request.auth
    return {"shop_id": p.shop.pk, "shop_name": p.shop.name, "role": p.role,
            "username": p.user.get_username() if p.actor else None,
            "token": p.token.prefix if p.token else None,
            "actions": sorted(a for a in ROLE_ACTIONS.get(p.role, ()) if p.can(a))}


@router.get("/audit", response=list[AuditOut], summary="审计日志（店铺管理员）")
def audit(request, action: str = "", object_type: str = "", object_id: str = "",
          limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0, le=1_000_000)):
    _require(request, AUDIT_VIEW)
    rows = selectors.audit_list(shop=request.auth.shop, action=action, object_type=object_type,
                                object_id=object_id)[offset:offset + limit]
    return [{"id": r.pk, "at": r.at, "actor": r.actor.get_username() if r.actor else None, "action": r.action,
             "object_type": r.object_type, "object_id": r.object_id, "before": r.before, "after": r.after,
             "note": r.note} for r in rows]


@router.post("/reveal", response=RevealOut, summary="查看完整手机号/地址（留审计记录）")
def reveal(request, payload: RevealIn):
    p = request.auth
    value = services.pii_reveal(shop=p.shop, role=p.role if p.can("pii.reveal") else "", actor=p.actor,
                                kind=payload.kind, object_id=payload.object_id, field=payload.field,
                                reason=payload.reason)
    return {"kind": payload.kind, "object_id": payload.object_id, "field": payload.field, "value": value}


@router.get("/tokens", response=list[TokenOut], summary="API 令牌列表")
def tokens(request):
    _require(request, TOKEN_MANAGE)
    return [_token_out(t) for t in ApiToken.objects.filter(shop=request.auth.shop).order_by("-created_at", "-id")]


@router.post("/tokens", response={201: TokenIssuedOut}, summary="签发 API 令牌（密钥只显示一次）")
def token_create(request, payload: TokenIn):
    _require(request, TOKEN_MANAGE)
    issued = services.token_issue(shop=request.auth.shop, name=payload.name, scopes=payload.scopes,
                                  role=payload.role, actor=request.auth, expires_in_days=payload.expires_in_days)
    return Status(201, {**_token_out(issued.token), "secret": issued.secret})


@router.delete("/tokens/{token_id}", response=TokenOut, summary="吊销 API 令牌")
def token_revoke(request, token_id: int):
    _require(request, TOKEN_MANAGE)
    token = ApiToken.objects.filter(shop=request.auth.shop, pk=token_id).first()
    if token is None:
        raise DomainError("未找到该令牌", status=404)
    return _token_out(services.token_revoke(token=token, actor=request.auth))
