"""Pages for acting back on a platform request (reject with the platform's reason and evidence, the exchange's
new parcel, the 补寄 parcel, arbitration evidence, more time, a refund instead), the connection's address mapping, the signed evidence link the platform fetches, and the
authorisation redirect (start and callback)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shouhou.accounts.access import shop_pk
from shouhou.cases.models import Case
from shouhou.cases.services import CaseError
from shouhou.cases.views import evidence_file_response
from shouhou.platforms import actback
from shouhou.platforms.choices import ConnectedPlatform
from shouhou.platforms.models import PlatformConnection
from shouhou.platforms.views import _shop


def _case(request, case_id: int) -> Case:
    return get_object_or_404(Case.objects.select_related("shop", "order"), shop=_shop(request), pk=case_id)


@login_required
@require_POST
def case_reject(request, case_id: int):
    """The case page's reject form when a platform request is behind the case."""
    p = request.POST
    return _case_action(request, case_id, lambda case: actback.case_reject_on_platform(
        case=case, actor=request.user, reason=p.get("reason", ""),
        reject_reason_code=p.get("reject_reason_code") or None, evidence_ids=p.getlist("evidence_ids")),
        _("已拒绝，拒绝原因与凭证正在回传平台"))


def _case_action(request, case_id: int, act, done: str):
    """Run one acting-back service for the case page: its message on success, the service's words on refusal,
    back to the case either way."""
    case = _case(request, case_id)
    try:
        act(case)
        messages.success(request, done)
    except (actback.ActbackError, CaseError, PermissionDenied) as exc:
        messages.error(request, str(exc))
    return redirect("cases:detail", pk=case.pk)


@login_required
@require_POST
def case_exchange_ship(request, case_id: int):
    p = request.POST
    return _case_action(request, case_id, lambda case: actback.exchange_ship(
        case=case, actor=request.user, carrier=p.get("carrier", ""), tracking_no=p.get("tracking_no", "")),
        _("换货运单已登记，正在回传平台并订阅物流"))


@login_required
@require_POST
def case_resend_ship(request, case_id: int):
    """补寄: the missing part's parcel (carrier + tracking number) sent back to the platform."""
    p = request.POST
    return _case_action(request, case_id, lambda case: actback.resend_ship(
        case=case, actor=request.user, carrier=p.get("carrier", ""), tracking_no=p.get("tracking_no", "")),
        _("补寄运单已登记，正在回传平台并订阅物流"))


@login_required
@require_POST
def case_evidence_submit(request, case_id: int):
    """Arbitration evidence (words + chosen case photos) for the platform's request."""
    p = request.POST
    return _case_action(request, case_id, lambda case: actback.evidence_submit(
        case=case, actor=request.user, comment=p.get("comment", ""), evidence_ids=p.getlist("evidence_ids")),
        _("仲裁凭证已排队提交到平台"))


@login_required
@require_POST
def case_time_extend(request, case_id: int):
    """More time to take in the buyer's return (抖店 afterSale/timeExtend)."""
    return _case_action(request, case_id, lambda case: actback.time_extend(
        case=case, actor=request.user, note=request.POST.get("note", "")),
        _("延长收货时限的申请已排队回传平台"))


@login_required
@require_POST
def case_refund_instead(request, case_id: int):
    """The return, exchange or repair turned into a refund on the platform (抖店 operate 121/321/621)."""
    return _case_action(request, case_id, lambda case: actback.refund_instead(
        case=case, actor=request.user, note=request.POST.get("note", "")),
        _("转为退款的申请已排队回传平台，平台退款后售后单自动完结"))


@require_GET
def evidence_public(request, token: str):
    """A case photo by signed, expiring link: what the platform fetches when shouhou uploads evidence."""
    ev = actback.evidence_from_token(token)
    if ev is None or not ev.file:
        raise Http404("凭证链接无效或已过期")
    return evidence_file_response(ev, max_age=600)


@login_required
@require_POST
def connection_addresses(request, pk: int):
    """Read the platform's address book, or save which platform address each return address is."""
    shop = _shop(request)
    conn = get_object_or_404(PlatformConnection, shop=shop, pk=pk)
    try:
        if request.POST.get("do") == "fetch":
            found = actback.platform_addresses_refresh(conn=conn, actor=request.user)
            messages.success(request, _("已读取平台地址库：%(n)s 个地址") % {"n": len(found)})
        else:
            mapping = {k[len("address_"):]: v for k, v in request.POST.items() if k.startswith("address_")}
            actback.address_map_save(conn=conn, actor=request.user, mapping=mapping)
            messages.success(request, _("退货地址对应关系已保存"))
    except (actback.ActbackError, PermissionDenied) as exc:
        messages.error(request, str(exc))
    return redirect("platforms:connection", pk=conn.pk)


def _callback_uri(request, platform: str) -> str:
    return request.build_absolute_uri(reverse("platforms:auth_callback", args=[platform]))


@login_required
@require_POST
def authorize(request):
    """"Connect by authorisation": a new connection (app credentials from the form) or an existing one
    (`connection` = its id); the browser goes to the platform's authorise page."""
    shop = _shop(request)
    p = request.POST
    conn = None
    if p.get("connection"):
        pk = shop_pk(p.get("connection"))  # an id as typed: 「乙」 answered 500
        if pk is None:
            raise Http404
        conn = get_object_or_404(PlatformConnection, shop=shop, pk=pk)
    platform = conn.platform if conn else p.get("platform", "")
    if platform not in ConnectedPlatform.values:
        # an unknown or missing platform (a forged form) gets a message, never a 500
        messages.error(request, _("请选择要授权的平台。"))
        return redirect("platforms:connection", pk=conn.pk) if conn else redirect("platforms:connections")
    try:
        url = actback.authorize_start(
            shop=shop, actor=request.user, platform=platform, redirect_uri=_callback_uri(request, platform),
            conn=conn, app_key=p.get("app_key", ""), app_secret=p.get("app_secret", ""),
            platform_shop_id=p.get("platform_shop_id", ""), api_base=p.get("api_base", ""),
            authorize_base=p.get("authorize_base", ""), service_id=p.get("service_id", ""),
            extra_secrets={"sign_secret": p.get("sign_secret", ""), "msg_secret": p.get("msg_secret", "")})
    except (actback.ActbackError, PermissionDenied) as exc:
        messages.error(request, str(exc))
        return redirect("platforms:connection", pk=conn.pk) if conn else redirect("platforms:connections")
    return redirect(url)


@login_required
@require_GET
def auth_callback(request, platform: str):
    """Where the platform sends the merchant back with ?code=…&state=… (the callback URL saved in its console)."""
    if platform not in ConnectedPlatform.values:
        raise Http404
    try:
        conn = actback.authorize_complete(platform=platform, code=request.GET.get("code", ""),
                                          state=request.GET.get("state", ""), actor=request.user)
    except (actback.ActbackError, PermissionDenied) as exc:
        messages.error(request, str(exc))
        return redirect("platforms:connections")
    messages.success(request, _("授权成功：%(platform)s 店铺 %(shop)s 已连接，令牌有效至 %(until)s") % {
        "platform": conn.get_platform_display(), "shop": conn.platform_shop_id,
        "until": conn.token_expires_at.strftime("%Y-%m-%d %H:%M") if conn.token_expires_at else "—"})
    return redirect("platforms:connection", pk=conn.pk)
