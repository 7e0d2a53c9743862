"""Turn a lost database connection into `503 Service Unavailable` + `Retry-After` for every view
(webhooks above all): the sender retries later, and since each webhook's work runs in one
transaction, nothing is half-written. Add `shouhou.core.middleware.DatabaseUnavailableMiddleware`
to MIDDLEWARE (the API has the same behaviour through its exception handler)."""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError, close_old_connections
from django.http import JsonResponse

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
