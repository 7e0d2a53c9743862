"""One error shape for the API: {"detail": "...", "errors": [{"loc": [...], "msg": "..."}]}."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    ValidationError,
)
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from shouhou.core.ratelimit import RateLimited

log = logging.getLogger(__name__)

DB_RETRY_AFTER = 5  # seconds a sender should wait when the database is unavailable

# pydantic error types -> a Chinese sentence (the original message is kept as the fallback).
_MESSAGES = {
    "missing": "缺少必填项",
    "string_type": "应为文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "decimal_parsing": "应为金额（数字）",
    "decimal_type": "应为金额（数字）",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "string_too_short": "太短",
    "string_too_long": "太长",
    "too_short": "条目太少",
    "too_long": "条目太多",
    "greater_than": "数值太小",
    "greater_than_equal": "数值太小",
    "less_than": "数值太大",
    "less_than_equal": "数值太大",
    "enum": "不是允许的取值",
    "literal_error": "不是允许的取值",
    "datetime_parsing": "时间格式错误（应为 ISO 8601，如 2026-11-11T20:00:00+08:00）",
    "datetime_type": "时间格式错误",
    "date_parsing": "日期格式错误（应为 YYYY-MM-DD）",
    "date_from_datetime_parsing": "日期格式错误（应为 YYYY-MM-DD）",
    "uuid_parsing": "应为 UUID",
    "json_invalid": "请求体不是合法的 JSON",
    "dict_type": "应为对象",
    "list_type": "应为列表",
    "model_attributes_type": "应为对象",
    "value_error": "取值无效",
    "extra_forbidden": "不允许的字段",
    "string_pattern_mismatch": "格式不正确",
    "finite_number": "应为有限的数字（不接受 NaN、Infinity）",
    "int_from_float": "应为整数（不能有小数）",
    "decimal_max_digits": "数字位数太多",
    "decimal_max_places": "小数位数太多",
    "decimal_whole_digits": "整数部分位数太多",
    "date_type": "日期格式错误（应为 YYYY-MM-DD）",
    "date_from_datetime_inexact": "日期格式错误（应为 YYYY-MM-DD，不带时间）",
    "datetime_from_date_parsing": "时间格式错误（应为 ISO 8601，如 2026-11-11T20:00:00+08:00）",
    "datetime_object_invalid": "时间无效",
    "timezone_aware": "时间须带时区（如 +08:00）",
    "int_parsing_size": "数值超出范围",
    "string_unicode": "应为文本",
    "union_tag_invalid": "不是允许的取值",
    "model_type": "应为对象",
    "is_instance_of": "取值无效",
}
_NINJA_MESSAGES = {"CSRF check Failed": "CSRF 校验失败：请刷新页面后重试（程序调用请用 API 令牌）"}
_LOC_NAMES = {"body": "请求体", "query": "查询参数", "path": "路径参数", "header": "请求头", "form": "表单", "file": "文件"}


def chinese_validation_errors(errors: list[dict]) -> list[dict]:
    out = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", [])]
        kind = err.get("type", "")
        msg = _MESSAGES.get(kind) or err.get("msg", "取值无效")
        ctx = err.get("ctx") or {}
        if kind in {"string_too_short", "string_too_long"} and "min_length" in ctx:
            msg = f"{msg}（至少 {ctx['min_length']} 个字符）"
        elif kind == "string_too_long" and "max_length" in ctx:
            msg = f"{msg}（最多 {ctx['max_length']} 个字符）"
        elif kind == "value_error" and err.get("msg"):
            msg = str(err["msg"]).removeprefix("Value error, ")
        where = _LOC_NAMES.get(loc[0], loc[0]) if loc else ""
        field = ".".join(loc[1:]) if len(loc) > 1 else ""
        out.append({"loc": loc, "msg": msg, "type": kind, "where": f"{where} {field}".strip()})
    return out


def install_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def _domain(request, exc: DomainError):
        body = {"detail": exc.message, "errors": [{"loc": [exc.field] if exc.field else [], "msg": exc.message}]}
        return api.create_response(request, body, status=exc.status)

    @api.exception_handler(PermissionDenied)
    def _denied(request, exc):
        return api.create_response(request, {"detail": str(exc) or "无权访问", "errors": []}, status=403)

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc):
        return api.create_response(request, {"detail": "未登录或令牌无效", "errors": []}, status=401)

    @api.exception_handler(HttpError)
    def _http_error(request, exc: HttpError):
        # Ninja's own refusals were English and had no `errors`: a session call without the CSRF token read
        # 「CSRF check Failed」.
        message = _NINJA_MESSAGES.get(exc.message, exc.message)
        if exc.message.startswith("Cannot parse request body"):  # 「(… the parser's words)」 follow under DEBUG
            message = "请求体无法解析：应为 JSON"
        return api.create_response(request, {"detail": message, "errors": []}, status=exc.status_code)

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request, exc):
        # A JSON body over DATA_UPLOAD_MAX_MEMORY_SIZE (10 MB) answered Django's English HTML「Bad Request (400)」.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // (1024 * 1024)
        return api.create_response(request, {"detail": f"请求体太大（超过 {limit} MB）", "errors": []}, status=413)

    @api.exception_handler(Http404)
    def _missing(request, exc):
        return api.create_response(request, {"detail": "未找到", "errors": []}, status=404)

    @api.exception_handler(ValidationError)
    def _invalid(request, exc: ValidationError):
        messages = exc.messages
        return api.create_response(
            request, {"detail": "；".join(messages), "errors": [{"loc": [], "msg": m} for m in messages]}, status=400
        )

    @api.exception_handler(NinjaValidationError)
    def _unprocessable(request, exc: NinjaValidationError):
        errors = chinese_validation_errors(list(exc.errors))
        detail = "；".join(f"{e['where']}：{e['msg']}" if e["where"] else e["msg"] for e in errors) or "输入有误"
        return api.create_response(request, {"detail": f"输入有误：{detail}", "errors": errors}, status=422)

    @api.exception_handler(RateLimited)
    def _limited(request, exc: RateLimited):
        response = api.create_response(request, {"detail": str(exc), "errors": []}, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response

    @api.exception_handler(DataError)
    def _unstorable(request, exc):
        # The database refused a value the schema let through (a NUL character, a number or time out of
        # range): the caller's input, not our fault, so 422 and never a stack trace.
        log.info("input refused by the database during %s %s: %s", request.method, request.path, exc)
        return api.create_response(
            request, {"detail": "输入有误：含有无法保存的字符（如 NUL）或超出范围的数值/时间", "errors": []}, status=422)

    from shouhou.insight.metrics import NotApplicable

    @api.exception_handler(NotApplicable)
    def _not_applicable(request, exc):
        # A filter that the figure cannot take (complaint_type on returns, a carrier on reviews …): the
        # caller's choice, said plainly; it answered 500 on /insight/live-sessions/returns before.
        return api.create_response(request, {"detail": "该筛选条件不适用于此指标", "errors": []}, status=400)

    @api.exception_handler(OverflowError)
    def _overflow(request, exc):
        # A number beyond what the database stores (e.g. an id of 40 digits in the path).
        return api.create_response(request, {"detail": "输入有误：数值超出范围", "errors": []}, status=422)

    @api.exception_handler(BadRequest)
    @api.exception_handler(SuspiciousOperation)
    def _bad_request(request, exc):
        # Django answers these 400 itself (too many fields or files, a bad multipart body); the catch-all below
        # must not turn them into 500.
        return api.create_response(request, {"detail": "请求无效", "errors": []}, status=400)

    @api.exception_handler(Exception)
    def _unexpected(request, exc):
        # Anything else is our bug. Ninja's own fallback answered it with the whole traceback as text/plain
        # whenever DEBUG was on (a developer's install reachable by a partner's integration, a test gateway):
        # file paths, settings, SQL. Now always the one JSON shape, and the traceback goes to the log only.
        # Django's signal still fires, so the test client re-raises as before and error reporters see it.
        from django.core.signals import got_request_exception

        log.error("unhandled error during %s %s", request.method, request.path, exc_info=exc)
        got_request_exception.send(sender=None, request=request)
        return api.create_response(
            request, {"detail": "服务器内部错误，请稍后重试；如一再出现请联系管理员", "errors": []}, status=500)

    @api.exception_handler(OperationalError)
    @api.exception_handler(InterfaceError)
    def _database_down(request, exc):
        log.warning("database unavailable during %s %s: %s", request.method, request.path, exc)
        response = api.create_response(
            request, {"detail": "服务暂时不可用（数据库连接中断），请稍后重试", "errors": []}, status=503
        )
        response["Retry-After"] = str(DB_RETRY_AFTER)
        return response


class DomainError(Exception):
    """A business rule said no. `status` is the HTTP status to answer with."""

    def __init__(self, message: str, *, status: int = 400, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field


# What any operation may answer besides its own responses: the guard (401 no or bad credentials, 403 scope,
# role or shop), validation (422), business refusals (400, or 409 for a state conflict), a missing object
# (404), a body too large (413), the rate limit (429)
# and a database outage (503). Documented on every operation (api.py: ShouhouAPI.get_openapi_schema).
COMMON_ERRORS = {
    400: "业务规则拒绝（detail 说明原因与字段）",
    401: "未登录或令牌无效",
    403: "无权访问：令牌范围、角色或店铺不符",
    404: "未找到（或属于其他店铺）",
    409: "与当前状态冲突（例如已存在、已处理）",
    413: "请求体太大",
    422: "输入有误（errors 指出位置）",
    429: "请求过于频繁（Retry-After）",
    503: "服务暂时不可用（数据库连接中断，Retry-After）",
}
ERROR_SCHEMA = {
    "title": "ErrorOut",
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["detail"],
}


def document_common_errors(schema: dict) -> dict:
    """Add the common error answers to every operation of an OpenAPI document (in place)."""
    schema.setdefault("components", {}).setdefault("schemas", {})["ErrorOut"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/ErrorOut"}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status, text in COMMON_ERRORS.items():
                responses.setdefault(str(status), responses.pop(status, None) or {
                    "description": text, "content": {"application/json": {"schema": ref}}})
    return schema
