from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from shouhou.commerce.models import Shop
from shouhou.core.signatures import SignatureError, verify
from shouhou.logistics.pushes import PushError, kuaidi100_verify, parse_generic, parse_kuaidi100, shop_secret
from shouhou.logistics.services import UnknownShipment, tracking_ingest


def _kuaidi100_answer(ok: bool, message: str, status: int = 200) -> JsonResponse:
    return JsonResponse({"result": ok, "returnCode": "200" if ok else str(status), "message": message},
                        status=status, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
@require_POST
def kuaidi100_push(request: HttpRequest, shop_code: str):
    shop = get_object_or_404(Shop, code=shop_code)
    param = request.POST.get("param", "")
    try:
        kuaidi100_verify(param, request.POST.get("sign", ""), shop_secret(shop, "kuaidi100_salt"))
        carrier, nu, events = parse_kuaidi100(param)
        new = tracking_ingest(shop=shop, carrier=carrier, tracking_no=nu, events=events, source="kuaidi100")
    except PushError as exc:
        return _kuaidi100_answer(False, str(exc), exc.status)
    except UnknownShipment as exc:
        return _kuaidi100_answer(False, str(exc), 404)
    return _kuaidi100_answer(True, f"成功，新增{new}条轨迹")


@csrf_exempt
@require_POST
def generic_push(request: HttpRequest, shop_code: str):
    shop = get_object_or_404(Shop, code=shop_code)
    body = request.body
    secret = shop_secret(shop, "tracking_secret")
    if not secret:
        return JsonResponse({"detail": "店铺未配置推送密钥，拒绝推送"}, status=401,
                            json_dumps_params={"ensure_ascii": False})
    try:
        verify(secret,
               request.headers.get("X-Shouhou-Timestamp"), body, request.headers.get("X-Shouhou-Signature"))
    except SignatureError as exc:
        return JsonResponse({"detail": str(exc)}, status=401, json_dumps_params={"ensure_ascii": False})
    try:
        carrier, nu, events = parse_generic(body)
        new = tracking_ingest(shop=shop, carrier=carrier, tracking_no=nu, events=events, source="generic")
    except PushError as exc:
        return JsonResponse({"detail": str(exc)}, status=exc.status, json_dumps_params={"ensure_ascii": False})
    except UnknownShipment as exc:
        return JsonResponse({"detail": str(exc)}, status=404, json_dumps_params={"ensure_ascii": False})
    return JsonResponse({"stored": new, "received": len(events)})



