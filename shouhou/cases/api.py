from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from shouhou.accounts.permissions import (
    CASE_APPROVE,
    CASE_CREATE,
    COMPENSATE,
    COMPENSATE_ABOVE_LIMIT,
    RECALL_LAUNCH,
    VIEW,
    role_can,
)
from shouhou.api.errors import DomainError
from shouhou.api.params import OFFSET, limit_query
from shouhou.cases import services as svc
from shouhou.cases.models import Case, CaseEvidence
from shouhou.cases.selectors import case_decision_text, case_list, case_statutory_damages, claim_line
from shouhou.cases.views import evidence_file_response
from shouhou.commerce.models import SKU, Order, OrderLine, Product
from shouhou.core.links import link_revoke
from shouhou.core.models import LinkRevocation
from shouhou.core.uploads import UploadError
from shouhou.policies.engine import ClaimInputError

router = Router(tags=["售后单"])


class CaseEventOut(Schema):
    at: dt.datetime
    kind: str
    from_status: str
    to_status: str
    note: str
    visible_to_customer: bool
    actor: str | None


class CaseOut(Schema):
    id: int
    number: str
    kind: str
    status: str
    reason: str
    order_no: str
    order_line_id: int | None
    auto_approved: bool
    shipping_payer: str
    refund_amount: Decimal
    compensation_amount: Decimal
    compensation_kind: str
    resolution: str
    policy_version: int | None
    return_method: str
    return_carrier: str
    return_tracking_no: str
    inspection_site: str
    inspection_result: str
    created_at: dt.datetime


class CaseDetailOut(CaseOut):
    decision: dict[str, Any]
    decision_text: str = Field("", description="政策决定的说明，使用请求的语言（Accept-Language）")
    events: list[CaseEventOut]
    evidence: list[str]


class CaseIn(Schema):
    order_no: str
    line_id: int | None = Field(None, description="订单商品行 id；不填时取订单中第一个未被平台移除的商品行")
    reason: str
    kind: str | None = None
    description: str = ""
    claim: dict[str, Any] = {}
    return_quantity: int | None = Field(
        None, ge=1, strict=True,
        description="部分退货：申请的件数（1 至该商品行的数量；不填为整行），退款按件数分摊整行实付；"
                    "与 claim.return_quantity 相同")
    main_part: bool | None = Field(
        None, strict=True, description="三包：故障在主要部件上（整机保修期后主要部件仍在保修期内可免费维修）；"
                                       "与 claim.main_part 相同")


def _claim_data(payload: CaseIn) -> dict:
    """The claim data: `claim` with the top-level `return_quantity` and `main_part`, which must agree with it."""
    claim = dict(payload.claim)
    for key in ("return_quantity", "main_part"):
        value = getattr(payload, key)
        if value is None:
            continue
        if key in claim and claim[key] != value:
            raise DomainError(f"{key} 与 claim.{key} 不一致。", status=400, field=key)
        claim[key] = value
    return claim


class NoteIn(Schema):
    note: str = ""


class LinkRevokedOut(Schema):
    case_id: int
    revoked_at: dt.datetime


class ReasonIn(Schema):
    reason: str


class ShipmentIn(Schema):
    method: str = "self_ship"
    carrier: str = ""
    tracking_no: str = ""
    payer: Literal["merchant", "buyer", "insurance"] | None = Field(None, description="改定退回运费承担方（可选）：merchant / buyer / insurance；质量问题、"
                                                "发错货等商家责任的退回只能是 merchant（消法第24条第二款）")


class InspectionIn(Schema):
    action: str = "start"  # start | result
    site: str = "warehouse"
    result: str | None = None
    note: str = ""
    compensation_kind: str | None = None
    compensation_amount: Decimal | None = None


class ProgressIn(Schema):
    note: str
    visible_to_customer: bool = True


class CompensateIn(Schema):
    kind: str
    amount: Decimal
    note: str = ""
    given: Decimal | None = Field(None, description="发放前看到的本单补偿合计（可选）：与当前不符则拒绝，防止重复提交或两人同时发放")


class ResolveIn(Schema):
    resolution: str | None = None
    note: str = ""


class RecallIn(Schema):
    reason: str
    product_id: int | None = None
    sku_id: int | None = None
    batch_no: str = ""
    remedy: str = "return_refund"


class RecallOut(Schema):
    id: int
    cases: int


def _out(c: Case) -> dict:
    return {
        "id": c.pk, "number": c.number, "kind": c.kind, "status": c.status, "reason": c.reason,
        "order_no": c.order.order_no, "order_line_id": c.order_line_id, "auto_approved": c.auto_approved,
        "shipping_payer": c.shipping_payer, "refund_amount": c.refund_amount,
        "compensation_amount": c.compensation_amount, "compensation_kind": c.compensation_kind,
        "resolution": c.resolution, "policy_version": c.policy_version.version if c.policy_version_id else None,
        "return_method": c.return_method, "return_carrier": c.return_carrier,
        "return_tracking_no": c.return_tracking_no, "inspection_site": c.inspection_site,
        "inspection_result": c.inspection_result, "created_at": c.created_at,
    }


def _detail(c: Case) -> dict:
    c = Case.objects.select_related("order", "policy_version").get(pk=c.pk)
    events = [{"at": e.at, "kind": e.kind, "from_status": e.from_status, "to_status": e.to_status, "note": e.note,
               "visible_to_customer": e.visible_to_customer,
               "actor": e.actor.get_username() if e.actor_id else None}
              for e in c.events.select_related("actor").order_by("at", "id")]
    return {**_out(c), "decision": c.decision, "decision_text": case_decision_text(c), "events": events,
            "evidence": [reverse("api:case_evidence_file", args=[c.pk, ev.pk]) for ev in c.evidence.all()]}


def _need(request, action: str) -> None:
    # The token's scope was checked against this router's domain (`/api/<domain>/`) by
    # api.auth.guard_request before we got here; Principal.can() would check it again against the
    # action's own prefix ("view", "case.", "compensation.") and refuse every `cases`-scoped token,
    # so only the role is checked here.
    if not role_can(request.auth.role, action):
        raise DomainError("无权执行此操作。", status=403)


def _case(request, case_id: int) -> Case:
    return get_object_or_404(Case.objects.select_related("order", "shop", "customer"), shop=request.auth.shop,
                             pk=case_id)


def _run(fn, **kwargs):
    try:
        return fn(**kwargs)
    except svc.CaseError as exc:
        if exc.field:  # the request's own data is wrong (e.g. claim.return_quantity): said at the field
            raise DomainError(str(exc), status=400, field=exc.field) from exc
        raise DomainError(str(exc), status=409) from exc
    except UploadError as exc:
        raise DomainError(str(exc), status=400, field="file") from exc
    except PermissionDenied as exc:
        raise DomainError(str(exc) or "无权执行此操作。", status=403) from exc


@router.post("/recalls", response={201: RecallOut}, summary="发起召回")
def recall(request, payload: RecallIn):
    _need(request, RECALL_LAUNCH)
    shop = request.auth.shop
    product = get_object_or_404(Product, shop=shop, pk=payload.product_id) if payload.product_id else None
    sku = get_object_or_404(SKU, shop=shop, pk=payload.sku_id) if payload.sku_id else None
    r = _run(svc.recall_launch, shop=shop, actor=request.auth, reason=payload.reason, product=product, sku=sku,
             batch_no=payload.batch_no, remedy=payload.remedy)
    return Status(201, {"id": r.pk, "cases": r.cases.count()})


@router.get("/", response=list[CaseOut], summary="售后单列表")
def list_cases(request, status: str | None = None, kind: str | None = None, limit: int = limit_query(50, 200),
               offset: int = OFFSET,
               q: str = Query("", max_length=64, description="订单号、售后单号（部分即可）或手机尾号 4 位")):
    _need(request, VIEW)
    qs = case_list(shop=request.auth.shop, status=status, kind=kind, q=q).select_related("policy_version")
    return [_out(c) for c in qs[offset:offset + min(limit, 200)]]


@router.post("/", response={201: CaseDetailOut}, summary="创建售后单",
             description="按店铺政策判定（可自动通过）。被店铺平台从订单中移除的商品行不能创建售后单（409，错误说明指明订单与商品）。")
def create_case(request, payload: CaseIn):
    _need(request, CASE_CREATE)
    order = get_object_or_404(Order, shop=request.auth.shop, order_no=payload.order_no)
    lines = OrderLine.objects.filter(order=order).select_related("order__customer")
    line = claim_line(lines, payload.line_id)
    if line is None:
        raise DomainError("订单中没有这个商品行。", status=404, field="line_id")
    case = _run(svc.case_create, shop=request.auth.shop, order_line=line, reason=payload.reason, kind=payload.kind,
                description=payload.description, claim_data=_claim_data(payload), actor=request.auth, channel="api")
    return Status(201, _detail(case))


@router.get("/{case_id}", response=CaseDetailOut, summary="售后单详情")
def get_case(request, case_id: int):
    _need(request, VIEW)
    return _detail(_case(request, case_id))


@router.post("/{case_id}/approve", response=CaseDetailOut, summary="同意")
def approve(request, case_id: int, payload: NoteIn):
    _need(request, CASE_APPROVE)
    return _detail(_run(svc.case_approve, case=_case(request, case_id), actor=request.auth, note=payload.note))


@router.post("/{case_id}/reject", response=CaseDetailOut, summary="拒绝（须填原因）")
def reject(request, case_id: int, payload: ReasonIn):
    _need(request, CASE_APPROVE)
    return _detail(_run(svc.case_reject, case=_case(request, case_id), actor=request.auth,
                        reason=payload.reason))


@router.post("/{case_id}/cancel", response=CaseDetailOut, summary="撤销")
def cancel(request, case_id: int, payload: NoteIn):
    _need(request, CASE_CREATE)
    return _detail(_run(svc.case_cancel, case=_case(request, case_id), actor=request.auth,
                        reason=payload.note))


@router.post("/{case_id}/links/revoke", response=LinkRevokedOut, summary="收回顾客手中的跟进链接")
def revoke_links(request, case_id: int, payload: NoteIn):
    """Every follow link given out for this case until now stops working (a lookup gives a new one)."""
    case = _case(request, case_id)
    row: LinkRevocation = _run(link_revoke, shop=request.auth.shop, kind=LinkRevocation.Kind.CASE_FOLLOW,
                               object_id=case.pk, actor=request.auth, reason=payload.note)
    return {"case_id": case.pk, "revoked_at": row.revoked_at}


@router.post("/{case_id}/return-shipment", response=CaseDetailOut, summary="登记退回物流")
def return_shipment(request, case_id: int, payload: ShipmentIn):
    _need(request, CASE_CREATE)
    return _detail(_run(svc.case_return_shipped, case=_case(request, case_id), actor=request.auth,
                        method=payload.method, carrier=payload.carrier, tracking_no=payload.tracking_no,
                        payer=payload.payer))


@router.post("/{case_id}/receive", response=CaseDetailOut, summary="确认收到退货")
def receive(request, case_id: int, payload: NoteIn):
    _need(request, CASE_APPROVE)
    return _detail(_run(svc.case_mark_received, case=_case(request, case_id), actor=request.auth,
                        note=payload.note))


@router.post("/{case_id}/inspection", response=CaseDetailOut, summary="送检 / 登记检测结果")
def inspection(request, case_id: int, payload: InspectionIn):
    _need(request, CASE_APPROVE)
    case = _case(request, case_id)
    if payload.action == "start":
        case = _run(svc.case_start_inspection, case=case, actor=request.auth, site=payload.site,
                    note=payload.note)
    elif payload.action == "result" and payload.result:
        case = _run(svc.case_record_inspection, case=case, actor=request.auth, result=payload.result,
                    note=payload.note, compensation_kind=payload.compensation_kind,
                    compensation_amount=payload.compensation_amount, role=request.auth.role)
    else:
        raise DomainError("action 须为 start，或为 result 并填写 result。", status=422, field="action")
    return _detail(case)


@router.post("/{case_id}/progress", response=CaseDetailOut, summary="添加进度说明")
def progress(request, case_id: int, payload: ProgressIn):
    _need(request, CASE_CREATE)
    case = _case(request, case_id)
    _run(svc.case_add_progress, case=case, actor=request.auth, note=payload.note,
         visible_to_customer=payload.visible_to_customer)
    return _detail(case)


@router.post("/{case_id}/compensate", response=CaseDetailOut, summary="发放补偿（超额度待主管审批）")
def compensate(request, case_id: int, payload: CompensateIn):
    _need(request, COMPENSATE)
    return _detail(_run(svc.case_issue_compensation, case=_case(request, case_id), actor=request.auth,
                        kind=payload.kind, amount=payload.amount, note=payload.note, role=request.auth.role,
                        given=payload.given))


@router.post("/{case_id}/supervisor-approve", response=CaseDetailOut, summary="主管审批")
def supervisor_approve(request, case_id: int, payload: NoteIn):
    _need(request, COMPENSATE_ABOVE_LIMIT)
    return _detail(_run(svc.case_supervisor_approve, case=_case(request, case_id), actor=request.auth,
                        note=payload.note))


@router.post("/{case_id}/supervisor-decline", response=CaseDetailOut, summary="主管驳回补偿（须填原因）")
def supervisor_decline(request, case_id: int, payload: ReasonIn):
    _need(request, COMPENSATE_ABOVE_LIMIT)
    return _detail(_run(svc.case_supervisor_decline, case=_case(request, case_id), actor=request.auth,
                        reason=payload.reason))


@router.post("/{case_id}/resolve", response=CaseDetailOut, summary="完结")
def resolve(request, case_id: int, payload: ResolveIn):
    _need(request, CASE_APPROVE)
    return _detail(_run(svc.case_resolve, case=_case(request, case_id), actor=request.auth,
                        resolution=payload.resolution, note=payload.note))


@router.post("/{case_id}/evidence", response={201: CaseDetailOut}, summary="上传照片凭证")
def evidence(request, case_id: int, file: UploadedFile = File(...)):  # noqa: B008
    _need(request, CASE_CREATE)
    case = _case(request, case_id)
    _run(svc.case_add_evidence, case=case, upload=file, actor=request.auth)
    return Status(201, _detail(case))


@router.get("/{case_id}/evidence/{evidence_id}", summary="下载照片凭证", url_name="case_evidence_file",
            response={200: None})
def evidence_file(request, case_id: int, evidence_id: int):
    _need(request, VIEW)
    ev = get_object_or_404(CaseEvidence, pk=evidence_id, case_id=case_id, case__shop=request.auth.shop)
    if not ev.file:
        raise DomainError("凭证文件已丢失。", status=404)
    try:
        return evidence_file_response(ev, max_age=3600)  # the staff page's headers: a sandboxed, named download
    except Http404 as exc:
        raise DomainError("凭证文件已丢失。", status=404) from exc


class DamagesOut(Schema):
    basis: str
    clause: str
    amount: Decimal
    price_paid: Decimal
    loss: Decimal
    minimum_applied: bool
    explanation_zh: str
    explanation_en: str


@router.get("/{case_id}/damages", response={200: DamagesOut, 204: None}, summary="法定惩罚性赔偿试算（不写入）")
def damages(request, case_id: int, basis: str = Query(..., description="fraud（消法55）或 food_safety（食品安全法148）"),
            loss: str = Query("0", max_length=20, description="已证明的损失（元）"),
            label_only: bool = Query(False, description="仅为不影响食品安全且不误导的标签瑕疵")):
    """消法55 (fraud: three times the price, at least 500 yuan) or 食品安全法148 (unsafe food: ten times the price or three
    times the loss, at least 1,000 yuan) on the price paid for the case's units. A preview: nothing is written."""
    _need(request, VIEW)
    try:
        amount = Decimal(loss.strip() or "0")
    except ArithmeticError:
        raise DomainError(f"loss: 应为金额（元），收到 {loss!r}", status=400, field="loss") from None
    try:
        found = case_statutory_damages(case=_case(request, case_id), basis=basis, loss=amount, label_only=label_only)
    except ClaimInputError as exc:
        field, message = exc.located[0]
        raise DomainError(f"{field}: {message}", status=400, field=field) from exc
    if found is None:
        return Status(204, None)
    return found.to_json()
