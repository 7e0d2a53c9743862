"""The 微信小店 message push URL. WeChat signs the query string, checks the URL with a GET (echostr) and wants
the plain string "success", so it has its own view; the work is the shared services.push_receive."""

from __future__ import annotations

import logging

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from shouhou.platforms import services
from shouhou.platforms.adapters import adapter_for
from shouhou.platforms.adapters.base import PushRefused
from shouhou.platforms.crypto import CredentialsUnreadable
from shouhou.platforms.models import PlatformConnection

PLATFORM = "wechat_shop"
log = logging.getLogger("shouhou.platforms")


def _text(body: str, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def push(request, app_key: str | None = None):
    """`app_key`: the per-app URL (`/platforms/wechat_shop/push/<AppID>/`): only that app's connections are tried."""
    params = {k: v for k, v in request.GET.items()}
    conns = PlatformConnection.objects.filter(platform=PLATFORM).order_by("pk")
    if app_key is not None:
        conns = conns.filter(app_key=app_key)
    if request.method == "GET":  # the console's URL check: echo echostr when a connected shop's Token signed it
        for conn in conns:
            try:
                return _text(adapter_for(conn).check_url(params))
            except (PushRefused, CredentialsUnreadable):
                continue
        log.warning("wechat_shop URL check refused: no connected shop's Token matches")
        return _text("signature mismatch", 403)
    headers = {k.lower(): v for k, v in request.headers.items()}
    headers.update({f"query:{k}": v for k, v in params.items()})
    result = services.push_receive(platform=PLATFORM, headers=headers, body=request.body, url_app_key=app_key)
    return _text(str(result.answer.get("body", "")), result.status)
