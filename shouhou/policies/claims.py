"""Build engine inputs (LineFacts, Claim, now) from a claim JSON, reporting located errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from shouhou.policies.document import CATEGORIES, REASONS, TIERS
from shouhou.policies.engine import CONDITIONS, Claim, LineFacts


class ClaimInputError(ValueError):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def facts_from_json(raw: object) -> tuple[LineFacts, Claim, dt.date]:
    errors: list[str] = []
    if not isinstance(raw, dict):
        raise ClaimInputError(["claim: 必须是 JSON 对象"])
    aliases = {"membership_tier": "tier", "insurance": "return_insurance", "signed_date": "delivery_date",
               "item_condition": "condition"}
    raw = {**{aliases[k]: v for k, v in raw.items() if k in aliases}, **raw}

    def date(key: str, required: bool) -> dt.date | None:
        v = raw.get(key)
        if v in (None, ""):
            if required:
                errors.append(f"claim.{key}: 缺少日期（YYYY-MM-DD）")
            return None
        try:
            return dt.date.fromisoformat(str(v)[:10])
        except ValueError:
            errors.append(f"claim.{key}: 日期格式应为 YYYY-MM-DD，收到 {v!r}")
            return None

    def money(key: str, required: bool) -> Decimal | None:
        v = raw.get(key)
        if v is None:
            if required:
                errors.append(f"claim.{key}: 缺少金额")
            return None
        try:
            d = Decimal(str(v))
        except InvalidOperation:
            errors.append(f"claim.{key}: 必须是金额数字，收到 {v!r}")
            return None
        if d < 0:
            errors.append(f"claim.{key}: 不能为负数")
        return d

    def choice(key: str, allowed, default):
        v = raw.get(key, default)
        if v not in allowed:
            errors.append(f"claim.{key}: 未知取值 {v!r}，可选: {', '.join(allowed)}")
        return v

    def integer(key: str) -> int:
        v = raw.get(key, 0)
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            errors.append(f"claim.{key}: 必须是不小于 0 的整数")
            return 0
        return v

    category = choice("category", CATEGORIES, None)
    reason = choice("reason", REASONS, None)
    condition = choice("condition", CONDITIONS, "unopened")
    tier = choice("tier", TIERS, "regular")
    ordered = date("order_date", False)
    delivered = date("delivery_date", False)
    now = date("now", True)
    price = money("price_paid", True)
    current = money("current_price", False)
    exchanges = integer("exchanges_so_far")
    repairs = integer("failed_repairs")
    qty = raw.get("quantity", 1)
    if isinstance(qty, bool) or not isinstance(qty, int) or qty < 1:
        errors.append("claim.quantity: 必须是正整数")
        qty = 1
    if delivered and now and now < delivered:
        errors.append("claim.now: 不能早于 delivery_date")
    if errors:
        raise ClaimInputError(errors)
    line = LineFacts(category=category, price_paid=price, quantity=qty, ordered_on=ordered, delivered_on=delivered,
                     return_insurance=bool(raw.get("return_insurance", False)), tier=tier)
    claim = Claim(reason=reason, condition=condition, exchanges_so_far=exchanges, failed_repairs=repairs,
                  current_price=current, washed=bool(raw.get("washed", False)),
                  followed_care_label=bool(raw.get("followed_care_label", True)),
                  confirmed_exclusion_at_purchase=bool(raw.get("confirmed_exclusion_at_purchase", False)),
                  has_photo=bool(raw.get("has_photo", False)))
    return line, claim, now
