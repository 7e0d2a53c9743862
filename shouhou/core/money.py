"""Money is Decimal yuan rounded to the fen."""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext

FEN = Decimal("0.01")
MAX_AMOUNT = Decimal("99999999.99")  # what a MoneyField (12 digits, 2 places) can hold
MAX_SHOWN = 20  # characters of a refused value quoted back


def N_(message: str) -> str:
    """Marks a msgid (like gettext_noop, without needing Django's settings when this module is imported)."""
    return message


# What a MoneyError says: whole sentences (Chinese msgids) with named parameters, said in the active language.
EMPTY = N_("金额为空")
NOT_AN_AMOUNT = N_("不是有效金额：%(value)s")
OUT_OF_RANGE = N_("金额超出范围（上限 %(limit)s）：%(value)s")
REQUIRED = N_("请填写%(field)s")
NOT_A_NUMBER = N_("%(field)s必须是数字，收到 %(value)s")
NOT_TYPED_NUMBER = N_("%(field)s必须是数字（只含数字和小数点），收到 %(value)s")
NOT_FINITE = N_("%(field)s必须是有限的数字，收到 %(value)s")
NOT_POSITIVE = N_("%(field)s必须大于 0。")
TOO_LARGE = N_("%(field)s过大（上限 %(limit)s）")
NOT_WHOLE_POINTS = N_("%(field)s应为整数积分")
TOO_MANY_DECIMALS = N_("%(field)s最多两位小数（精确到分）")


class MoneyError(ValueError):
    """`code` is one of the sentences above, `params` its values; str() is the sentence in the active language
    (`field`, a Chinese msgid such as "补偿金额", is translated too). Callers tell the kinds apart by `code`."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params

    def __str__(self) -> str:
        params = dict(self.params)
        if "field" in params:
            params["field"] = gettext(str(params["field"]))
        return gettext(self.code) % params if params else gettext(self.code)


def _shown(value: object) -> str:
    """A refused value as quoted back: its text, cut short (no Python quotes)."""
    return str(value)[:MAX_SHOWN]


# What a person types for an amount: ASCII digits with an optional sign, decimal point and exponent (「1e30」 is
# refused as too large, by its value). No underscore ("1_0" was taken as 10: Python's Decimal allows it), no other
# script's digits ("٣" was 3), no spaces inside.
TYPED_AMOUNT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _amount_text(value: object) -> str:
    """The text of an amount in ASCII: NFKC turns full-width 「１２」 into 12 and 「，」 into a comma (an IME in
    full-width mode types the same number); thousands separators go; anything else stays for the caller to
    refuse."""
    return unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")


def _plain_number(text: str) -> bool:
    return text.isascii() and "_" not in text


def to_yuan(value: object) -> Decimal:
    """Parse '¥1,299.00', '1299', 1299.5 into Decimal('1299.50'); raise MoneyError on anything else."""
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int | float):
        amount = Decimal(str(value))
    else:
        text = _amount_text(value or "")
        for sign in ("¥", "￥", "元", "RMB", "CNY"):
            text = text.replace(sign, "")
        text = text.strip()
        if not text:
            raise MoneyError(EMPTY)
        if not _plain_number(text):
            raise MoneyError(NOT_AN_AMOUNT, value=_shown(value))
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise MoneyError(NOT_AN_AMOUNT, value=_shown(value))
    if not amount.is_finite():
        raise MoneyError(NOT_AN_AMOUNT, value=_shown(value))
    if abs(amount) > MAX_AMOUNT:  # 1e30 could not even be rounded to the fen (InvalidOperation), 1e20 not stored
        raise MoneyError(OUT_OF_RANGE, limit=MAX_AMOUNT, value=_shown(value))
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def positive_amount(value: object, *, field: str, points: bool = False) -> Decimal:
    """An amount typed by a person (a form field, an API number): a finite number above 0, at most two
    decimals (whole numbers for points), within what the database holds. MoneyError names `field` and says
    what was wrong — never rounds silently ("12.345" is refused, not stored as 12.34)."""
    if isinstance(value, bool):
        raise MoneyError(NOT_A_NUMBER, field=field, value=_shown(value))
    if isinstance(value, Decimal):
        amount = value
    else:
        text = _amount_text(value if value is not None else "")
        if not text:
            raise MoneyError(REQUIRED, field=field)
        if isinstance(value, str) and text.lower().lstrip("+-") in {"nan", "snan", "inf", "infinity"}:
            raise MoneyError(NOT_FINITE, field=field, value=_shown(value))
        if isinstance(value, str) and not TYPED_AMOUNT.fullmatch(text):
            raise MoneyError(NOT_TYPED_NUMBER, field=field, value=_shown(value))
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise MoneyError(NOT_A_NUMBER, field=field, value=_shown(value)) from None
    if not amount.is_finite():
        raise MoneyError(NOT_FINITE, field=field, value=_shown(value))
    if amount <= 0:
        raise MoneyError(NOT_POSITIVE, field=field)
    if amount > MAX_AMOUNT:
        raise MoneyError(TOO_LARGE, field=field, limit=MAX_AMOUNT)
    places = Decimal("1") if points else FEN
    if amount != amount.quantize(places):
        raise MoneyError(NOT_WHOLE_POINTS if points else TOO_MANY_DECIMALS, field=field)
    return amount.quantize(places)


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(FEN)


def yuan_to_fen(yuan: Decimal) -> int:
    return int((yuan * 100).to_integral_value(rounding=ROUND_HALF_UP))
