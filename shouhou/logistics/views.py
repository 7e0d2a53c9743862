from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from shouhou.accounts.actors import SystemActor
from shouhou.commerce.models import Shop
from shouhou.core.signatures import SignatureError
from shouhou.core.webhooks import webhook_verify
from shouhou.logistics.pushes import PushError, kuaidi100_salt, kuaidi100_verify, parse_generic, shop_secret
from shouhou.logistics.services import UnknownShipment, tracking_ingest
from shouhou.logistics.subscriptions import kuaidi100_push_receive

# The signature (or Kuaidi100's sign), not a role, admits a push: the services run as these actors.
KUAIDI100_PUSH = SystemActor("kuaidi100-push")
GENERIC_PUSH = SystemActor("tracking-push")


def _kuaidi100_answer(ok: bool, message: str, status: int = 200) -> JsonResponse:
    return JsonResponse({"result": ok, "returnCode": "200" if ok else str(status), "message": message},
                        status=status, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
@require_POST
def kuaidi100_push(request: HttpRequest, shop_code: str):
    """Kuaidi100's push (form fields `param`, `sign`). Answered with the exact body Kuaidi100 expects,
    {"result":true,"returnCode":"200","message":"成功"}, also for a number we do not know yet (kept and
    applied when the shipment arrives): anything else makes Kuaidi100 retry and then give up. A refusal is in the
    same shape (`result` false, our code in `returnCode`), an unknown shop code included (it was an HTML page)."""
    shop = Shop.objects.filter(code=shop_code).first()
    if shop is None:
        return _kuaidi100_answer(False, "店铺不存在", 404)
    param = request.POST.get("param", "")
    try:
        kuaidi100_verify(param, request.POST.get("sign", ""), kuaidi100_salt(shop))
        kuaidi100_push_receive(shop=shop, param=param, actor=KUAIDI100_PUSH)
    except PushError as exc:
        return _kuaidi100_answer(False, str(exc), exc.status)
    return _kuaidi100_answer(True, "成功")


@csrf_exempt
@require_POST
def generic_push(request: HttpRequest, shop_code: str):
    """Signed (X-Shouhou-Timestamp / X-Shouhou-Signature, 5-minute window). A replay of a request that was
    applied is not applied again: it gets the first answer with "duplicate": true."""
    shop = get_object_or_404(Shop, code=shop_code)
    secret = shop_secret(shop, "tracking_secret")
    if not secret:
        return _json({"detail": "店铺未配置推送密钥，拒绝推送"}, 401)
    try:
        with transaction.atomic():
            delivery = webhook_verify(request, secret=secret, scope="logistics.generic", shop=shop)
            if not delivery.first:
                return _json({**delivery.result, "duplicate": True})
            carrier, nu, events = parse_generic(request.body)
            new = tracking_ingest(shop=shop, carrier=carrier, tracking_no=nu, events=events, source="generic",
                                  actor=GENERIC_PUSH)
            result = {"stored": new, "received": len(events)}
            delivery.remember(result)
    except SignatureError as exc:
        return _json({"detail": str(exc)}, 401)
    except PushError as exc:
        return _json({"detail": str(exc)}, exc.status)
    except UnknownShipment as exc:
        return _json({"detail": str(exc)}, 404)
    return _json(result)


def _json(data: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
