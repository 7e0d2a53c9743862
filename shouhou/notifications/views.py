from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from shouhou.accounts.access import current_shop_for_request, require_action, role_for, shop_named
from shouhou.accounts.permissions import POLICY_EDIT, VIEW, role_can
from shouhou.commerce.models import Customer
from shouhou.core.clock import local_tz
from shouhou.core.idempotency import idempotency_claim
from shouhou.core.jsonbody import NOT_JSON, JsonBodyError, json_body
from shouhou.core.phones import PhoneError, mask_phone
from shouhou.core.signatures import SignatureError
from shouhou.core.webhooks import webhook_verify
from shouhou.notifications import gateway_pushes
from shouhou.notifications.choices import MsgChannel, Trigger
from shouhou.notifications.models import MessageTemplate
from shouhou.notifications.selectors import (
    customer_timeline,
    opt_out_requests,
    opt_out_source_label,
    template_list,
    template_preview,
)
from shouhou.notifications.services import (
    customer_opt_out_from_reply,
    opt_out_scope_label,
    receipt_record,
    template_save,
    template_set_active,
)
from shouhou.notifications.templates_text import DEFAULTS, REQUIRED, VARIABLES, TemplateError


class _BadPayload(ValueError):
    pass


def _json(data: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def _signed_webhook(request: HttpRequest, scope: str, apply: Callable[[], dict]) -> JsonResponse:
    """Verify the signature and timestamp, refuse to apply a replay (it gets the first answer with
    "duplicate": true), and apply the payload in the same transaction as the nonce claim."""
    secret = getattr(settings, "SHOUHOU_NOTIFY_WEBHOOK_SECRET", "")
    if not secret:
        return _json({"detail": "未配置回调密钥"}, 401)
    try:
        with transaction.atomic():
            delivery = webhook_verify(request, secret=secret, scope=scope)
            if not delivery.first:
                return _json({**delivery.result, "duplicate": True})
            result = apply()
            delivery.remember(result)
    except SignatureError as exc:
        return _json({"detail": str(exc)}, 401)
    except _BadPayload as exc:
        return _json({"detail": str(exc)}, 400)
    return _json(result)


@csrf_exempt
@require_POST
def sms_reply_webhook(request: HttpRequest):
    """Inbound SMS reply, normalised by the gateway bridge: {"id", "phone", "text"}."""

    def apply() -> dict:
        try:
            doc = json_body(request.body)
        except JsonBodyError as exc:  # never the parser's own words (「Exceeds the limit (4300 digits)…」)
            raise _BadPayload(str(exc)) from exc
        try:
            phone, text, msg_id = str(doc["phone"]), str(doc["text"]), str(doc["id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise _BadPayload(f"缺少字段 {exc}") from exc
        _, fresh = idempotency_claim(scope="sms_reply", key=msg_id)
        try:
            changed = customer_opt_out_from_reply(phone=phone, text=text, reply_id=msg_id) if fresh else 0
        except PhoneError as exc:  # was a 500, and the gateway retried it for ever
            raise _BadPayload(f"phone 字段不是有效的手机号：{exc}") from exc
        return {"opted_out": changed, "duplicate": not fresh}

    return _signed_webhook(request, "notifications.sms_reply", apply)


@csrf_exempt
@require_POST
def receipt_webhook(request: HttpRequest, provider: str):
    """Delivery receipts: [{"provider_message_id", "status": "delivered"|"failed", "detail", "reported_at"}]."""

    def apply() -> dict:
        try:
            rows = json_body(request.body)
        except JsonBodyError as exc:
            raise _BadPayload(str(exc)) from exc
        try:
            if not isinstance(rows, list):
                raise TypeError("应为回执列表")
            items = [(str(r["provider_message_id"]), r["status"], str(r.get("detail") or ""), r.get("reported_at"))
                     for r in rows]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise _BadPayload(f"回执格式错误：{exc}") from exc
        recorded = 0
        for i, (mid, status, detail, reported) in enumerate(items, start=1):
            if status not in ("delivered", "failed"):
                raise _BadPayload(f"第{i}条回执的状态无法识别：{status}")
            try:
                when = datetime.fromisoformat(reported) if reported else None
            except (TypeError, ValueError) as exc:
                raise _BadPayload(f"第{i}条回执的 reported_at 不是 ISO 8601 时间：{reported}") from exc
            if when is not None and when.tzinfo is None:
                when = when.replace(tzinfo=local_tz())
            if receipt_record(provider=provider, provider_message_id=mid, status=status, detail=detail,
                              reported_at=when):
                recorded += 1
        return {"recorded": recorded}

    return _signed_webhook(request, f"notifications.receipts.{provider}"[:50], apply)


@csrf_exempt
@require_POST
def gateway_push(request: HttpRequest, provider: str, token: str, kind: str):
    """A delivery report or an SMS reply as the gateway itself pushes it (notifications/gateway_pushes.py), at the
    address shown by `shouhou notify push-urls`: the path token stands for the signature the gateway cannot make.
    Answered in the gateway's own words, which is what stops its retries."""
    if (provider, kind) not in gateway_pushes.PARSERS:
        raise Http404
    if not gateway_pushes.token_ok(provider, token):
        return _json(gateway_pushes.refusal(provider, "地址无效"), 403)
    try:
        body = json_body(request.body, empty=None)
        parsed = gateway_pushes.PARSERS[(provider, kind)](body)
    except ValueError as exc:  # not JSON (JsonBodyError, in neutral words), or not the published shape
        reason = str(exc) if isinstance(exc, gateway_pushes.PushFormatError | JsonBodyError) else NOT_JSON
        return _json(gateway_pushes.refusal(provider, reason), 400)
    with transaction.atomic():
        if kind == "report":
            for r in parsed:
                receipt_record(provider=provider, provider_message_id=r.provider_message_id, status=r.status,
                               detail=r.detail, reported_at=r.reported_at)
        else:
            for r in parsed:
                _, fresh = idempotency_claim(scope="sms_reply", key=r.reply_id)
                if fresh:
                    try:
                        customer_opt_out_from_reply(phone=r.phone, text=r.text, reply_id=r.reply_id)
                    except PhoneError:
                        continue  # a reply from a number that is no phone opts nobody out; the rest still count
    return _json(gateway_pushes.ANSWERS[provider])


@login_required
def customer_timeline_page(request: HttpRequest, customer_id: int):
    # `?shop=`: the desk's customer panel links here for the shop its tab was drawn for (an agent of two shops
    # keeps a tab per shop; the session's shop may be the other); only one of the user's shops
    raw = request.GET.get("shop", "")
    if raw:
        shop = shop_named(request.user, raw)
    else:
        shop = current_shop_for_request(request)
    customer = Customer.objects.filter(shop=shop, pk=customer_id).first() if shop else None
    if customer is None:
        raise Http404
    messages = customer_timeline(shop=shop, customer_id=customer.pk)
    return render(request, "notifications/timeline.html", {
        "customer": customer, "masked_phone": mask_phone(customer.phone), "outbound": messages,
        "opt_outs": [(r, opt_out_source_label(r.source))
                     for r in opt_out_requests(shop=shop, customer_id=customer.pk, limit=50)],
        "opt_out_scope": opt_out_scope_label(customer)})


# --- care-message templates (关怀消息模板) ---------------------------------------------------------------

def _template_shop(request):
    shop = current_shop_for_request(request)
    if shop is None:
        raise Http404(gettext("你还没有加入任何店铺"))
    require_action(request.user, shop, VIEW)
    return shop


@login_required
def templates_page(request: HttpRequest):
    """The shop's care-message templates: every trigger with its default text and the shop's own texts. Every
    member reads them; who may change them is decided by the services (policy.edit)."""
    shop = _template_shop(request)
    return render(request, "notifications/templates.html", {
        "shop": shop, "rows": template_list(shop=shop),
        "can_edit": role_can(role_for(request.user, shop), POLICY_EDIT)})


@login_required
def template_edit_page(request: HttpRequest, template_id: int | None = None):
    """Create (trigger and channel chosen) or edit (text and the provider's template code) a template; 「预览」
    shows the text filled in for the shop's latest order without saving."""
    shop = _template_shop(request)
    tpl = get_object_or_404(MessageTemplate, shop=shop, pk=template_id) if template_id is not None else None
    values = ({"trigger": tpl.trigger, "channel": tpl.channel, "body": tpl.body,
               "provider_template_code": tpl.provider_template_code, "active": tpl.active} if tpl else
              {"trigger": request.GET.get("trigger", Trigger.ORDER_PLACED), "channel": MsgChannel.SMS, "body": "",
               "provider_template_code": "", "active": True})
    if values["trigger"] not in Trigger.values:
        values["trigger"] = Trigger.ORDER_PLACED
    if not tpl and request.method == "GET":
        values["body"] = DEFAULTS.get(values["trigger"], "")
    error, preview, status = "", None, 200
    if request.method == "POST":
        if tpl is None:
            values["trigger"] = request.POST.get("trigger", "")
            values["channel"] = request.POST.get("channel", "")
        values["body"] = request.POST.get("body", "")
        values["provider_template_code"] = request.POST.get("provider_template_code", "").strip()[:64]
        values["active"] = bool(request.POST.get("active"))
        if values["trigger"] not in Trigger.values:
            error, status = gettext("请选择触发事件"), 400
        elif request.POST.get("action") == "preview":
            preview = template_preview(shop=shop, trigger=values["trigger"], body=values["body"])
        else:
            try:
                template_save(shop=shop, trigger=values["trigger"], channel=values["channel"], body=values["body"],
                              provider_template_code=values["provider_template_code"], actor=request.user,
                              active=values["active"])
            except TemplateError as exc:
                error, status = str(exc), 400
            else:
                return redirect("notifications:templates")
    return render(request, "notifications/template_edit.html", {
        "shop": shop, "template": tpl, "values": values, "error": error, "preview": preview,
        "triggers": Trigger.choices, "channels": MsgChannel.choices,
        "variables": VARIABLES.get(values["trigger"], ()), "required": REQUIRED.get(values["trigger"], ()),
        "can_edit": role_can(role_for(request.user, shop), POLICY_EDIT)}, status=status)


@login_required
@require_POST
def template_active_page(request: HttpRequest, template_id: int):
    """Enable or disable a template (the service refuses a role that may not change templates)."""
    shop = _template_shop(request)
    if not MessageTemplate.objects.filter(shop=shop, pk=template_id).exists():
        raise Http404
    template_set_active(shop=shop, template_id=template_id, active=request.POST.get("active") == "1",
                        actor=request.user)
    return redirect("notifications:templates")
