"""Money is Decimal yuan rounded to the fen."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")


class MoneyError(ValueError):
    pass


def to_yuan(value: object) -> Decimal:
    """Parse '¥1,299.00', '1299', 1299.5 into Decimal('1299.50'); raise MoneyError on anything else."""
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, int | float):
        amount = Decimal(str(value))
    else:
        text = str(value or "").strip().replace(",", "").replace("，", "")
        for sign in ("¥", "￥", "元", "RMB", "CNY"):
            text = text.replace(sign, "")
        text = text.strip()
        if not text:
            raise MoneyError("金额为空")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise MoneyError(f"不是有效金额：{value!r}")
    if not amount.is_finite():
        raise MoneyError(f"不是有效金额：{value!r}")
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(FEN)


def yuan_to_fen(yuan: Decimal) -> int:
    return int((yuan * 100).to_integral_value(rounding=ROUND_HALF_UP))
