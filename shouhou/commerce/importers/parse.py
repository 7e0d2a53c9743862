"""Turn one export row into a typed order line, or a list of (field, reason) problems. Pure: no database."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import translation

from shouhou.commerce.choices import Carrier, Category, MembershipTier, OrderStatus
from shouhou.commerce.importers import messages as M
from shouhou.commerce.importers.columns import FIELDS_BY_NAME
from shouhou.core.money import OUT_OF_RANGE as MONEY_OUT_OF_RANGE
from shouhou.core.money import MoneyError, to_yuan
from shouhou.core.phones import PhoneError, normalize_phone

SHANGHAI = ZoneInfo("Asia/Shanghai")
EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # noqa: DTZ001 - Excel serials are naive local times

def _labels(choices) -> dict[str, str]:
    """Choice labels as their Chinese source text (the msgid), whatever language is active."""
    with translation.override(None):
        return {str(c.label): c.value for c in choices}


CATEGORY_WORDS: dict[str, str] = {
    **{c.value: c.value for c in Category},
    "女装": "clothing", "男装": "clothing", "童装": "clothing", "服饰": "clothing", "服装鞋帽": "clothing",
    "内衣裤袜": "underwear", "内衣": "underwear", "袜子": "underwear", "文胸": "underwear",
    "鞋": "shoes_bags", "箱包": "shoes_bags", "鞋靴": "shoes_bags",
    "美妆": "cosmetics", "护肤": "cosmetics", "彩妆": "cosmetics", "个护": "cosmetics", "美容护肤": "cosmetics",
    "数码": "electronics", "家电": "electronics", "3C数码": "electronics", "电子": "electronics", "小家电": "electronics",
    "手机": "mobile_phone", "手机通讯": "mobile_phone",
    "食品": "food", "零食": "food", "食品饮料": "food", "酒水": "food", "粮油": "food",
    "生鲜": "fresh", "水果": "fresh", "海鲜": "fresh", "肉禽": "fresh", "蔬菜": "fresh",
    "家居": "home", "日用": "home", "家纺": "home", "厨具": "home", "家居日用": "home",
    "珠宝": "jewelry", "饰品": "jewelry", "黄金": "jewelry",
    "玩具": "toys", "图书": "books", "书籍": "books",
    "期刊": "books_periodicals", "报纸": "books_periodicals", "杂志": "books_periodicals", "报刊": "books_periodicals",
    "虚拟": "digital_goods", "定制": "custom_made", "其他": "other",
}

TIER_WORDS: dict[str, str] = {
    **{t.value: t.value for t in MembershipTier},
    "普通": "regular", "非会员": "regular", "新客": "regular",
    "银卡会员": "silver", "白银": "silver", "白银会员": "silver",
    "金卡会员": "gold", "黄金": "gold", "黄金会员": "gold",
    "vip": "vip", "VIP会员": "vip", "钻石": "vip", "钻石会员": "vip", "黑卡": "vip", "SVIP": "vip",
}

CARRIER_WORDS: dict[str, str] = {
    **{c.value: c.value for c in Carrier},
    "顺丰": "SF", "顺丰快递": "SF", "中通": "ZTO", "圆通": "YTO", "圆通快递": "YTO", "韵达": "YD",
    "申通": "STO", "京东": "JD", "京东快递": "JD", "邮政": "EMS", "中国邮政": "EMS", "邮政快递包裹": "EMS",
    "极兔": "JTSD", "极兔快递": "JTSD", "J&T": "JTSD",
    # other spellings merchants type, and Kuaidi100's company codes (docs/logistics.md); matched ignoring case
    # and spaces ("zto", "Sf"). A name left unmapped becomes OTHER, and the same parcel named "韵达" by a later
    # export or a platform sync would be a second shipment (the shipment's key is carrier + number).
    "顺丰速递": "SF", "中通速递": "ZTO", "韵达速递": "YD", "申通速递": "STO", "京东速递": "JD",
    "邮政EMS": "EMS", "EMS快递": "EMS", "中国邮政EMS": "EMS", "邮政速递": "EMS", "中国邮政速递物流": "EMS",
    "J&T极兔": "JTSD", "极兔国际": "JTSD", "JT": "JTSD", "J&T Express": "JTSD",
    "shunfeng": "SF", "zhongtong": "ZTO", "yuantong": "YTO", "yunda": "YD", "shentong": "STO", "jd": "JD",
    "ems": "EMS", "jtexpress": "JTSD",
}


def _carrier_key(text: str) -> str:
    return "".join(text.split()).casefold()

STATUS_WORDS: dict[str, str] = {
    **{s.value: s.value for s in OrderStatus},
    "待发货": "paid", "已支付": "paid", "备货中": "paid", "待卖家发货": "paid",
    "卖家已发货": "shipped", "待收货": "shipped", "已发货待签收": "shipped", "运输中": "shipped",
    "已收货": "delivered", "买家已签收": "delivered",
    "交易成功": "completed", "交易完成": "completed", "已完成": "completed",
    "交易关闭": "cancelled", "已关闭": "cancelled", "订单取消": "cancelled", "已退款": "cancelled",
    # 抖店 / 快手 / 有赞 back-office wording
    "部分发货": "shipped", "等待商家发货": "paid", "商家已发货": "shipped", "等待买家确认收货": "shipped",
    "已取消": "cancelled",
}



@functools.cache
def _tables() -> dict[str, dict[str, str]]:
    carriers = {**_labels(Carrier), **CARRIER_WORDS}
    return {"category": {**_labels(Category), **CATEGORY_WORDS}, "tier": {**_labels(MembershipTier), **TIER_WORDS},
            "carrier": {**carriers, **{_carrier_key(k): v for k, v in carriers.items()}},
            "status": {**_labels(OrderStatus), **STATUS_WORDS}}


TRUE_WORDS = {"是", "有", "已投保", "true", "yes", "y", "1", "✓", "含运费险"}
FALSE_WORDS = {"否", "无", "未投保", "false", "no", "n", "0", "", "不含运费险"}

DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
    "%Y-%m-%dT%H:%M:%S", "%Y%m%d%H%M%S", "%Y-%m-%d", "%Y/%m/%d",
)
# An Excel date saved as its serial number (a date cell formatted 常规 shows 46327.8541666667; a CSV saved
# from it keeps that text): five digits before the point are the years 1927-2173.
_SERIAL_TEXT = re.compile(r"^\d{5}(?:\.\d+)?$")
_CN_DATE = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日\s*(?:(\d{1,2})[:：时](\d{1,2})(?:[:：分](\d{1,2})?秒?)?)?$")
_GROUPED = re.compile(r"^\s*(?:[¥￥]|RMB|CNY)?\s*-?\d{1,3}(?:[,，]\d{3})+(?:\.\d*)?\s*(?:元|RMB|CNY)?\s*$")
_PHONE_MASKED = re.compile(r"[*＊]")
# A privacy number (隐私号/虚拟号) as 抖店 and 快手 export it when the buyer's number is protected: a shared virtual
# mobile and an extension — 17012345678-1234, 17012345678转1234, 17012345678_1234, 17012345678,1234. The courier can
# call it, but it identifies nobody (the pool hands it to another buyer later): kept as 17012345678转1234.
_PHONE_VIRTUAL = re.compile(r"^(1[3-9]\d{9})\s*(?:[-_－—,，#＃]|转|分机|ext\.?)\s*(\d{1,6})$", re.IGNORECASE)
VIRTUAL_MARK = "转"
# A field the platform encrypted (抖店's #…#…# ciphertexts, 有赞's $…$…$): it cannot be read without the platform's
# decrypt API, so it is no phone at all (kept blank, not a row error).
_CIPHERTEXT = re.compile(r"^([#$~])(?=.*[A-Za-z+/=])[A-Za-z0-9+/=_\-#$~]{6,}\1?$")
_CN_MOBILE = re.compile(r"^1[3-9]\d{9}$")


@dataclass(slots=True)
class ParsedLine:
    row_no: int
    order_no: str
    line_key: str
    product_name: str
    values: dict  # canonical field -> typed value (only the columns the file has)


class RowProblem(ValueError):
    def __init__(self, field: str, reason: str):
        super().__init__(reason)
        self.field = field
        self.reason = reason


def _unwrap(text: str) -> str:
    """A cell as back offices write long numbers into a CSV so that Excel keeps them as text: ="6931000000000001"
    (a formula giving the text) — the value is what is inside the quotes."""
    if text[:2] == '="' and text[-1:] == '"' and len(text) > 2:
        return text[2:-1].strip()
    return text


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _unwrap(str(value).strip())


def _iso(text: str) -> dt.datetime | None:
    if len(text) < 10 or text[4] != "-":
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def parse_datetime(value: object) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        naive = value
    elif isinstance(value, dt.date):
        naive = dt.datetime(value.year, value.month, value.day)  # noqa: DTZ001
    elif isinstance(value, int | float):
        if not 1 <= value < 2958466:
            raise ValueError(M.Reason(M.BAD_TIME, value=value))
        # to the nearest second: a serial written with fewer decimals (46327.85416666) is 20:30, not 20:29:59
        naive = EXCEL_EPOCH + dt.timedelta(seconds=round(float(value) * 86400))
    else:
        text = str(value).strip()
        if not text or text in {"-", "--", "/"}:
            return None
        if _SERIAL_TEXT.match(text):
            return parse_datetime(float(text))
        naive = _iso(text)  # the common "2026-11-01 20:30:00" is ISO 8601: parse it in C
        match = None if naive else _CN_DATE.match(text)
        if naive is not None:
            pass
        elif match:
            y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
            try:
                naive = dt.datetime(y, mo, d, h, mi, s)  # noqa: DTZ001
            except ValueError:
                raise ValueError(M.Reason(M.BAD_TIME, value=text))
        else:
            for fmt in DATETIME_FORMATS:
                try:
                    naive = dt.datetime.strptime(text, fmt)  # noqa: DTZ007
                    break
                except ValueError:
                    continue
            else:
                raise ValueError(M.Reason(M.BAD_TIME_FORMAT, value=text))
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=SHANGHAI)


def _parse_value(kind: str, raw: object):
    if kind == "text":
        return _text(raw)
    if kind == "money":
        if raw is None or _text(raw) == "":
            return Decimal("0.00")
        if isinstance(raw, str) and ("," in raw or "，" in raw) and not _GROUPED.match(raw):
            # "1,29" or "1.299,00" is not a thousands separator: dropping the comma made it 129 or 1.30
            raise ValueError(M.Reason(M.BAD_THOUSANDS, value=_text(raw)))
        try:
            amount = to_yuan(raw)
        except MoneyError as exc:
            code = M.MONEY_OUT_OF_RANGE if exc.code == MONEY_OUT_OF_RANGE else M.BAD_MONEY  # whatever language is active
            raise ValueError(M.Reason(code, value=_text(raw))) from None
        if amount < 0:
            raise ValueError(M.Reason(M.NEGATIVE_MONEY, value=_text(raw)))
        return amount
    if kind == "int":
        text = _text(raw)
        if text == "":
            return 1
        try:
            number = Decimal(text)
        except ArithmeticError:
            raise ValueError(M.Reason(M.BAD_QUANTITY, value=text))
        if not number.is_finite() or number != number.to_integral_value() or number < 1:
            raise ValueError(M.Reason(M.QUANTITY_NOT_POSITIVE, value=text))
        if number > 100000:
            raise ValueError(M.Reason(M.QUANTITY_TOO_LARGE, value=text))
        return int(number)
    if kind == "datetime":
        return parse_datetime(raw)
    if kind == "phone":
        text = _text(raw)
        if not text:
            return ""
        if _CN_MOBILE.match(text):
            return text
        if _PHONE_MASKED.search(text):
            return text  # platforms mask buyer phones (138****5678): keep, but it identifies nobody
        virtual = _PHONE_VIRTUAL.match(text)
        if virtual:
            return f"{virtual[1]}{VIRTUAL_MARK}{virtual[2]}"  # kept, identifies nobody (writer.identifying)
        if _CIPHERTEXT.match(text):
            return ""
        try:
            phone = normalize_phone(text)
        except PhoneError:
            raise ValueError(M.Reason(M.BAD_PHONE, value=text))
        if not _valid_number(phone):  # "12345" has a possible length but is nobody's phone
            raise ValueError(M.Reason(M.BAD_PHONE, value=text))
        return phone
    if kind == "bool":
        text = _text(raw).lower()
        if text in TRUE_WORDS:
            return True
        if text in FALSE_WORDS:
            return False
        raise ValueError(M.Reason(M.BAD_BOOL, value=_text(raw)))
    if kind in {"tier", "category", "carrier", "status"}:
        table = _tables()[kind]
        text = _text(raw)
        if not text:
            return ""  # unknown: a blank 会员等级 must not downgrade a known VIP on re-import
        if text in table:
            return table[text]
        if text.lower() in table:
            return table[text.lower()]
        if kind == "carrier":
            return table.get(_carrier_key(text), Carrier.OTHER.value)
        if kind == "category":
            return Category.OTHER.value
        raise ValueError(M.Reason({"tier": M.UNKNOWN_TIER, "status": M.UNKNOWN_STATUS}[kind], value=text))
    raise AssertionError(kind)


def carrier_code(text: str) -> str:
    """Our carrier code for a carrier as merchants and their systems write it (中通快递, zto, zhongtong): "" when
    blank, OTHER when unknown. The import and the logistics pushes read carriers the same way."""
    return _parse_value("carrier", text)


def _valid_number(phone: str) -> bool:
    import phonenumbers

    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(phone, "CN"))
    except phonenumbers.NumberParseException:
        return False


_LIMITS = {"order_no": 64, "sub_order_no": 128, "product_name": 200, "product_id": 64, "spec": 200,
           "sku_code": 64, "receiver_name": 100, "address": 300, "tracking_no": 64, "live_session": 200,
           "host": 50, "batch_no": 64, "phone": 20, "after_sale_status": 40, "province": 50, "city": 50, "district": 50,
           "street": 100}
ADDRESS_PARTS = ("province", "city", "district", "street")

# Identifiers that are long digit strings (抖店 order ids have 19 digits). Excel keeps 15 significant digits of a
# number: opened and saved by Excel, such a cell becomes 6.93100000000001E+18 in a CSV, or a number in an .xlsx
# whose last digits are gone. Stored as it is, that is a wrong order (or two orders merged into one), so it is a
# row error that says what happened.
ID_FIELDS = frozenset({"order_no", "sub_order_no", "product_id", "sku_code", "tracking_no"})
_SCIENTIFIC = re.compile(r"^[1-9](?:\.\d+)?[eE]\+\d{2}$")  # how Excel shows a long number: 6.931E+18
_EXACT_DIGITS = 10 ** 15  # a float at or beyond this has lost digits (Excel: 15 significant digits)


def id_problem(raw: object, text: str) -> str:
    """Why an identifier cell cannot be trusted (Excel turned it into a number), or ""."""
    if type(raw) is float and abs(raw) >= _EXACT_DIGITS:
        return M.Reason(M.ID_AS_NUMBER, value=text)
    if ("E" in text or "e" in text) and _SCIENTIFIC.match(text):
        return M.Reason(M.ID_SCIENTIFIC, value=text)
    return ""


def joined_address(values: dict) -> str:
    """省 + 市 + 区 + 街道 + 详细地址, as Chinese addresses are written (no separators). A municipality's
    repeated 省/市 (上海市, 上海市) is written once; a 详细地址 that already starts with the province or city
    is a full address and is kept as it is."""
    detail = values.get("address", "")
    parts: list[str] = []
    for name in ADDRESS_PARTS:
        part = values.get(name, "")
        if part and part not in parts:
            parts.append(part)
    if not parts or any(detail.startswith(p) for p in parts[:2]):
        return detail
    return "".join(parts) + detail


_MISS = object()
_CACHE_LIMIT = 50_000  # distinct cells remembered per column (bounded memory)
# Kinds whose parsing costs more than a lookup and whose cells repeat (text is only stripped; order
# numbers, tracking numbers and times are nearly all distinct).
_CACHED_KINDS = {"money", "int", "phone", "bool", "tier", "category", "carrier", "status"}


def _cell(kind: str, limit: int | None, raw: object) -> tuple[bool, object]:
    try:
        value = _parse_value(kind, raw)
    except ValueError as exc:
        return False, M.reason_of(exc)
    if limit and isinstance(value, str) and len(value) > limit:
        return False, M.Reason(M.TOO_LONG, limit=limit, value=value)
    return True, value


def compile_row_parser(columns: dict[str, int]):
    """A parser for rows of one file. Exports repeat most cells (products, specs, carriers, sessions, tiers,
    amounts, phones), so each such column remembers what a cell text parsed to; the rules are the same as
    `_parse_value`'s, applied once per distinct text. Text is stripped every time; a time is parsed again
    unless it repeats the cell above."""
    # mode 0: text (strip, length limit), 1: time (parsed each time), 2: cached by cell text, 3: an identifier
    # (text, and refused when Excel made a number of it). A time column remembers its previous cell only: an
    # order's lines repeat its times row after row.
    plan = []
    for name, pos in columns.items():
        kind = FIELDS_BY_NAME[name].kind
        mode = 0 if kind == "text" else 1 if kind == "datetime" else 2
        if name in ID_FIELDS:
            mode = 3
        plan.append((name, pos, mode, kind, _LIMITS.get(name), {} if mode == 2 else [_MISS, None]))
    required = [name for name in ("order_no", "product_name") if name in columns]
    fromiso = dt.datetime.fromisoformat
    has_parts = any(name in columns for name in ADDRESS_PARTS)

    def parse(row_no: int, row: list) -> tuple[ParsedLine | None, list[tuple[str, str]]]:
        values: dict = {}
        problems: list[tuple[str, str]] = []
        width = len(row)
        for name, pos, mode, kind, limit, cache in plan:
            raw = row[pos] if pos < width else None
            if mode == 0 or mode == 3:
                value = _unwrap(raw.strip()) if type(raw) is str else _text(raw)
                if mode == 3 and value[:1] == "'":
                    value = value[1:].strip()  # '6931000000000001: an apostrophe that kept the id as text
                if limit and len(value) > limit:
                    problems.append((name, M.Reason(M.TOO_LONG, limit=limit, value=value)))
                elif mode == 3 and (wrong := id_problem(raw, value)):
                    problems.append((name, wrong))
                else:
                    values[name] = value
                continue
            if mode == 1:
                if raw == cache[0] and type(raw) is str:
                    values[name] = cache[1]
                    continue
                if type(raw) is str and len(raw) == 19 and raw[4] == "-":
                    # the common "2026-11-01 20:30:00": what parse_datetime does for it, without its detours
                    try:
                        value = fromiso(raw)
                    except ValueError:
                        value = None  # parse_datetime says what is wrong with it
                    if value is not None and value.tzinfo is None:
                        values[name] = cache[1] = value.replace(tzinfo=SHANGHAI)
                        cache[0] = raw
                        continue
                try:
                    values[name] = cache[1] = parse_datetime(raw)
                    cache[0] = raw
                except ValueError as exc:
                    problems.append((name, M.reason_of(exc)))
                continue
            try:
                hit = cache.get(raw, _MISS)
            except TypeError:  # an unhashable cell value
                hit = _cell(kind, limit, raw)
            if hit is _MISS:
                hit = _cell(kind, limit, raw)
                if len(cache) < _CACHE_LIMIT:
                    cache[raw] = hit
            if hit[0]:
                values[name] = hit[1]
            else:
                problems.append((name, hit[1]))
        return _finish(row_no, values, problems, columns, required, has_parts)

    return parse


def parse_row(row_no: int, row: list, columns: dict[str, int]) -> tuple[ParsedLine | None, list[tuple[str, str]]]:
    """Returns (line, []) or (None, [(field, reason), ...])."""
    return compile_row_parser(columns)(row_no, row)


def _finish(row_no: int, values: dict, problems: list, columns, required, has_parts):
    for name in required:
        if not values.get(name) and name not in {p[0] for p in problems}:
            problems.append((name, M.Reason(M.REQUIRED)))
    if has_parts:
        address = joined_address(values)
        if len(address) > _LIMITS["address"]:
            problems.append(("address", M.Reason(M.ADDRESS_TOO_LONG, limit=_LIMITS["address"], value=address)))
        values["address"] = address
        for name in ADDRESS_PARTS:
            values.pop(name, None)
    if problems:
        return None, problems
    order_no = values["order_no"]
    sub = values.get("sub_order_no") or ""
    if sub:
        line_key = sub
    else:
        basis = f"{values['product_name']}|{values.get('spec', '')}|{values.get('sku_code', '')}"
        line_key = basis if len(basis) <= 128 else "h:" + hashlib.sha256(basis.encode()).hexdigest()
    return ParsedLine(row_no=row_no, order_no=order_no, line_key=line_key,
                      product_name=values["product_name"], values=values), []
