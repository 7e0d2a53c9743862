"""Turn a lost database connection into `503 Service Unavailable` + `Retry-After` for every view
(webhooks above all): the sender retries later, and since each webhook's work runs in one
transaction, nothing is half-written. Add `shouhou.core.middleware.DatabaseUnavailableMiddleware`
to MIDDLEWARE (the API has the same behaviour through its exception handler)."""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError, close_old_connections
from django.http import JsonResponse
from django.utils.cache import add_never_cache_headers, patch_cache_control

from shouhou.core.clientip import FORWARDED_HEADERS, PEER_KEY, forwarded_client, is_trusted, trusted_networks

log = logging.getLogger(__name__)
RETRY_AFTER = 5


def database_unavailable_response() -> JsonResponse:
    response = JsonResponse({"detail": "服务暂时不可用（数据库连接中断），请稍后重试", "errors": []}, status=503,
                            json_dumps_params={"ensure_ascii": False})
    response["Retry-After"] = str(RETRY_AFTER)
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        except (OperationalError, InterfaceError) as exc:
            return self._answer(request, exc)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError):
            return self._answer(request, exception)
        return None

    def _answer(self, request, exc):
        log.warning("database unavailable during %s %s: %s", request.method, request.path, exc)
        close_old_connections()  # drop the broken connection; the next request reconnects
        return database_unavailable_response()



class TrustedProxyMiddleware:
    """Believe X-Forwarded-* only from SHOUHOU_TRUSTED_PROXIES (core/clientip.py). From any other peer
    they are removed; from a trusted proxy, REMOTE_ADDR becomes the client it forwarded for. First in
    MIDDLEWARE, before SecurityMiddleware reads X-Forwarded-Proto."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        peer = meta.get("REMOTE_ADDR", "")
        meta[PEER_KEY] = peer
        networks = trusted_networks()
        if networks and is_trusted(peer, networks):
            meta["REMOTE_ADDR"] = forwarded_client(peer=peer, forwarded_for=meta.get("HTTP_X_FORWARDED_FOR", ""),
                                                   networks=networks)
        else:
            for header in FORWARDED_HEADERS:
                meta.pop(header, None)
        return self.get_response(request)


def private_no_store(response) -> None:
    """No copy of a page or an API answer is kept by the browser or a proxy unless the view says how
    (`Cache-Control` already set: evidence photos and uploads are `private, max-age=…`, static files are
    WhiteNoise's). Staff pages and API answers carry customers' names, orders and messages: after 退出登录
    on a shared counter PC, Back showed them again from the browser's cache, and nothing told a proxy
    not to store them. Customer-link pages already said `no-store` (portal `never_cache`)."""
    if not response.has_header("Cache-Control"):
        add_never_cache_headers(response)
        patch_cache_control(response, private=True)


class PrivateNoStoreMiddleware:
    """Every answer that does not set its own `Cache-Control` is not to be stored (private_no_store). After
    WhiteNoise, so static files keep their own caching."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        private_no_store(response)
        return response


class LinkGoneMiddleware:
    """A customer link that expired or was revoked (core/links.py: LinkGone) answers a plain page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from shouhou.core.links import LinkGone, link_gone_response

        if isinstance(exception, LinkGone):
            return link_gone_response(request, exception.state)
        return None


class MethodNotAllowedMiddleware:
    """A 405 with nothing to read was a blank page: a phone that reopened a form's address from its history
    (/p/order/submit/, which only takes the form's POST) showed the customer an empty screen, and the API answered
    text/plain 「Method not allowed」. Pages get the product's page in the reader's language with a way back,
    the API its JSON shape; the Allow header is kept."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 405 or getattr(response, "streaming", False) or \
                response.content.strip() not in (b"", b"Method not allowed"):
            return response
        from django.shortcuts import render

        if request.path.startswith("/api/"):
            answer = JsonResponse({"detail": "不支持这个请求方法", "errors": []}, status=405)  # the API speaks Chinese
        else:
            back = "/p/" if request.path.startswith("/p/") else "/"
            answer = render(request, "405.html", {"back": back}, status=405)
        if response.has_header("Allow"):
            answer["Allow"] = response["Allow"]
        return answer


# The range of every integer column (SQLite's INTEGER and PostgreSQL's bigint): an id outside it names no row.
_ID_MIN, _ID_MAX = -(2**63), 2**63 - 1


def _unstorable(value) -> bool:
    """An id no integer column holds, or text with a NUL (PostgreSQL refuses it in any string literal)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return not _ID_MIN <= value <= _ID_MAX
    return isinstance(value, str) and "\x00" in value


class UnstorableInputMiddleware:
    """What no database column can hold never reaches a query. A path's <int:…> matches any run of digits:
    /platforms/cases/9999999999999999999999999/sync/ reached SQLite with a number it cannot bind (500,
    OverflowError); /insight/s/<token with %00>/ reached PostgreSQL with a NUL in a string (500, ValueError). Such
    a path names nothing: the 404 any missing object gets (the API's JSON 404 under /api/). A NUL in the query
    string is a malformed request: 400 (the API's JSON shape). Bodies are left to the views (webhooks read raw
    bytes; forms validate their fields)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        api = request.path_info.startswith("/api/")
        if any(_unstorable(v) for v in (*view_args, *view_kwargs.values())):
            if api:
                return JsonResponse({"detail": "未找到", "errors": []}, status=404)
            from django.http import Http404

            raise Http404("unstorable path parameter")
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query:  # the raw string: parsing it here would spend the field limit
            if api:
                return JsonResponse({"detail": "请求参数含有无效字符", "errors": []}, status=400)
            from django.core.exceptions import SuspiciousOperation

            raise SuspiciousOperation("NUL in the query string")
        return None
