"""The claim JSON at the edge (`shouhou policy decide --claim`, `POST /api/policies/decide`, a case's claim
data): validated strictly by a schema, turned into the engine's inputs (LineFacts, Claim, today), every
problem reported with its field. Nothing is defaulted silently: an unknown or misspelt key, a string where
a boolean belongs ("false"), NaN, Infinity, a negative or absurd amount, a missing order date and an
impossible chronology are errors, never a traceback and never a guess.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from shouhou.policies.document import CATEGORIES, REASONS, TIERS
from shouhou.policies.engine import (
    CONDITIONS,
    FACT_NAMES,
    MAX_COUNT,
    MAX_MONEY,
    MAX_QUANTITY,
    SHANGHAI,
    Claim,
    ClaimInputError,
    LineFacts,
    facts_errors,
)

__all__ = ["ClaimIn", "ClaimInputError", "claim_from_data", "facts_from_json"]

# Engine fact → the claim JSON key it comes from (for located errors).
CLAIM_JSON_NAMES = {**{k: f"claim.{k}" for k in FACT_NAMES}, "ordered_on": "claim.order_date",
                    "shipped_on": "claim.ship_date", "delivered_on": "claim.delivery_date", "now": "claim.now",
                    "paid_total": "claim.paid_total", "replaced_on": "claim.replaced_date",
                    "installed_on": "claim.installed_date"}


def _choice(allowed):
    def check(value: Any) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise PydanticCustomError("choice", "未知取值 {value}，可选: {allowed}",
                                      {"value": repr(value), "allowed": ", ".join(allowed)})
        return value
    return check


WANTED_SPEC_MAX = 60


def _wanted_spec(value: Any) -> str:
    """The size or colour an exchange is for, as the customer typed it: text, one line, at most 60 characters."""
    if not isinstance(value, str):
        raise PydanticCustomError("wanted_spec", "必须是文字（想换的尺码、颜色），收到 {input}", {"input": repr(value)})
    text = " ".join(value.split())
    if len(text) > WANTED_SPEC_MAX:
        raise PydanticCustomError("wanted_spec", "最多 {most} 个字，收到 {n} 个", {"most": WANTED_SPEC_MAX, "n": len(text)})
    return text


def _date(value: Any) -> dt.date:
    """'YYYY-MM-DD', or an ISO date-time (an aware one is read in Asia/Shanghai). Nothing else: no numbers,
    no '2026-03-01garbage'."""
    if value is None:
        raise PydanticCustomError("date_missing", "缺少日期（YYYY-MM-DD）")
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10:
                return dt.date.fromisoformat(text)
            if len(text) > 10 and text[10] in "T ":
                moment = dt.datetime.fromisoformat(text)
                return (moment.astimezone(SHANGHAI) if moment.tzinfo else moment).date()
        except ValueError:
            pass
    raise PydanticCustomError("date_format", "日期格式应为 YYYY-MM-DD，收到 {value}", {"value": repr(value)})


def _money(value: Any) -> Decimal:
    """A yuan amount as a JSON number or numeric string: finite, 0 … 1亿, at most two decimals."""
    if value is None:
        raise PydanticCustomError("money_missing", "缺少金额")
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise PydanticCustomError("money_type", "必须是金额数字，收到 {value}", {"value": repr(value)})
    if isinstance(value, float) and not math.isfinite(value):
        raise PydanticCustomError("money_finite", "必须是有限的金额数字，收到 {value}", {"value": repr(value)})
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise PydanticCustomError("money_type", "必须是金额数字，收到 {value}", {"value": repr(value)}) from None
    if not amount.is_finite():
        raise PydanticCustomError("money_finite", "必须是有限的金额数字，收到 {value}", {"value": repr(value)})
    if amount < 0:
        raise PydanticCustomError("money_negative", "不能为负数，收到 {value}", {"value": str(amount)})
    if amount > MAX_MONEY:
        raise PydanticCustomError("money_too_large", "金额过大（上限 {limit} 元），收到 {value}",
                                  {"limit": str(MAX_MONEY), "value": str(amount)})
    if amount != amount.quantize(Decimal("0.01")):
        raise PydanticCustomError("money_places", "金额最多两位小数（精确到分），收到 {value}", {"value": str(amount)})
    return amount.quantize(Decimal("0.01"))


Money = Annotated[Decimal, BeforeValidator(_money)]
Date = Annotated[dt.date, BeforeValidator(_date)]


def _aliases(*names: str) -> Any:
    return Field(validation_alias=AliasChoices(*names))


class ClaimIn(BaseModel):
    """A claim as JSON. Unknown keys are refused (a misspelt `delivery_date` must not read as "not
    delivered"); booleans are JSON true/false only; integers are JSON integers; dates are YYYY-MM-DD."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    category: Annotated[str, BeforeValidator(_choice(CATEGORIES))]
    reason: Annotated[str, BeforeValidator(_choice(REASONS))]
    order_date: Date
    ship_date: Date | None = Field(None, validation_alias=AliasChoices("ship_date", "shipped_date"))
    delivery_date: Date | None = Field(None, validation_alias=AliasChoices("delivery_date", "signed_date"))
    now: Date
    price_paid: Money = Field(description="单价（元）")
    quantity: StrictInt = Field(1, ge=1, le=MAX_QUANTITY)
    paid_total: Money | None = Field(None, description="整行实付（元），缺省为单价 × 数量")
    current_price: Money | None = None
    condition: Annotated[str, BeforeValidator(_choice(CONDITIONS))] = Field(
        "unopened", validation_alias=AliasChoices("condition", "item_condition"))
    tier: Annotated[str, BeforeValidator(_choice(TIERS))] = Field(
        "regular", validation_alias=AliasChoices("tier", "membership_tier"))
    return_insurance: StrictBool = Field(False, validation_alias=AliasChoices("return_insurance", "insurance"))
    exchanges_so_far: StrictInt = Field(0, ge=0, le=MAX_COUNT)
    failed_repairs: StrictInt = Field(0, ge=0, le=MAX_COUNT)
    washed: StrictBool = False
    followed_care_label: StrictBool = True
    confirmed_exclusion_at_purchase: StrictBool = False
    has_photo: StrictBool = False
    downloaded: StrictBool = False
    gift_value: Money | None = Field(None, description="未一并退回的赠品的标价（元）")
    main_part: StrictBool = Field(False, description="三包：故障出在主要部件（三包凭证所列）")
    return_quantity: StrictInt | None = Field(None, ge=1, le=MAX_QUANTITY, description="部分退货：退回的件数（缺省为整行）")
    warranty_days: StrictInt | None = Field(None, ge=0, le=3650, description="商品自身承诺的保修天数（三包凭证）")
    activated: StrictBool = Field(False, description="已激活（电子产品产生激活信息；数字商品已激活）")
    sold_as_flawed: StrictBool = Field(False, description="销售时已明示临近保质期或有瑕疵")
    free_shipping_lost: Money | None = Field(None, description="退货后不再满足包邮条件而应付的运费（元）")
    replaced_date: Date | None = Field(None, description="三包：最近一次换货的日期（三包有效期自此重新计算）")
    repair_days: StrictInt = Field(0, ge=0, le=3650, description="三包：换货后维修占用的天数（不计入三包有效期）")
    installed_date: Date | None = Field(None, description="商家安装的商品：安装完成日期（三包期限自此起算，消费者权益保护法实施条例第18条）")


ALIASES = {f: ([f, *info.validation_alias.choices] if info.validation_alias else [f])
           for f, info in ClaimIn.model_fields.items()}
KEYS = sorted({name for names in ALIASES.values() for name in names})
CLAIM_KEYS = ("condition", "exchanges_so_far", "failed_repairs", "current_price", "washed", "followed_care_label",
              "confirmed_exclusion_at_purchase", "downloaded", "gift_value", "main_part", "return_quantity",
              "activated", "sold_as_flawed", "free_shipping_lost", "installed_date", "wanted_spec")

_PYDANTIC = {
    "missing": "缺少此项", "bool_type": "必须是 true 或 false（JSON 布尔值），收到 {input}",
    "int_type": "必须是整数，收到 {input}", "greater_than_equal": "必须是不小于 {ge} 的整数，收到 {input}",
    "less_than_equal": "不能大于 {le}，收到 {input}", "extra_forbidden": "未知字段",
}


def _messages(exc: ValidationError, prefix: str, raw: dict | None = None) -> list[str]:
    out = []
    raw = raw or {}
    for e in exc.errors(include_url=False):
        key = ".".join(str(p) for p in e["loc"]) or "(根)"
        kind = e["type"]
        if kind == "missing" and e["loc"] and e["loc"][0] in ("order_date", "now"):
            msg = "缺少日期（YYYY-MM-DD）"
        elif kind == "missing" and e["loc"] and e["loc"][0] == "price_paid":
            msg = "缺少金额"
        elif kind in _PYDANTIC:
            msg = _PYDANTIC[kind].format(input=repr(e.get("input")), **(e.get("ctx") or {}))
            if kind == "extra_forbidden":
                twin = next((n for names in ALIASES.values() if key in names for n in names
                             if n != key and n in raw), None)
                close = difflib.get_close_matches(key, KEYS, n=1, cutoff=0.6)
                if twin:
                    msg = f"与 {twin} 是同一字段的两种写法，只能写一个"
                else:
                    msg += f"（是否想写 {close[0]}？）" if close else f"，可用字段: {', '.join(KEYS)}"
        else:
            msg = e["msg"]
        out.append(f"{prefix}{key}: {msg}")
    return out


def facts_from_json(raw: object) -> tuple[LineFacts, Claim, dt.date]:
    """A claim JSON → (LineFacts, Claim, today); ClaimInputError lists every located problem."""
    if not isinstance(raw, dict):
        raise ClaimInputError(["claim: 必须是 JSON 对象"])
    try:
        c = ClaimIn.model_validate(raw)
    except ValidationError as exc:
        raise ClaimInputError(_messages(exc, "claim.", raw)) from None
    line = LineFacts(category=c.category, price_paid=c.price_paid, quantity=c.quantity, ordered_on=c.order_date,
                     shipped_on=c.ship_date, delivered_on=c.delivery_date, return_insurance=c.return_insurance,
                     tier=c.tier, paid_total=c.paid_total, warranty_days=c.warranty_days,
                     replaced_on=c.replaced_date, repair_days=c.repair_days)
    claim = Claim(reason=c.reason, condition=c.condition, exchanges_so_far=c.exchanges_so_far,
                  failed_repairs=c.failed_repairs, current_price=c.current_price, washed=c.washed,
                  followed_care_label=c.followed_care_label,
                  confirmed_exclusion_at_purchase=c.confirmed_exclusion_at_purchase, has_photo=c.has_photo,
                  downloaded=c.downloaded, gift_value=c.gift_value, main_part=c.main_part,
                  return_quantity=c.return_quantity, activated=c.activated, sold_as_flawed=c.sold_as_flawed,
                  free_shipping_lost=c.free_shipping_lost, installed_on=c.installed_date)
    errors = facts_errors(line, claim, c.now, names=CLAIM_JSON_NAMES, instants=_instants(raw))
    if errors:
        raise ClaimInputError(errors)
    return line, claim, c.now


# claim JSON date key → the engine fact it gives
_DATE_FACTS = {"order_date": "ordered_on", "ship_date": "shipped_on", "delivery_date": "delivered_on",
               "replaced_date": "replaced_on", "installed_date": "installed_on", "now": "now"}


def _instants(raw: dict) -> dict[str, dt.datetime]:
    """The moments a validated claim JSON gave with a time of day (a naive one read in Asia/Shanghai), by engine
    fact: the dates alone cannot order `now` at 08:00 before a sign-off at 20:00 the same day."""
    out = {}
    for key, fact in _DATE_FACTS.items():
        value = next((raw[name] for name in ALIASES[key] if name in raw), None)
        if isinstance(value, str) and len(value.strip()) > 10 and value.strip()[10] in "T ":
            moment = dt.datetime.fromisoformat(value.strip())
            out[fact] = moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)
    return out


class _ClaimData(BaseModel):
    """The claim-specific part of a case's claim data (the order line supplies the rest)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    condition: Annotated[str, BeforeValidator(_choice(CONDITIONS))] = "unopened"
    exchanges_so_far: StrictInt = Field(0, ge=0, le=MAX_COUNT)
    failed_repairs: StrictInt = Field(0, ge=0, le=MAX_COUNT)
    current_price: Money | None = None
    washed: StrictBool = False
    followed_care_label: StrictBool = True
    confirmed_exclusion_at_purchase: StrictBool = False
    downloaded: StrictBool = False
    gift_value: Money | None = None
    main_part: StrictBool = False
    return_quantity: StrictInt | None = Field(None, ge=1, le=MAX_QUANTITY)
    activated: StrictBool = False
    sold_as_flawed: StrictBool = False
    free_shipping_lost: Money | None = None
    installed_date: Date | None = None
    # an exchange for another size or colour: what the customer wants instead (not a policy fact: the engine
    # decides the same either way; the agent and the warehouse read it)
    wanted_spec: Annotated[str, BeforeValidator(_wanted_spec)] | None = None


def claim_from_data(data: object, *, reason: str, has_photo: bool) -> Claim:
    """A case's claim data (API body, portal form) → Claim, strictly: same rules as the claim JSON
    (ClaimInputError with `claim.<key>` errors). A blank `current_price` counts as not given."""
    if not isinstance(data, dict):
        raise ClaimInputError(["claim: 必须是 JSON 对象"])
    data = {k: v for k, v in data.items() if not (k == "current_price" and v in (None, ""))}
    try:
        c = _ClaimData.model_validate(data)
    except ValidationError as exc:
        raise ClaimInputError(_messages(exc, "claim.")) from None
    fields = c.model_dump()
    installed_on = fields.pop("installed_date")
    fields.pop("wanted_spec")
    return Claim(reason=reason, has_photo=has_photo, installed_on=installed_on, **fields)
