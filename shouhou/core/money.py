"""Money is Decimal yuan rounded to the fen."""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")
MAX_AMOUNT = Decimal("99999999.99")  # what a MoneyField (12 digits, 2 places) can hold


class MoneyError(ValueError):
    pass


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
            raise MoneyError("金额为空")
        if not _plain_number(text):
            raise MoneyError(f"不是有效金额：{value!r}")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise MoneyError(f"不是有效金额：{value!r}")
    if not amount.is_finite():
        raise MoneyError(f"不是有效金额：{value!r}")
    if abs(amount) > MAX_AMOUNT:  # 1e30 could not even be rounded to the fen (InvalidOperation), 1e20 not stored
        raise MoneyError(f"金额超出范围（上限 {MAX_AMOUNT}）：{value!r}")
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def positive_amount(value: object, *, field: str, points: bool = False) -> Decimal:
    """An amount typed by a person (a form field, an API number): a finite number above 0, at most two
    decimals (whole numbers for points), within what the database holds. MoneyError names `field` and says
    what was wrong — never rounds silently ("12.345" is refused, not stored as 12.34)."""
    if isinstance(value, bool):
        raise MoneyError(f"{field}必须是数字，收到 {value!r}")
    if isinstance(value, Decimal):
        amount = value
    else:
        text = _amount_text(value if value is not None else "")
        if not text:
            raise MoneyError(f"请填写{field}")
        if isinstance(value, str) and text.lower().lstrip("+-") in {"nan", "snan", "inf", "infinity"}:
            raise MoneyError(f"{field}必须是有限的数字，收到 {str(value)[:20]!r}")
        if isinstance(value, str) and not TYPED_AMOUNT.fullmatch(text):
            raise MoneyError(f"{field}必须是数字（只含数字和小数点），收到 {str(value)[:20]!r}")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise MoneyError(f"{field}必须是数字，收到 {str(value)[:20]!r}") from None
    if not amount.is_finite():
        raise MoneyError(f"{field}必须是有限的数字，收到 {str(value)[:20]!r}")
    if amount <= 0:
        raise MoneyError(f"{field}必须大于 0。")
    if amount > MAX_AMOUNT:
        raise MoneyError(f"{field}过大（上限 {MAX_AMOUNT}）")
    places = Decimal("1") if points else FEN
    if amount != amount.quantize(places):
        raise MoneyError(f"{field}应为整数积分" if points else f"{field}最多两位小数（精确到分）")
    return amount.quantize(places)


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(FEN)


def yuan_to_fen(yuan: Decimal) -> int:
    return int((yuan * 100).to_integral_value(rounding=ROUND_HALF_UP))
