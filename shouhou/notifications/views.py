from __future__ import annotations

import json
from datetime import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from shouhou.accounts.access import current_shop_for_request
from shouhou.commerce.models import Customer
from shouhou.core.idempotency import idempotency_claim
from shouhou.core.phones import mask_phone
from shouhou.core.signatures import SignatureError, verify
from shouhou.notifications.selectors import customer_timeline
from shouhou.notifications.services import customer_opt_out_from_reply, receipt_record


def _verified(request: HttpRequest) -> JsonResponse | None:
    secret = getattr(settings, "SHOUHOU_NOTIFY_WEBHOOK_SECRET", "")
    if not secret:
        return JsonResponse({"detail": "未配置回调密钥"}, status=401, json_dumps_params={"ensure_ascii": False})
    try:
        verify(secret, request.headers.get("X-Shouhou-Timestamp"), request.body,
               request.headers.get("X-Shouhou-Signature"))
    except SignatureError as exc:
        return JsonResponse({"detail": str(exc)}, status=401, json_dumps_params={"ensure_ascii": False})
    return None


@csrf_exempt
@require_POST
def sms_reply_webhook(request: HttpRequest):
    """Inbound SMS reply, normalised by the gateway bridge: {"id", "phone", "text"}."""
    if (bad := _verified(request)) is not None:
        return bad
    try:
        doc = json.loads(request.body)
        phone, text, msg_id = doc["phone"], doc["text"], str(doc["id"])
    except (ValueError, KeyError) as exc:
        return JsonResponse({"detail": f"缺少字段 {exc}"}, status=400, json_dumps_params={"ensure_ascii": False})
    with transaction.atomic():
        _, fresh = idempotency_claim(scope="sms_reply", key=msg_id)
        changed = customer_opt_out_from_reply(phone=phone, text=text) if fresh else 0
    return JsonResponse({"opted_out": changed, "duplicate": not fresh})


@csrf_exempt
@require_POST
def receipt_webhook(request: HttpRequest, provider: str):
    """Delivery receipts: [{"provider_message_id", "status": "delivered"|"failed", "detail", "reported_at"}]."""
    if (bad := _verified(request)) is not None:
        return bad
    try:
        rows = json.loads(request.body)
        items = [(r["provider_message_id"], r["status"], r.get("detail", ""), r.get("reported_at")) for r in rows]
    except (ValueError, KeyError, TypeError) as exc:
        return JsonResponse({"detail": f"回执格式错误：{exc}"}, status=400, json_dumps_params={"ensure_ascii": False})
    recorded = 0
    for mid, status, detail, reported in items:
        if status not in ("delivered", "failed"):
            return JsonResponse({"detail": f"未知回执状态：{status}"}, status=400,
                                json_dumps_params={"ensure_ascii": False})
        when = datetime.fromisoformat(reported) if reported else None
        if receipt_record(provider=provider, provider_message_id=mid, status=status, detail=detail,
                          reported_at=when):
            recorded += 1
    return JsonResponse({"recorded": recorded})


@login_required
def customer_timeline_page(request: HttpRequest, customer_id: int):
    shop = current_shop_for_request(request)
    customer = Customer.objects.filter(shop=shop, pk=customer_id).first() if shop else None
    if customer is None:
        raise Http404
    messages = customer_timeline(shop=shop, customer_id=customer.pk)
    return render(request, "notifications/timeline.html", {
        "customer": customer, "masked_phone": mask_phone(customer.phone), "messages": messages})
