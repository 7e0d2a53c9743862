"""Import problems stored language-neutrally: a message code (the Chinese msgid, a %-format) and its parameters.

A row problem is a `Reason`: a str (its Chinese text, so the importer and its callers keep comparing and joining
text) that also carries `code` and `params`. The report stores both; `error_shown` renders a stored error in the
active language (page, API, error CSV, CLI). Errors stored before codes existed (message and text only, in
Chinese) are recognised by matching their text against the codes, so they are translated as well; a text no code
matches is shown as stored.
"""

from __future__ import annotations

import ast
import re
from functools import cache

from django.utils.translation import gettext
from django.utils.translation import gettext_noop as N_


class Reason(str):
    """Why a cell or row was refused: the Chinese text, with the code and parameters it was made from."""

    code: str
    params: dict

    def __new__(cls, code: str, **params):
        self = super().__new__(cls, code % params if params else code)
        self.code, self.params = code, params
        return self


def reason_of(exc: BaseException) -> str:
    """The Reason an exception was raised with (str(exc) would drop its code)."""
    first = exc.args[0] if exc.args else ""
    return first if isinstance(first, Reason) else str(exc)


# Every code a row problem may have (the parse rules in parse.py and runner.py use these constants).
BAD_TIME = N_("不是有效时间 %(value)r")
BAD_TIME_FORMAT = N_("不是有效时间 %(value)r（应为 2026-11-01 20:30:00）")
BAD_THOUSANDS = N_("不是有效金额 %(value)r（千位分隔符应为 1,299.00）")
BAD_MONEY = N_("不是有效金额 %(value)r")
MONEY_OUT_OF_RANGE = N_("超出范围 %(value)r")
NEGATIVE_MONEY = N_("金额不能为负 %(value)r")
BAD_QUANTITY = N_("不是有效数量 %(value)r")
QUANTITY_NOT_POSITIVE = N_("数量应为正整数 %(value)r")
QUANTITY_TOO_LARGE = N_("数量过大 %(value)r")
BAD_PHONE = N_("不是有效手机号 %(value)r")
BAD_BOOL = N_("应为 是/否 %(value)r")
UNKNOWN_TIER = N_("未知的会员等级 %(value)r")
UNKNOWN_STATUS = N_("未知的订单状态 %(value)r")
TOO_LONG = N_("超过 %(limit)s 个字符")
ADDRESS_TOO_LONG = N_("省市区街道与详细地址合并后超过 %(limit)s 个字符")
REQUIRED = N_("不能为空")
ID_AS_NUMBER = N_("长编号被 Excel 存成了数字，末尾几位已丢失 %(value)r：请用平台导出的原始文件导入（不要用 Excel 打开后另存），"
                  "或在 Excel 里先把这一列设为「文本」")
ID_SCIENTIFIC = N_("长编号被 Excel 显示成了科学计数法 %(value)r，原编号已丢失：请用平台导出的原始文件导入（不要用 Excel "
                   "打开后另存），或在 Excel 里先把这一列设为「文本」")
ROW_TOO_SHORT = N_("只有 %(cells)s 列，表头有 %(width)s 列（单元格里的逗号或换行是否没有加引号？），整行未导入")
ROW_TOO_LONG = N_("比表头多出 %(extra)s 列（单元格里的逗号是否没有加引号？），整行未导入")
# Whole-job failures the service stores as the job's one error.
JOB_NO_ROWS = N_("文件里没有数据行")
JOB_FILE_MISSING = N_("导入文件不存在")
JOB_UNEXPECTED = N_("导入时出现意外错误，未写入任何数据；请把文件交给管理员排查")
JOB_INTERNAL = N_("导入时发生内部错误，请稍后重试或联系管理员")
JOB_DATABASE_BUSY = N_("数据库正忙（另一个导入或同步正在写入），本次未写入任何数据；请稍后重新上传。")
JOB_INTERRUPTED = N_("导入被中断（处理超时或后台进程重启），没有写入任何数据。请重新上传文件；"
                     "文件很大时可以分成几个文件导入。")

# Notes on rows passed over on purpose (runner.py stores them as Chinese text; shown through `note_shown`).
NOTE_HEADER_BELOW = N_("表头在第%(row)s行：上方的第%(above)s行不是表头（标题或分组行），已跳过")
NOTE_TOTAL_ROW = N_("第%(row)s行是合计行，已跳过")

CODES = tuple(value for name, value in globals().items() if name.isupper() and isinstance(value, str))

ROW_COLUMN = N_("第%(row)s行「%(column)s」：%(message)s")
ROW_ONLY = N_("第%(row)s行：%(message)s")


def error_record(row_no: int | None, column: str, reason: str, *, field: str = "") -> dict:
    """What the report stores for one problem: row, column (the file's header), field, code, params, and the
    Chinese message and text (for readers of the stored JSON)."""
    record = {"row": row_no, "field": column, "message": str(reason)}
    if row_no is None:
        record["text"] = str(reason)
    else:
        record["text"] = (ROW_COLUMN if column else ROW_ONLY) % {"row": row_no, "column": column,
                                                               "message": str(reason)}
    if field:
        record["field_name"] = field
    if isinstance(reason, Reason):
        record["code"], record["params"] = reason.code, {k: _kept(v) for k, v in reason.params.items()}
    return record


MAX_VALUE_CHARS = 200  # a cell of 100,000 characters is named, not stored 500 times over


def _kept(value):
    if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
        return value[:MAX_VALUE_CHARS] + "…"
    return value


def job_error(code: str) -> list[dict]:
    """A whole-job failure as the job's error list."""
    return [error_record(None, "", Reason(code))]


@cache
def _patterns() -> list[tuple[re.Pattern, str, list[tuple[str, str]]]]:
    out = []
    token = re.compile(r"%\((\w+)\)([rs])")
    for code in CODES:
        parts, names, pos = [], [], 0
        for match in token.finditer(code):
            parts.append(re.escape(code[pos:match.start()]))
            parts.append(f"(?P<{match[1]}>'.*?'|\".*?\"|[^'\"\\s]+)" if match[2] == "r" else f"(?P<{match[1]}>.+?)")
            names.append((match[1], match[2]))
            pos = match.end()
        parts.append(re.escape(code[pos:]))
        out.append((re.compile("".join(parts) + r"\Z", re.S), code, names))
    return out


def _recognised(message: str) -> tuple[str, dict] | None:
    """The code and parameters of an error stored as Chinese text only (before codes were stored)."""
    for pattern, code, names in _patterns():
        match = pattern.match(message)
        if not match:
            continue
        params = {}
        for name, conversion in names:
            raw = match[name]
            if conversion == "r":
                try:
                    raw = ast.literal_eval(raw)
                except (ValueError, SyntaxError):
                    break
            params[name] = raw
        else:
            return code, params
    return None


def _column_shown(error: dict) -> str:
    column = error.get("field") or ""
    field = error.get("field_name") or ""
    if column and column != field:
        return column  # the file's own header, as the file spells it
    from shouhou.commerce.importers.columns import FIELDS_BY_NAME

    known = FIELDS_BY_NAME.get(field or column)
    return gettext(known.label) if known else column


def error_shown(error: dict) -> dict:
    """A stored error in the active language: row, column, value, message and the one-line text."""
    message = error.get("message") or ""
    code, params = error.get("code"), error.get("params") or {}
    if not code:
        found = _recognised(message)
        if found:
            code, params = found
    if code:
        try:
            message = gettext(code) % params if params else gettext(code)
        except (KeyError, TypeError, ValueError):
            message = error.get("message") or ""
    row = error.get("row")
    column = _column_shown(error)
    if row is None:
        text = message
    else:
        text = gettext(ROW_COLUMN if column else ROW_ONLY) % {"row": row, "column": column, "message": message}
    value = params.get("value", "")
    return {"row": row, "field": column, "value": "" if value is None else str(value), "message": message,
            "text": text, "code": code or "", "params": params}


def errors_shown(errors: list[dict]) -> list[dict]:
    return [error_shown(e) for e in errors or []]


def note_shown(note: str) -> str:
    """A stored note (Chinese text) in the active language, when it is one of the notes above."""
    found = _recognised(note)
    if found is None:
        return note
    code, params = found
    if "above" in params:
        params["above"] = params["above"].replace("、", gettext("、"))  # the list separator of the reader's language
    try:
        return gettext(code) % params if params else gettext(code)
    except (KeyError, TypeError, ValueError):
        return note
