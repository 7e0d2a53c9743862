"""Platform pages (connections and their health) and the push endpoints the platforms call."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from shouhou.accounts.access import current_shop_for_request, require_action, role_for
from shouhou.accounts.permissions import CASE_APPROVE, SETTINGS_EDIT, VIEW, role_can
from shouhou.commerce.selectors import return_addresses
from shouhou.platforms import actback, reject_defaults, selectors, services
from shouhou.platforms.choices import ConnectedPlatform
from shouhou.platforms.decrypt import decrypt_enabled, platform_decrypts
from shouhou.platforms.models import PlatformAftersale, PlatformConnection


@csrf_exempt
@require_POST
def platform_push(request, platform: str, app_key: str | None = None):
    """A platform's message push, answered in its own format: 抖店 {"code":0,"msg":"success"} once stored;
    a push that is not signed (抖店) or not encrypted (快手) by a connected app — by the app the URL names, on a
    per-app URL — gets the platform's failure shape and nothing is stored."""
    if platform not in ConnectedPlatform.values:
        raise Http404
    headers = {k.lower(): v for k, v in request.headers.items()}
    result = services.push_receive(platform=platform, headers=headers, body=request.body, url_app_key=app_key)
    return JsonResponse(result.answer, status=result.status, json_dumps_params={"ensure_ascii": False})


def _shop(request):
    shop = current_shop_for_request(request)
    if shop is None:
        raise PermissionDenied(_("您不属于任何店铺"))
    require_action(request.user, shop, VIEW)
    return shop


@login_required
def connections(request):
    shop = _shop(request)
    can_edit = role_can(role_for(request.user, shop), SETTINGS_EDIT)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(_("只有管理员可以连接平台店铺"))
        p = request.POST
        try:
            conn = services.connection_connect(
                shop=shop, actor=request.user, platform=p.get("platform", ConnectedPlatform.DOUDIAN),
                app_key=p.get("app_key", ""), app_secret=p.get("app_secret", ""),
                platform_shop_id=p.get("platform_shop_id", ""), code=p.get("code", ""),
                api_base=p.get("api_base", ""),
                extra_secrets={"sign_secret": p.get("sign_secret", ""), "msg_secret": p.get("msg_secret", "")})
        except services.ConnectionError_ as exc:
            messages.error(request, str(exc))
            return redirect("platforms:connections")
        messages.success(request, _("已连接，正在同步最近的售后申请"))
        return redirect("platforms:connection", pk=conn.pk)
    return render(request, "platforms/connections.html", {
        "rows": selectors.connection_health_list(shop=shop), "can_edit": can_edit,
        "platforms": ConnectedPlatform.choices,
        "push_urls": [(label, request.build_absolute_uri(f"/platforms/{value}/push/"))
                      for value, label in ConnectedPlatform.choices],
        "callback_urls": [(label, request.build_absolute_uri(reverse("platforms:auth_callback", args=[value])))
                          for value, label in actback.authorize_platforms()],
    })


@login_required
def connection_detail(request, pk: int):
    shop = _shop(request)
    conn = get_object_or_404(PlatformConnection, shop=shop, pk=pk)
    can_edit = role_can(role_for(request.user, shop), SETTINGS_EDIT)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(_("只有管理员可以修改平台设置"))
        what = request.POST.get("do")
        if what == "sync":
            done = services.connection_sync_now(conn=conn, actor=request.user, what="aftersales")
            messages.success(request, _("已同步 %(n)s 条售后申请") % {"n": done.read})
        elif what == "sync_orders":
            result = services.connection_sync_now(conn=conn, actor=request.user, what="orders")
            if result.error:
                messages.error(request, result.error)
            else:
                messages.success(request, _("订单同步完成：读取 %(read)s 单，新增或变化 %(written)s 单") % {
                    "read": result.read, "written": result.written})
        elif what == "settings":
            try:
                limit = Decimal(request.POST.get("auto_refund_limit") or "0")
                services.connection_settings(conn=conn, actor=request.user,
                                             push_auto_decisions=request.POST.get("push_auto_decisions") == "on",
                                             auto_refund_limit=limit,
                                             return_address_id=request.POST.get("return_address_id", ""),
                                             inspect_returns=request.POST.get("inspect_returns") == "on",
                                             decrypt_buyer=(request.POST.get("decrypt_buyer") == "on"
                                                            if platform_decrypts(conn.platform) else None))
                messages.success(request, _("设置已保存"))
            except (InvalidOperation, services.ConnectionError_) as exc:
                messages.error(request, _("金额格式不正确") if isinstance(exc, InvalidOperation) else str(exc))
        elif what == "reject_defaults":  # 微信小店: the default refusal reason per reject scene
            try:
                reject_defaults.reject_defaults_save(conn=conn, actor=request.user, values={
                    k[len("reject_scene_"):]: v for k, v in request.POST.items() if k.startswith("reject_scene_")})
                messages.success(request, _("默认拒绝原因已保存"))
            except actback.ActbackError as exc:
                messages.error(request, str(exc))
        return redirect("platforms:connection", pk=conn.pk)
    mapping = (conn.settings or {}).get("address_map") or {}
    return render(request, "platforms/connection.html", {
        "push_url": request.build_absolute_uri(selectors.connection_push_path(conn)),
        "health": selectors.connection_health(conn), "can_edit": can_edit,
        "events": selectors.recent_events(conn), "actions": selectors.recent_actions(conn),
        "address_rows": [(a, mapping.get(str(a.pk), "")) for a in return_addresses(shop=shop, include_inactive=False)],
        "platform_addresses": ((conn.settings or {}).get("platform_addresses") or {}).get("items") or [],
        "can_authorize": conn.platform in dict(actback.authorize_platforms()),
        "can_decrypt": platform_decrypts(conn.platform), "decrypting": decrypt_enabled(conn),
        "reject_default_rows": reject_defaults.form_rows(conn) if can_edit else [],
    })


@login_required
@require_POST
def case_sync(request, case_id: int):
    """Read the case's platform request again now (after working on it in the platform's back office)."""
    shop = _shop(request)
    require_action(request.user, shop, CASE_APPROVE)
    link = get_object_or_404(PlatformAftersale.objects.select_related("connection"), shop=shop, case_id=case_id)
    if services.aftersale_refresh(link):
        messages.success(request, _("已从平台重新同步"))
    else:
        messages.error(request, _("平台暂时无法读取：%(error)s") % {"error": link.connection.last_error})
    return redirect("cases:detail", pk=case_id)
