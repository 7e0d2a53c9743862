from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import ValidationError as NinjaValidationError

from shouhou.accounts.permissions import POLICY_EDIT, VIEW, role_can
from shouhou.api.errors import DomainError
from shouhou.policies.claims import ClaimInputError, facts_from_json
from shouhou.policies.document import PolicyError, parse, validate
from shouhou.policies.engine import decide
from shouhou.policies.models import PolicyVersion
from shouhou.policies.selectors import policy_document, policy_versions
from shouhou.policies.services import policy_publish

router = Router(tags=["售后政策"])


class VersionOut(Schema):
    id: int
    version: int
    is_active: bool
    note: str
    created_at: dt.datetime


class VersionDetailOut(VersionOut):
    source: str


class SourceIn(Schema):
    source: str
    note: str = ""


class ValidateOut(Schema):
    valid: bool
    errors: list[str]


class DecideIn(Schema):
    claim: dict[str, Any] = Field(description=(
        "申请（严格校验，未知字段、字符串形式的布尔值、NaN/负数金额、不可能的时间顺序都会被拒绝并指明字段）："
        "category, reason, order_date, now（必填，YYYY-MM-DD）, price_paid（必填，单价）, ship_date, delivery_date, "
        "quantity, paid_total, current_price, condition, tier, return_insurance, exchanges_so_far, "
        "failed_repairs, washed, followed_care_label, confirmed_exclusion_at_purchase, has_photo, downloaded, "
        "gift_value, main_part, return_quantity, warranty_days, activated, sold_as_flawed, free_shipping_lost, "
        "replaced_date（三包：最近一次换货日期）, repair_days（三包：维修占用天数）"))
    source: str | None = None


class DecisionOut(Schema):
    allowed: list[str]
    recommended: str | None
    shipping_payer: str
    deadlines: dict[str, str]
    auto_approved: bool
    refund_amount: Decimal
    compensation: dict[str, Any] | None
    clauses: list[str]
    day: int | None
    explanation_zh: str
    explanation_en: str
    refund_within_days: int | None = Field(None, description="退货退款：商家收到退回商品后几日内退款（消法第25条）")
    gift_deduction: Decimal | None = Field(None, description="未退回赠品按标价扣除的金额（暂行办法第十二条）")
    shipping_deduction: Decimal | None = Field(None, description="退货后不再满足包邮条件，从退款中扣除的运费")
    on_request: list[str] = Field([], description="可由顾客申请、须客服审批的办理方式（三包第十三条：换货期内不愿换货的可申请退货，已使用的收取折旧费；消法第24条：七日后符合法定解除合同条件的，质量问题商品可申请退货）")
    policy_version: int | None = None


def _out(v: PolicyVersion, source: bool = False) -> dict:
    data = {"id": v.pk, "version": v.version, "is_active": v.is_active, "note": v.note, "created_at": v.created_at}
    if source:
        data["source"] = v.source
    return data


def _need(request, action: str) -> None:
    # The token's scope was checked against this router's domain (`/api/<domain>/`) by
    # api.auth.guard_request before we got here; Principal.can() would check it again against the
    # action's own prefix ("view", "case.", "compensation.") and refuse every `cases`-scoped token,
    # so only the role is checked here.
    if not role_can(request.auth.role, action):
        raise DomainError("无权执行此操作（需要店铺管理员）。", status=403)


@router.get("/versions", response=list[VersionOut], summary="政策版本列表")
def list_versions(request):
    _need(request, VIEW)
    return [_out(v) for v in policy_versions(shop=request.auth.shop)]


@router.get("/versions/{version}", response=VersionDetailOut, summary="查看一个政策版本")
def get_version(request, version: int):
    _need(request, VIEW)
    return _out(get_object_or_404(PolicyVersion, shop=request.auth.shop, version=version), source=True)


@router.post("/versions", response={201: VersionDetailOut}, summary="发布新版本（店铺管理员）")
def publish(request, payload: SourceIn):
    _need(request, POLICY_EDIT)
    try:
        v = policy_publish(shop=request.auth.shop, source=payload.source, actor=request.auth, note=payload.note)
    except PolicyError as exc:
        raise DomainError("；".join(exc.errors), status=422, field="source") from exc
    return Status(201, _out(v, source=True))


@router.post("/validate", response=ValidateOut, summary="校验政策文档")
def validate_source(request, payload: SourceIn):
    _need(request, VIEW)
    try:
        parse(payload.source)
    except PolicyError as exc:
        return {"valid": False, "errors": exc.errors}
    return {"valid": True, "errors": validate(parse(payload.source))}


@router.post("/decide", response=DecisionOut, summary="按政策对申请做出决定")
def decide_claim(request, payload: DecideIn):
    _need(request, VIEW)
    version = None
    try:
        if payload.source:
            doc = parse(payload.source)
        else:
            v, doc = policy_document(shop=request.auth.shop)
            version = v.version if v else None
        line, claim, now = facts_from_json(payload.claim)
    except PolicyError as exc:
        raise DomainError("；".join(exc.errors), status=422, field="source") from exc
    except ClaimInputError as exc:
        raise _located(exc) from exc
    try:
        decision = decide(line, claim, now, policy=doc)
    except ClaimInputError as exc:
        raise _located(exc) from exc
    return {**decision.to_json(), "policy_version": version}


def _located(exc: ClaimInputError) -> NinjaValidationError:
    """Each claim error as a 422 item located at body.claim.<field> (the API's usual validation shape)."""
    return NinjaValidationError([
        {"loc": ("body", *field.split(".")), "type": "value_error", "msg": msg}
        for field, msg in exc.located])
