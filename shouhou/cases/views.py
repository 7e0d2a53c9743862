from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from shouhou.accounts.access import current_shop_for_request, require_action, role_for, shop_pk
from shouhou.accounts.actors import actor_can
from shouhou.accounts.permissions import CASE_APPROVE, RECALL_LAUNCH, SETTINGS_EDIT, role_can
from shouhou.cases import services as svc
from shouhou.cases.choices import (
    OPEN_STATUSES,
    CaseKind,
    CaseStatus,
    CompensationKind,
    InspectionSite,
    Resolution,
    ReturnMethod,
)
from shouhou.cases.models import Case, CaseEvidence, Recall
from shouhou.cases.selectors import (
    age_text,
    case_age_seconds,
    case_claim_facts,
    case_decision_text,
    case_event_note,
    case_list,
)
from shouhou.commerce.choices import carrier_label
from shouhou.commerce.models import SKU, Product
from shouhou.commerce.selectors import return_addresses
from shouhou.core import clock
from shouhou.core.phones import mask_phone
from shouhou.core.uploads import UploadError, harden_file_response
from shouhou.policies.labels import clause_label


def _shop(request):
    shop = current_shop_for_request(request)
    if shop is None:
        raise PermissionDenied("没有可访问的店铺")
    return shop


CASES_PER_PAGE = 50


@login_required
def case_list_view(request):
    """Open cases first; search by order number, case number or phone tail; every case reachable by page."""
    shop = _shop(request)
    status = request.GET.get("status") or None
    if status not in CaseStatus.values:
        status = None
    q = (request.GET.get("q") or "").strip()[:64]
    sort = "oldest" if request.GET.get("sort") == "oldest" else "newest"
    overdue = request.GET.get("flag") == "repair_overdue"
    cases = case_list(shop=shop, status=status, open_first=True, q=q, oldest_first=sort == "oldest",
                      repair_overdue=overdue)
    page = Paginator(cases, CASES_PER_PAGE).get_page(request.GET.get("page"))
    at = clock.now()
    rows = [(c, mask_phone(c.customer.phone) if c.customer_id else "", age_text(case_age_seconds(c, at=at)),
             c.status in OPEN_STATUSES) for c in page.object_list]
    keep = urlencode({k: v for k, v in (("status", status or ""), ("q", q), ("sort", sort if sort != "newest" else ""),
                                        ("flag", "repair_overdue" if overdue else "")) if v})
    role = role_for(request.user, shop)
    return render(request, "cases/list.html", {
        "rows": rows, "statuses": CaseStatus.choices, "status": status, "q": q, "sort": sort, "page": page,
        "repair_overdue": overdue,
        "keep": keep, "can_recall": role_can(role, RECALL_LAUNCH),
        "no_return_address": not return_addresses(shop=shop, include_inactive=False).exists(),
        "can_edit_addresses": role_can(role, SETTINGS_EDIT)})


def _pending_compensation(case: Case) -> dict | None:
    """The compensation waiting for a supervisor, as the page shows it (what is approved must be seen)."""
    pending = case.pending_compensation or {}
    if not pending.get("amount"):
        return None
    kind = pending.get("kind", "")
    label = dict(CompensationKind.choices).get(kind, kind)
    unit = gettext("积分") if kind == "points" else gettext("元")
    return {"kind": label, "amount": pending["amount"], "unit": unit, "note": pending.get("note", ""),
            "text": f"{label} {pending['amount']} {unit}"}


@login_required
def case_detail_view(request, pk: int):
    shop = _shop(request)
    case = Case.objects.select_related("order", "order_line", "customer", "policy_version").filter(
        shop=shop, pk=pk).first()
    if case is None:
        raise Http404("售后单不存在")
    return render(request, "cases/detail.html", {
        "case": case, "decision_text": case_decision_text(case),
        "events": [(e, case_event_note(e, case)) for e in case.events.select_related("actor").order_by("at", "id")],
        "evidence": case.evidence.all(), "next": svc.TRANSITIONS.get(case.status, set()),
        "phone": mask_phone(case.customer.phone) if case.customer_id else "",
        "methods": ReturnMethod.choices, "sites": InspectionSite.choices, "results": Resolution.choices,
        "comp_kinds": CompensationKind.choices,
        "pending": _pending_compensation(case), "paid": svc.paid_for_case(case),
        "ops": svc.case_operations_allowed(case=case, actor=request.user),
        "claim_facts": case_claim_facts(case),
        "clauses": [(code, clause_label(code)) for code in (case.decision or {}).get("clauses", [])],
        "return_carrier": carrier_label(case.return_carrier),
        "can_revoke_link": actor_can(request.user, shop, CASE_APPROVE),
    })


@login_required
@require_POST
def case_action_view(request, pk: int, action: str):
    shop = _shop(request)
    case = Case.objects.select_related("order", "customer", "shop").filter(shop=shop, pk=pk).first()
    if case is None:
        raise Http404("售后单不存在")
    p, user = request.POST, request.user
    amount = p.get("amount", "")  # parsed and checked by the service, which names what is wrong
    actions = {
        "approve": lambda: svc.case_approve(case=case, actor=user, note=p.get("note", "")),
        "reject": lambda: svc.case_reject(case=case, actor=user, reason=p.get("reason", "")),
        "cancel": lambda: svc.case_cancel(case=case, actor=user, reason=p.get("note", "")),
        "ship": lambda: svc.case_return_shipped(case=case, actor=user, method=p.get("method", "self_ship"),
                                                carrier=p.get("carrier", ""), tracking_no=p.get("tracking_no", "")),
        "receive": lambda: svc.case_mark_received(case=case, actor=user, note=p.get("note", "")),
        "inspect": lambda: svc.case_start_inspection(case=case, actor=user, site=p.get("site", "warehouse")),
        "progress": lambda: svc.case_add_progress(case=case, actor=user, note=p.get("note", ""),
                                                  visible_to_customer=p.get("internal") != "1"),
        "result": lambda: svc.case_record_inspection(case=case, actor=user, result=p.get("result", ""),
                                                     note=p.get("note", "")),
        "compensate": lambda: svc.case_issue_compensation(case=case, actor=user, kind=p.get("kind", "coupon"),
                                                          amount=amount, note=p.get("note", ""),
                                                          given=p.get("given")),
        "supervisor": lambda: svc.case_supervisor_approve(case=case, actor=user, note=p.get("note", "")),
        "decline": lambda: svc.case_supervisor_decline(case=case, actor=user, reason=p.get("reason", "")),
        "resolve": lambda: svc.case_resolve(case=case, actor=user, resolution=p.get("resolution") or None),
        "evidence": lambda: svc.case_add_evidence(case=case, upload=request.FILES.get("photo"), actor=user),
        "delay": lambda: svc.case_record_repair_delay(case=case, actor=user, cause=p.get("cause", ""),
                                                      note=p.get("note", "")),
    }
    if action not in actions:
        raise Http404("未知操作")
    try:
        actions[action]()
        messages.success(request, "操作成功")
    except (svc.CaseError, UploadError, PermissionDenied) as exc:
        messages.error(request, str(exc))
    return redirect("cases:detail", pk=case.pk)


_CONTENT_TYPES = {"jpeg": "image/jpeg", "jpg": "image/jpeg", "png": "image/png", "webp": "image/webp",
                  "gif": "image/gif", "heic": "image/heic"}


def evidence_file_response(ev: CaseEvidence, *, max_age: int) -> FileResponse:
    """A stored case photo as a private, non-sniffable, sandboxed response (staff page, API, the platforms' signed
    link). Only the raster kinds `check_image` accepts are shown inline, under a name of our own (the stored one was
    the uploader's); anything else — a row stored before uploads were decoded — is a download of
    application/octet-stream (`Content-Disposition: attachment`), never rendered, whatever its extension says."""
    try:
        handle = ev.file.open("rb")
    except FileNotFoundError:
        raise Http404("凭证文件已丢失") from None
    content_type = _CONTENT_TYPES.get(ev.kind)
    if content_type is not None:
        ext = "jpg" if ev.kind == "jpeg" else ev.kind
        response = FileResponse(handle, content_type=content_type)
        response["Content-Disposition"] = f'inline; filename="evidence-{ev.pk}.{ext}"'
    else:
        response = FileResponse(handle, content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="evidence-{ev.pk}.bin"'
    response["Cache-Control"] = f"private, max-age={max_age}"
    return harden_file_response(response)  # never sniffed, sandboxed (a picture stored before uploads were decoded)


@login_required
def case_evidence_view(request, pk: int, evidence_id: int):
    """A case photo, for the shop's staff only (uploads are not served publicly)."""
    shop = _shop(request)
    ev = CaseEvidence.objects.filter(pk=evidence_id, case_id=pk, case__shop=shop).first()
    if ev is None or not ev.file:
        raise Http404("凭证不存在")
    return evidence_file_response(ev, max_age=3600)


RECALL_REMEDIES = [(k, label) for k, label in CaseKind.choices
                   if k in (CaseKind.RETURN_REFUND, CaseKind.EXCHANGE, CaseKind.REPAIR)]


@login_required
def recall_view(request):
    """Launch a recall: choose a product, a SKU and/or a batch, and a reason (supervisors and admins)."""
    shop = _shop(request)
    require_action(request.user, shop, RECALL_LAUNCH)
    form = {"product": "", "sku": "", "batch_no": "", "reason": "", "remedy": CaseKind.RETURN_REFUND}
    error = None
    if request.method == "POST":
        form = {key: request.POST.get(key, "").strip() for key in form}
        product = sku = None
        if form["product"]:
            pk = shop_pk(form["product"])  # ASCII digits only (「²」 passed isdigit() and answered 500)
            product = Product.objects.filter(shop=shop, pk=pk).first() if pk is not None else None
            if product is None:
                error = "所选商品不存在。"
        if form["sku"] and error is None:
            sku = SKU.objects.filter(shop=shop, code=form["sku"]).first()
            if sku is None:
                error = f"本店没有 SKU 编码「{form['sku']}」。"
        if error is None:
            try:
                recall = svc.recall_launch(shop=shop, actor=request.user, reason=form["reason"], product=product,
                                           sku=sku, batch_no=form["batch_no"], remedy=form["remedy"])
            except svc.CaseError as exc:
                error = str(exc)
            else:
                messages.success(request, f"召回 #{recall.pk} 已发起：{recall.cases.count()} 个订单行已建售后单，"
                                          "通知消息已排队。")
                return redirect("cases:recalls")
    return render(request, "cases/recalls.html", {
        "form": form, "error": error, "remedies": RECALL_REMEDIES,
        "products": Product.objects.filter(shop=shop).order_by("name").only("pk", "name"),
        "recalls": Recall.objects.filter(shop=shop).select_related("product", "sku").order_by("-pk")[:50],
    }, status=400 if error else 200)
