"""Which amount is the order's and which the line's. Pure: no database.

Back-office exports have one row per order line (sub-order). Their amount columns differ:
- a line amount (实付金额, 商品实付金额, …: `paid_amount`) belongs to the row;
- 订单应付金额 (`order_amount`) is the order's amount; some exports repeat it on every row of the order,
  others give each sub-order's share. Settled per order: the same value on every row = the order's amount
  (counted once); different values = per line (summed). When every row also has a unit price
  (商品单价/商品金额 × 数量) and the repeated value is closer to "one share per row" than to "the order's
  total", it is read as per line (two lines of the same price).
- Without a line amount, a line's price is its own 订单应付金额 share (per line), or the order's amount
  split in proportion to 单价 × 数量 (equally without prices; the last line takes the rounding cent), or
  单价 × 数量 when there is no 订单应付金额 at all.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from shouhou.commerce.importers.parse import ParsedLine

CENT = Decimal("0.01")


def _weight(line: ParsedLine) -> Decimal | None:
    unit = line.values.get("unit_price")
    if unit is None:
        return None
    return unit * line.values.get("quantity", 1)


def _split(total: Decimal, weights: list[Decimal | None]) -> list[Decimal]:
    n = len(weights)
    known = [w for w in weights if w is not None]
    basis = sum(known, Decimal(0)) if len(known) == n else Decimal(0)
    shares = [(total * w / basis if basis else total / n).quantize(CENT, ROUND_HALF_UP)
              for w in (weights if basis else [None] * n)]
    shares[-1] += total - sum(shares, Decimal(0))
    return shares


def settle_amounts(lines: list[ParsedLine], present: set[str]) -> tuple[dict[str, Decimal], bool]:
    """Returns (order_no -> the order's amount, whether line amounts were derived). Fills each line's
    values["paid_amount"] when the file has no line-amount column."""
    has_order, has_unit = "order_amount" in present, "unit_price" in present
    if not (has_order or has_unit):
        return {}, False
    own_line_amount = "paid_amount" in present
    groups: dict[str, list[ParsedLine]] = {}
    for line in lines:
        groups.setdefault(line.order_no, []).append(line)
    totals: dict[str, Decimal] = {}
    for order_no, rows in groups.items():
        weights = [_weight(r) for r in rows]
        if not has_order:
            if not own_line_amount:
                for r, w in zip(rows, weights, strict=True):
                    r.values["paid_amount"] = (w or Decimal(0)).quantize(CENT)
            continue
        amounts = [r.values.get("order_amount") or Decimal(0) for r in rows]
        per_order = all(a == amounts[0] for a in amounts)
        if per_order and len(rows) > 1 and all(w is not None for w in weights):
            goods = sum(weights, Decimal(0))
            per_order = abs(goods - amounts[0]) <= abs(goods - amounts[0] * len(rows))
        if per_order:
            totals[order_no] = amounts[0]
            shares = _split(amounts[0], weights)
        else:
            totals[order_no] = sum(amounts, Decimal(0))
            shares = amounts
        if not own_line_amount:
            for r, share in zip(rows, shares, strict=True):
                r.values["paid_amount"] = share
    return totals, not own_line_amount
