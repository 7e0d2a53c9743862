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

# A file's own problem (readers.FileFormatError, columns.MappingError, runner.ImportFileError): the job's one error.
# The two that hold another first: an older error stored as text is recognised by the first code it matches.
FILE_NO_HEADER = N_("%(problem)s。文件第一行的列：%(columns)s（这是店铺后台导出的订单文件吗？）")
FILE_NEAR_ROW = N_("第%(row)s行附近：%(problem)s")
FILE_UNKNOWN_ENCODING = N_("无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV")
FILE_MIXED_ENCODING = N_("文件编码不一致（按 %(encoding)s 读取失败）：%(detail)s")
FILE_BAD_CSV = N_("CSV 格式错误：%(detail)s")
FILE_XLSX_TOO_LARGE = N_("Excel 文件解压后过大（%(size)s MB，上限 %(limit)s MB）：请另存为 CSV，或分批导入")
FILE_XLSX_BROKEN = N_("无法打开 Excel 文件：不是有效的 .xlsx，可能已损坏（%(detail)s）")
FILE_XLSX_IS_XLS = N_("文件内容不是 Excel (.xlsx)：「%(name)s」它实际是旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 .csv")
FILE_XLSX_IS_TEXT = N_("文件内容不是 Excel (.xlsx)：「%(name)s」它看起来是文本（CSV），请把扩展名改为 .csv 后重新上传")
FILE_XLSX_IS_OTHER = N_("文件内容不是 Excel (.xlsx)：「%(name)s」它可能已损坏或是其他类型的文件，请在 Excel 中另存为 .xlsx 后"
                        "重新上传")
FILE_CSV_IS_ZIP = N_("文件内容不是 CSV 文本：「%(name)s」实际是 Excel (.xlsx) 或其他压缩文件，请把扩展名改为 .xlsx，或在 Excel "
                     "中另存为 CSV")
FILE_CSV_IS_BINARY = N_("文件内容不是 CSV 文本：「%(name)s」含有二进制数据（可能是 Excel、图片或其他文件改了扩展名），请在 "
                        "Excel 中另存为 CSV 后重新上传")
FILE_OLD_XLS = N_("不支持旧版 .xls 文件：请在 Excel 中另存为 .xlsx 或 .csv")
FILE_NO_SUFFIX = N_("不支持的文件类型 （无扩展名）：请上传 .xlsx 或 .csv")  # before FILE_UNSUPPORTED (recognised first)
FILE_UNSUPPORTED = N_("不支持的文件类型 %(suffix)s：请上传 .xlsx 或 .csv")
MAPPING_UNKNOWN_FIELD = N_("列映射里有未知字段 %(name)r（可用字段：%(known)s）")
MAPPING_NO_COLUMN = N_("列映射把「%(label)s」指向 %(wanted)s，但文件里没有这一列")
MISSING_COLUMN = N_("缺少必需的列「%(label)s」（可识别的列名：%(synonyms)s）")
FILE_AFTER_SALE = N_("这是售后单（退款单）导出，不是订单导出：文件有「%(id_column)s」「%(mark_column)s」列。请在店铺后台的「订单」里"
                     "导出订单（按商品/子订单维度）后上传；售后单由平台对接同步。文件里的列：%(columns)s")
FILE_EMPTY = N_("文件是空的：没有表头行")
COLUMNS_MORE = N_("%(columns)s 等 %(count)s 列")  # the first columns named and how many (after FILE_AFTER_SALE)

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
        record["code"], record["params"] = reason.code, {k: _kept(v, k) for k, v in reason.params.items()}
    return record


MAX_VALUE_CHARS = 200  # a cell of 100,000 characters is named, not stored 500 times over
WHOLE_PARAMS = frozenset({"known"})  # our own list of field names, never cut short


def _kept(value, name: str = ""):
    if isinstance(value, Reason):  # a message inside a message (a file's problem, named with its first columns)
        return {"code": value.code, "params": {k: _kept(v, k) for k, v in value.params.items()}}
    if name in WHOLE_PARAMS:
        return value
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


def _recognised(message: str, only: tuple[str, ...] | None = None) -> tuple[str, dict] | None:
    """The code and parameters of an error stored as Chinese text only (before codes were stored); `only` limits
    the codes tried."""
    for pattern, code, names in _patterns():
        if only is not None and code not in only:
            continue
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


LIST_PARAMS = frozenset({"columns", "known"})  # names joined with 「、」: joined with the reader's separator


def _param_shown(name: str, value):
    """One parameter of a message in the active language: a message inside it said too (stored with its code, or
    as Chinese text by an older version), a field's Chinese label translated, the list separator the reader's."""
    if isinstance(value, dict) and "code" in value:
        return _said(value["code"], value.get("params") or {})
    if not isinstance(value, str):
        return value
    if name in ("problem", "columns"):
        found = _recognised(value, None if name == "problem" else (COLUMNS_MORE,))
        if found:
            return _said(*found)
    if name == "label":
        return gettext(value)
    if name in LIST_PARAMS:
        return value.replace("、", gettext("、"))
    return value


def _said(code: str, params: dict) -> str:
    if not params:
        return gettext(code)
    return gettext(code) % {name: _param_shown(name, value) for name, value in params.items()}


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
            message = _said(code, params)
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
