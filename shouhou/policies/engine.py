"""The pure decision function: decide(line, claim, now, policy=...) -> Decision. No database."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from shouhou.policies.document import (
    CATEGORIES,
    CONFIRMABLE_CATEGORIES,
    NO_REASON_MIN_DAYS,
    QUALITY_EXCHANGE_MIN_DAYS,
    QUALITY_RETURN_MIN_DAYS,
    REASONS,
    REFUND_WITHIN_DAYS,
    SANBAO_CATEGORIES,
    SANBAO_MAX_FAILED_REPAIRS,
    SANBAO_MIN_DAYS,
    SEAL_CATEGORIES,
    SEALED_EXCEPTIONS,
    STATUTORY_EXCEPTIONS,
    STATUTORY_MERCHANT_REASONS,
    TIERS,
    load_default,
)
from shouhou.sla.holidays import public_days

KIND_ZH = {"refund_only": "仅退款", "return_refund": "退货退款", "exchange": "换货", "resend": "补寄",
           "repair": "维修", "price_protect": "价保退差", "compensation": "补偿"}
KIND_EN = {"refund_only": "refund only", "return_refund": "return and refund", "exchange": "exchange",
           "resend": "resend", "repair": "repair", "price_protect": "price-difference refund",
           "compensation": "compensation"}
PAYER_ZH = {"merchant": "商家承担", "buyer": "买家承担", "insurance": "运费险承担", "none": "无需寄回"}
COMP_ZH = {"coupon": "优惠券", "red_packet": "红包", "points": "积分", "gift": "赠品"}
CONDITIONS = ("unopened", "opened_unused", "seal_broken", "used", "damaged", "tags_removed", "missing_accessories",
              "missing_gifts", "packaging_discarded")
SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_MONEY = Decimal("100000000")  # 1亿元: a claim above this is a typo, not an order
MAX_QUANTITY = 100_000
MAX_COUNT = 1_000  # exchanges so far, failed repairs
AUTO_APPROVE_MAX_REFUND = Decimal("1000")  # a policy published before `auto_approve.max_refund` existed
# Measures art. 9 (3): apparel, shoes and bags, home textiles — washing takes them out of "intact".
WASHABLE = ("clothing", "underwear", "shoes_bags", "home")
# Measures art. 9 (2): electronic and electrical goods — activation takes them out of "intact".
ELECTRONIC = ("electronics", "mobile_phone")
# Goods nobody repairs: a quality problem with them is put right by exchange (or return), never "repair".
NOT_REPAIRABLE = ("food", "fresh", "cosmetics", "underwear")
# CRPL art. 24: after the first seven days a quality return on request, where the conditions for ending the contract
# are met (a person judges them; full refund, no depreciation)
QUALITY_RETURN_ON_REQUEST = "quality.return_on_request"
# Dates a claim may carry: anything outside is a typo (and past 9999 the deadlines decide() computes, a year
# ahead at most, could not be written at all).
MIN_DATE = dt.date(2000, 1, 1)
MAX_DATE = dt.date(2099, 12, 31)


class ClaimInputError(ValueError):
    """Facts no decision can be made on. `errors` are 'field: what is wrong' lines (field as the caller
    named it: `claim.delivery_date` for a claim JSON, `line.delivered_on` for LineFacts)."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors

    @property
    def located(self) -> list[tuple[str, str]]:
        """(field, message) pairs."""
        return [tuple(e.split(": ", 1)) if ": " in e else ("", e) for e in self.errors]  # type: ignore[misc]


@dataclass(frozen=True)
class LineFacts:
    """One order line as the policy sees it. `price_paid` is the price paid for ONE unit; `paid_total`
    is what the buyer paid for the whole line when known (order exports record the line total, which
    can differ from unit × quantity by rounding of discounts). Refunds use `paid_total` when given."""

    category: str
    price_paid: Decimal
    quantity: int = 1
    ordered_on: dt.date | None = None  # required by decide(): the order (payment) date
    delivered_on: dt.date | None = None  # sign-off date; None = not delivered yet
    return_insurance: bool = False
    tier: str = "regular"
    paid_total: Decimal | None = None
    shipped_on: dt.date | None = None  # when known: checked against the order and sign-off dates
    # signed for (the order says so) on a day nobody recorded: no window can be counted, so a person decides
    # — never "not delivered yet, refund only"
    delivery_unknown: bool = False
    # the product's own warranty (days) when the shop promised one (its 三包凭证): longer than the policy's, it stands
    warranty_days: int | None = None
    # what earlier after-sales on this line already paid back (refunded, or approved to be): units taken back and
    # money (a price-protection refund takes money but no units). A new claim is on what is left: the same fen is
    # never refunded twice, and the last units get all that is left (three thirds of 100.00 refund 100.00, not 99.99)
    units_refunded: int = 0
    refunded: Decimal = Decimal("0")
    # 三包: the goods were exchanged on this day (the last replacement): the 三包 warranty starts again from it
    # (换货后的三包有效期自换货之日起重新计算); the 7/15-day periods stay counted from the sale
    replaced_on: dt.date | None = None
    # 三包: days the goods (since the last replacement) spent being repaired — the warranty does not run while they
    # are with the repairer (三包有效期扣除因修理占用和无零配件待修的时间)
    repair_days: int = 0

    @classmethod
    def from_line_total(cls, *, paid_total: Decimal, quantity: int, **kwargs) -> LineFacts:
        """Facts for a stored order line, whose price_paid is the line total (see commerce.OrderLine)."""
        quantity = max(int(quantity or 1), 1)
        unit = (Decimal(paid_total) / quantity).quantize(Decimal("0.01"))
        return cls(price_paid=unit, quantity=quantity, paid_total=Decimal(paid_total), **kwargs)


@dataclass(frozen=True)
class Claim:
    reason: str
    condition: str = "unopened"
    exchanges_so_far: int = 0
    failed_repairs: int = 0
    current_price: Decimal | None = None
    washed: bool = False
    followed_care_label: bool = True
    confirmed_exclusion_at_purchase: bool = False
    has_photo: bool = False
    downloaded: bool = False  # digital goods / audio-video / software: downloaded or activated online
    gift_value: Decimal | None = None  # marked value of the gifts NOT sent back (None: all returned / none)
    # 三包: the fault is in a main part (主要部件, as the warranty card lists them), whose warranty outlasts the
    # whole unit's (微型计算机 2 years, 家用电器 3 years)
    main_part: bool = False
    # a partial return: how many of the line's units the claim is about (None: the whole line); the refund is
    # that share of what was paid for the line
    return_quantity: int | None = None
    # Measures art. 9 (2): an electronic device activated (activation or account data left on it) is not intact;
    # for digital goods it is like a download; art. 7 (2): goods whose value drops once activated or tried are
    # excluded once activated, if the buyer confirmed it at purchase
    activated: bool = False
    # Measures art. 7 (3): sold, as stated at the sale, near its expiry date or with a flaw — excluded from no-reason
    # returns when the buyer confirmed it at purchase
    sold_as_flawed: bool = False
    # the shipping fee a free-shipping offer spared the order, due now that this return takes the order below the
    # offer's threshold (Measures art. 18 para. 2: the merchant may deduct it from a no-reason refund; None/0: nothing
    # deducted)
    free_shipping_lost: Decimal | None = None
    # goods the merchant installs (an air conditioner, a water heater): the day the installation was completed. The
    # periods of the merchant's return, exchange and repair duties run from it, not from delivery (消费者权益保护法实施条例
    # 第18条: 需要经营者另行安装的商品，有效期限自商品安装完成之日起计算) — here the 三包 periods and warranty
    installed_on: dt.date | None = None


@dataclass
class Decision:
    allowed: list[str] = field(default_factory=list)
    recommended: str | None = None
    shipping_payer: str = "none"
    deadlines: dict[str, str] = field(default_factory=dict)
    auto_approved: bool = False
    refund_amount: Decimal = Decimal("0")
    compensation: dict | None = None
    clauses: list[str] = field(default_factory=list)
    day: int | None = None
    explanation_zh: str = ""
    explanation_en: str = ""
    refund_within_days: int | None = None  # return refunds: paid within N days of receiving the goods back
    gift_deduction: Decimal | None = None  # marked value of unreturned gifts taken off the refund
    shipping_deduction: Decimal | None = None  # a free-shipping offer's fee, due after the return, taken off
    # remedies the buyer may ask for beyond `allowed`, each approved by a person (三包 art. 13: a return instead of
    # the exchange due, less depreciation the merchant sets; CRPL art. 24: a quality return after day 7 where the
    # conditions for ending the contract are met); never recommended, never automatic
    on_request: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        data = asdict(self)
        data["refund_amount"] = str(self.refund_amount)
        data["gift_deduction"] = None if self.gift_deduction is None else str(self.gift_deduction)
        data["shipping_deduction"] = None if self.shipping_deduction is None else str(self.shipping_deduction)
        if self.compensation:
            data["compensation"] = {**self.compensation, "amount": str(self.compensation["amount"])}
        return data


# Field names in error messages: LineFacts / Claim attributes for callers of decide(); the claim JSON's
# keys for `policy decide` and the API (policies.claims passes CLAIM_JSON_NAMES).
FACT_NAMES = {**{k: f"line.{k}" for k in ("category", "price_paid", "quantity", "ordered_on", "shipped_on",
                                         "delivered_on", "return_insurance", "tier", "paid_total",
                                         "warranty_days", "units_refunded", "refunded", "replaced_on",
                                         "repair_days")},
              **{k: f"claim.{k}" for k in ("reason", "condition", "exchanges_so_far", "failed_repairs",
                                          "current_price", "washed", "followed_care_label",
                                          "confirmed_exclusion_at_purchase", "has_photo", "downloaded",
                                          "gift_value", "main_part", "return_quantity", "activated",
                                          "sold_as_flawed", "free_shipping_lost", "installed_on")},
              "now": "now"}
DATE_LABELS = {"ordered_on": "下单日期", "shipped_on": "发货日期", "delivered_on": "签收日期", "replaced_on": "换货日期",
               "installed_on": "安装完成日期", "now": "当前日期"}


def _money_error(value) -> str | None:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        return f"应为金额（Decimal），收到 {value!r}"
    value = Decimal(value)
    if not value.is_finite():
        return f"应为有限的金额，收到 {value}"
    if value < 0:
        return f"不能为负数，收到 {value}"
    if value > MAX_MONEY:
        return f"金额过大（上限 {MAX_MONEY} 元），收到 {value}"
    if value != value.quantize(Decimal("0.01")):
        return f"金额最多两位小数（精确到分），收到 {value}"
    return None


def _int_error(value, lo: int, hi: int) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return f"应为整数，收到 {value!r}"
    if not lo <= value <= hi:
        return f"应为 {lo}–{hi} 的整数，收到 {value}"
    return None


def facts_errors(line: LineFacts, claim: Claim, today: dt.date, *, names: dict[str, str] | None = None,
                 instants: dict[str, dt.datetime] | None = None) -> list[str]:
    """Everything that makes (line, claim, today) impossible or malformed, as 'field: message' lines: wrong
    types (a string for a boolean, NaN or a negative amount), unknown values, a missing order date and
    impossible chronologies (signed before ordered or shipped, `now` before any of them). `instants`: the moments
    (aware) the caller was given for some of these dates (fact name → datetime, e.g. a claim JSON's sign-off at
    20:00): two events on the same day are then ordered by them too. Pure."""
    names = names or FACT_NAMES
    instants = instants or {}
    errors: list[str] = []

    def err(key: str, msg: str) -> None:
        errors.append(f"{names.get(key, key)}: {msg}")

    for key, value, allowed in (("category", line.category, CATEGORIES), ("tier", line.tier, TIERS),
                                ("reason", claim.reason, REASONS), ("condition", claim.condition, CONDITIONS)):
        if not isinstance(value, str) or value not in allowed:
            err(key, f"未知取值 {value!r}，可选: {', '.join(allowed)}")
    for key, value, required in (("price_paid", line.price_paid, True), ("paid_total", line.paid_total, False),
                                 ("current_price", claim.current_price, False),
                                 ("gift_value", claim.gift_value, False),
                                 ("free_shipping_lost", claim.free_shipping_lost, False)):
        if value is None:
            if required:
                err(key, "缺少金额")
        elif problem := _money_error(value):
            err(key, problem)
    if (isinstance(line.paid_total, Decimal) and isinstance(line.price_paid, Decimal)
            and isinstance(line.quantity, int) and not _money_error(line.paid_total)
            and not _money_error(line.price_paid) and not _int_error(line.quantity, 1, MAX_QUANTITY)
            and line.paid_total > (line.price_paid + Decimal("0.01")) * line.quantity):
        # a line total may be under unit × quantity (discounts) or a cent per unit over it (the unit price is
        # rounded from it), never more
        err("paid_total", f"整行实付 {line.paid_total} 元超过单价 {line.price_paid} × 数量 {line.quantity}")
    for key, value, lo, hi in (("quantity", line.quantity, 1, MAX_QUANTITY),
                               ("exchanges_so_far", claim.exchanges_so_far, 0, MAX_COUNT),
                               ("failed_repairs", claim.failed_repairs, 0, MAX_COUNT)):
        if problem := _int_error(value, lo, hi):
            err(key, problem)
    if line.warranty_days is not None and (problem := _int_error(line.warranty_days, 0, 3650)):
        err("warranty_days", problem)
    if problem := _int_error(line.repair_days, 0, 3650):
        err("repair_days", problem)
    quantity_ok = not _int_error(line.quantity, 1, MAX_QUANTITY)
    before = 0  # units earlier after-sales on the line already took back
    if problem := _int_error(line.units_refunded, 0, line.quantity if quantity_ok else MAX_QUANTITY):
        err("units_refunded", problem)
    elif quantity_ok and line.units_refunded >= line.quantity:
        err("units_refunded", f"本行 {line.quantity} 件已全部退款，没有可再申请售后的商品")
    else:
        before = line.units_refunded
    if problem := _money_error(line.refunded):
        err("refunded", problem)
    elif (quantity_ok and isinstance(line.price_paid, Decimal) and not _money_error(line.price_paid)
          and (line.paid_total is None or (isinstance(line.paid_total, Decimal) and not _money_error(line.paid_total)))
          and line.refunded > (line.paid_total if line.paid_total is not None else line.price_paid * line.quantity)):
        err("refunded", f"已退金额 {line.refunded} 元超过本行实付")
    if claim.return_quantity is not None:
        most = line.quantity - before if quantity_ok else MAX_QUANTITY
        if problem := _int_error(claim.return_quantity, 1, max(most, 1)):
            err("return_quantity", problem + ((f"（本行共 {line.quantity} 件" + (f"，已退 {before} 件" if before else "")
                                               + "）") if quantity_ok else ""))
    for key, value in (("return_insurance", line.return_insurance), ("washed", claim.washed),
                       ("followed_care_label", claim.followed_care_label),
                       ("confirmed_exclusion_at_purchase", claim.confirmed_exclusion_at_purchase),
                       ("has_photo", claim.has_photo), ("downloaded", claim.downloaded),
                       ("main_part", claim.main_part), ("activated", claim.activated),
                       ("sold_as_flawed", claim.sold_as_flawed)):
        if not isinstance(value, bool):
            err(key, f"应为 true 或 false（布尔值），收到 {value!r}")
    dates: dict[str, dt.date] = {}
    for key, value in (("ordered_on", line.ordered_on), ("shipped_on", line.shipped_on),
                       ("delivered_on", line.delivered_on), ("replaced_on", line.replaced_on),
                       ("installed_on", claim.installed_on), ("now", today)):
        if value is None:
            if key in ("ordered_on", "now"):
                err(key, f"缺少{DATE_LABELS[key]}（YYYY-MM-DD）")
        elif isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            err(key, f"应为日期（YYYY-MM-DD），收到 {value!r}")
        elif not MIN_DATE <= value <= MAX_DATE:
            err(key, f"日期超出范围（{MIN_DATE.isoformat()} 至 {MAX_DATE.isoformat()}），收到 {value.isoformat()}")
        else:
            dates[key] = value
    if "replaced_on" in dates and line.delivered_on is None:
        err("replaced_on", "换货日期需要签收日期（未签收的商品不会已换货）")
    if "installed_on" in dates and line.delivered_on is None:
        err("installed_on", "安装完成日期需要签收日期（未签收的商品不会已安装）")
    # each later event must not precede an earlier one: ordered ≤ shipped ≤ delivered ≤ replaced ≤ now, and
    # delivered ≤ installed ≤ now (an installation is not ordered against an exchange)
    seen: set[tuple[str, str]] = set()
    for order in (("ordered_on", "shipped_on", "delivered_on", "replaced_on", "now"),
                  ("ordered_on", "shipped_on", "delivered_on", "installed_on", "now")):
        for i, later in enumerate(order):
            for earlier in order[:i]:
                if later not in dates or earlier not in dates:
                    continue
                if dates[later] < dates[earlier]:
                    message = (f"{DATE_LABELS[later]} {dates[later]} 早于{DATE_LABELS[earlier]} {dates[earlier]}"
                               f"（{names.get(earlier, earlier)}），时间顺序不可能")
                elif (dates[later] == dates[earlier] and later in instants and earlier in instants
                      and instants[later] < instants[earlier]):
                    # the same day, but `now` at 08:00 before a sign-off at 20:00: not yet delivered, not day 0
                    at_later, at_earlier = (instants[k].astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
                                            for k in (later, earlier))
                    message = (f"{DATE_LABELS[later]} {at_later} 早于{DATE_LABELS[earlier]} {at_earlier}（北京时间，"
                               f"{names.get(earlier, earlier)}），时间顺序不可能")
                else:
                    continue
                if (later, message) not in seen:
                    seen.add((later, message))
                    err(later, message)
                break
    return errors


def refund_share(amount: Decimal, units: int, of_units: int) -> Decimal:
    """`units` of `of_units` units' share of `amount`, to the fen (half up, as the importers split discounts)."""
    return (Decimal(amount) * units / of_units).quantize(Decimal("0.01"), ROUND_HALF_UP)


def warranty_end(signed: dt.date, days: int) -> dt.date:
    """The last day of a warranty of `days` counted from sign-off. Whole years (365, 730, 1095 …) end on the same
    calendar day that many years later (Civil Code arts. 201, 202: the period starts the next day and its last day
    is the corresponding day; 29 February → 28 February), never earlier than `days` days; other counts are days."""
    end = signed + dt.timedelta(days=days)
    if days >= 365 and days % 365 == 0:
        year = signed.year + days // 365
        try:
            same_day = signed.replace(year=year)
        except ValueError:  # 29 February in a year without one: the month's last day
            same_day = signed.replace(year=year, day=28)
        end = max(end, same_day)
    return end


def _rest_day(day: dt.date, holidays: frozenset[dt.date], workdays: frozenset[dt.date]) -> bool:
    return day in holidays or (day.weekday() >= 5 and day not in workdays)


def statutory_last_day(start: dt.date, days: int, *, past_rest_days: bool = False) -> dt.date:
    """The last day of a statutory period of `days` counted from the day after `start` (消法24, 25; 三包).

    By default natural days, as the platforms and the 办法 count them (`periods.extend_past_rest_days = false`).
    A shop that turns the option on follows 民法典 203 in full: a last day that is a rest day — a weekend not made
    a workday by the State Council's 放假安排, or a statutory holiday — moves to the next workday."""
    last = start + dt.timedelta(days=days)
    if not past_rest_days:
        return last
    holidays, workdays = public_days("CN")
    while _rest_day(last, holidays, workdays):
        last += dt.timedelta(days=1)
    return last


def _today(now: dt.date | dt.datetime) -> dt.date:
    """The calendar day of `now` in Asia/Shanghai (an aware datetime is converted first)."""
    if isinstance(now, dt.datetime):
        return (now.astimezone(SHANGHAI) if now.tzinfo else now).date()
    return now


def _cat(policy: dict, category: str) -> dict:
    return policy.get("categories", {}).get(category, {})


# _intact's reasons (and the two decide() adds) for a reader of English: "not intact" alone did not say why
INTACT_WHY_EN = {
    "必要的一次性密封包装已损坏": "its one-time seal is broken",
    "吊牌已剪或缺失": "its tags are cut off or missing",
    "配件不全": "accessories are missing",
    "商品已使用或损坏": "it has been used or damaged",
    "已洗涤（服装、鞋包、家纺洗涤后不再完好）": "it has been washed (washed clothing, shoes, bags and home textiles "
                                                  "are no longer intact)",
    "电子电器类商品已激活（产生激活、授权信息）": "it is an electronic item that has been activated (activation or "
                                                 "account data is on it)",
}


def _intact(policy: dict, category: str, condition: str) -> tuple[bool, str]:
    """Intact as the Measures define it (arts. 8, 9): opening to inspect never breaks it; a broken one-time
    seal does for food and cosmetics; cut tags, missing accessories, use or damage do. Missing gifts do not
    (their marked value is deducted instead, art. 12)."""
    rule = _cat(policy, category).get("intact", {})
    # packaging_discarded: the outer box thrown away — opened, and still intact: the Measures' "intact" is the goods,
    # their accessories and brand marks (art. 8), not the box they came in (a one-time seal is its own condition)
    if condition in ("unopened", "opened_unused", "missing_gifts", "packaging_discarded"):
        return True, ""
    if condition == "seal_broken":
        if category in SEAL_CATEGORIES and rule.get("seal_required", True):
            return False, "必要的一次性密封包装已损坏"
        return True, ""
    if condition == "tags_removed":
        return (False, "吊牌已剪或缺失") if rule.get("tags_required", True) else (True, "")
    if condition == "missing_accessories":
        return (False, "配件不全") if rule.get("accessories_required", True) else (True, "")
    return False, "商品已使用或损坏"


# 三包12: a repair not done within 90 days because the producer supplied no parts, or one the repairer kept more than 30
# days for its own reasons, gives a free exchange for the same model (「自送修之日起超过90日未修好的…」「因修理者自身原因
# 使修理期超过30日的…」)
REPAIR_OVERDUE_DAYS = {"parts": 90, "repairer": 30}


def sanbao_repair_overdue(*, days_in_repair: int, cause: str | None) -> bool:
    """三包12: whether a repair under way `days_in_repair` days (counted from the day the goods were handed over) for
    `cause` ("parts": waiting for parts the producer did not supply; "repairer": the repairer's own reasons; None: not
    recorded) now owes the buyer a free exchange. Without a recorded cause nothing is owed automatically: a delay may be
    the buyer's own. Pure."""
    limit = REPAIR_OVERDUE_DAYS.get(cause or "")
    return limit is not None and days_in_repair > limit


# Punitive (statutory) damages, on top of the refund and of the loss, never folded into either:
# 消法55 para. 1 — fraud in selling: 增加赔偿的金额为消费者购买商品的价款或者接受服务的费用的三倍；增加赔偿的金额不足五百元的，为五百元。
# 食品安全法148 para. 2 — food not meeting food-safety standards: 支付价款十倍或者损失三倍的赔偿金；增加赔偿的金额不足一千元的，为一千元。
# 但是，食品的标签、说明书存在不影响食品安全且不会对消费者造成误导的瑕疵的除外。
DAMAGES = {
    "fraud": {"clause": "damages.fraud_55", "price_times": 3, "loss_times": 0, "minimum": Decimal("500")},
    "food_safety": {"clause": "damages.food_safety_148", "price_times": 10, "loss_times": 3, "minimum": Decimal("1000")},
}


@dataclass(frozen=True)
class Damages:
    """Statutory damages a finding entitles the buyer to, beside the refund and the loss (which is claimed as well)."""

    basis: str
    clause: str
    amount: Decimal
    price_paid: Decimal
    loss: Decimal
    minimum_applied: bool
    explanation_zh: str
    explanation_en: str

    def to_json(self) -> dict:
        return {**asdict(self), "amount": str(self.amount), "price_paid": str(self.price_paid), "loss": str(self.loss)}


def statutory_damages(*, basis: str, price_paid: Decimal, loss: Decimal = Decimal("0"),
                      label_only: bool = False) -> Damages | None:
    """The punitive damages of 消法55 para. 1 (`basis="fraud"`: three times the price paid, at least 500 yuan) or
    食品安全法148 para. 2 (`basis="food_safety"`: ten times the price paid or three times the loss, whichever is more, at
    least 1,000 yuan; None for a labelling or instructions flaw that neither affects safety nor misleads,
    `label_only`). `price_paid`: what the buyer paid for the goods claimed about (yuan); `loss`: the buyer's proven
    loss. Pure; the finding itself (fraud, unsafe food) is a person's or an authority's, never inferred here, and the
    amount is never auto-approved. 消法55 para. 2 (death or serious injury: up to twice the loss) is a judgement, not a
    formula, and is not computed."""
    errors = []
    rule = DAMAGES.get(basis)
    if rule is None:
        errors.append(f"basis: 必须是 {' / '.join(DAMAGES)} 之一，收到 {basis!r}")
    for name, value in (("price_paid", price_paid), ("loss", loss)):
        problem = _money_error(value)
        if problem:
            errors.append(f"{name}: {problem}")
    if errors:
        raise ClaimInputError(errors)
    assert rule is not None
    price, loss = Decimal(price_paid), Decimal(loss)
    if basis == "food_safety" and label_only:
        return None
    formula = max(price * rule["price_times"], loss * rule["loss_times"]).quantize(Decimal("0.01"))
    amount = max(formula, rule["minimum"]).quantize(Decimal("0.01"))  # money to the fen: 1000.00, not 1000
    low = formula < rule["minimum"]
    if basis == "fraud":
        zh = (f"经营者有欺诈行为：除退款和赔偿损失外，增加赔偿价款 {price} 元的三倍"
              + (f"，不足五百元的按 {rule['minimum']} 元" if low else "") + f"，即 {amount} 元（消法第55条第1款）。")
        en = (f"Fraud in selling: beside the refund and the loss, damages of three times the price paid ({price} yuan)"
              + (f", raised to the statutory minimum of {rule['minimum']} yuan" if low else "")
              + f": {amount} yuan (CRPL art. 55 para. 1).")
    else:
        zh = (f"食品不符合食品安全标准：除赔偿损失外，支付价款 {price} 元的十倍或损失 {loss} 元的三倍中较高者"
              + (f"，不足一千元的按 {rule['minimum']} 元" if low else "") + f"，即 {amount} 元（食品安全法第148条第2款）。")
        en = (f"Food below the food-safety standards: beside the loss, the higher of ten times the price paid ({price} "
              f"yuan) and three times the loss ({loss} yuan)"
              + (f", raised to the statutory minimum of {rule['minimum']} yuan" if low else "")
              + f": {amount} yuan (Food Safety Law art. 148 para. 2).")
    return Damages(basis=basis, clause=rule["clause"], amount=amount, price_paid=price, loss=loss,
                   minimum_applied=low, explanation_zh=zh, explanation_en=en)


POINTS_PER_YUAN = Decimal("100")  # 100 points are worth 1 yuan when compared with an approval limit


def compensation_value(kind: str, amount: Decimal) -> Decimal:
    """The yuan value of a compensation, for approval limits: coupons, red packets and gifts are yuan;
    points count at POINTS_PER_YUAN."""
    amount = Decimal(str(amount))
    return amount / POINTS_PER_YUAN if kind == "points" else amount


def _ladder(policy: dict, reason: str, tier: str) -> dict | None:
    comp = policy.get("compensation", {})
    best = None
    for step in comp.get("ladder", []):
        if step["reason"] != reason:
            continue
        if step["tier"] == tier:
            best = step
            break
        if step["tier"] == "*" and best is None:
            best = step
    if best is None:
        return None
    amount = Decimal(str(best["amount"]))
    limit = Decimal(str(comp.get("agent_approval_limit", 0)))
    return {"kind": best["kind"], "amount": amount,
            "needs_supervisor": compensation_value(best["kind"], amount) > limit,
            "clause": f"compensation.{reason}.{best['tier']}"}


def compensation_phrase(kind: str, amount) -> str:
    """A compensation step as the customer reads it: 「5元优惠券」, 「10元红包」, 「200积分」, 「价值30元的赠品」."""
    value = f"{Decimal(str(amount)).normalize():f}"
    if kind == "points":
        return f"{value}积分"
    if kind == "gift":
        return f"价值{value}元的赠品"
    return f"{value}元{COMP_ZH.get(kind, kind)}"


def compensation_for(policy: dict, *, reason: str, tier: str) -> dict | None:
    """The ladder step for `reason` and a membership tier (the tier's own step, else the "*" one):
    {"kind", "amount", "needs_supervisor", "clause"}, or None when the policy has no step for it."""
    return _ladder(policy, reason, tier)


def decide(line: LineFacts, claim: Claim, now: dt.date | dt.datetime, *, policy: dict | None = None) -> Decision:
    """What may this customer get for this claim on this line today. Raises ClaimInputError (located
    errors) when the facts are malformed or impossible; never decides on them."""
    policy = policy if policy is not None else load_default()
    today = _today(now) if isinstance(now, dt.date) else now
    errors = facts_errors(line, claim, today)
    if errors:
        raise ClaimInputError(errors)
    d = Decision()
    zh: list[str] = []
    en: list[str] = []
    cat = line.category
    crule = _cat(policy, cat)
    reason = claim.reason
    day = (today - line.delivered_on).days if line.delivered_on else None  # day 1 = the day after sign-off
    d.day = day
    line_total = (line.paid_total if line.paid_total is not None else line.price_paid * line.quantity
                  ).quantize(Decimal("0.01"))
    # a partial return refunds the returned units' share of what the line cost (discounts shared alike)
    # after earlier refunds on the line, it is a share of what is left, and the last units get all that is left
    left_units = line.quantity - line.units_refunded
    left_money = line_total - line.refunded
    units = claim.return_quantity if claim.return_quantity is not None else left_units
    total = left_money if units == left_units else refund_share(left_money, units, left_units)
    ship = policy["shipping"]
    sb = {**policy["sanbao"], **crule.get("sanbao", {})}
    # the statutory floors hold whatever the document says (a version published before a floor existed)
    for key, least in SANBAO_MIN_DAYS.items():
        sb[key] = max(sb[key], least)
    sb["failed_repairs_for_exchange"] = min(sb["failed_repairs_for_exchange"], SANBAO_MAX_FAILED_REPAIRS)
    # a longer warranty the shop promised for the product binds it (CRPL art. 24: 当事人约定)
    sb["warranty_days"] = max(sb["warranty_days"], line.warranty_days or 0)
    # the national 三包 catalogue holds whatever the document lists (a version published before that floor existed)
    electronics = cat in policy["sanbao"]["categories"] or cat in SANBAO_CATEGORIES
    late_transit = (reason == "damaged_in_transit" and day is not None
                    and day > policy["quality"]["transit_damage_report_days"])
    if reason == "quality" and electronics:
        reason = "performance_fault"
    elif reason == "performance_fault" and not electronics:
        reason = "quality"  # 三包 covers the listed categories; elsewhere a fault is a quality problem (CRPL 24)
    merchant_pays = reason in ship["merchant_reasons"] or reason in STATUTORY_MERCHANT_REASONS

    def until(base: dt.date | None, days: int) -> str | None:
        return (base + dt.timedelta(days=days)).isoformat() if base else None

    past_rest_days = bool(policy.get("periods", {}).get("extend_past_rest_days", False))

    def last_day(days: int, start: dt.date | None = None) -> dt.date:
        """A statutory period from sign-off (or `start`, an installation): its last day (moved past rest days when the
        shop chose 民法典203)."""
        return statutory_last_day(start or line.delivered_on, days, past_rest_days=past_rest_days)

    def note_extension(end: dt.date, days: int, start: dt.date | None = None) -> None:
        """Say so when today is inside a period only because its last day fell in a holiday."""
        late = day is not None and (today - (start or line.delivered_on)).days > days
        if late and today <= end and "period.holiday_extension" not in d.clauses:
            d.clauses.append("period.holiday_extension")
            zh.append(f"期限最后一日逢法定休假日，顺延至其后的第一个工作日（{end.isoformat()}，民法典第203条）。")
            en.append(f"The period's last day fell on a public holiday or a weekend, so it runs to the next "
                      f"working day ({end.isoformat()}; Civil Code art. 203).")

    if line.delivered_on is None and line.delivery_unknown and reason not in ("price_drop", "recall"):
        d.clauses.append("delivery.unknown")
        zh.append("订单已签收，但没有签收时间记录，无法计算期限，需客服核实后答复。")
        en.append("The order was signed for, but when is not recorded: an agent checks the date and answers.")
    elif line.delivered_on is None and reason not in ("price_drop", "lost_parcel", "late_shipment"):
        d.allowed = ["refund_only"]
        d.clauses.append("not_delivered.refund_only")
        if line.shipped_on is None:
            zh.append("商品尚未发货，可申请仅退款，订单直接取消。")
            en.append("Not shipped yet: refund only, the order is cancelled.")
        else:
            zh.append("商品已发出、尚未签收，可申请仅退款（包裹需拦截退回或拒收）。")
            en.append("Shipped, not delivered yet: refund only (the parcel is intercepted or refused).")
        if line.shipped_on is not None and reason in ("no_reason", "size_fit") and cat in STATUTORY_EXCEPTIONS \
                and cat in policy["no_reason"]["legal_exceptions"]:
            # made to order or perishable, already on its way: a change of mind is no statutory right here (CRPL
            # art. 25), and a 定作 maker may claim its loss (Civil Code art. 787) — a person decides, never automatic
            d.clauses.append(IN_TRANSIT_EXCEPTION)
            zh.append("该商品属于不适用七日无理由退货的商品（定作、鲜活易腐等，消法第25条），已发出后的退款由客服审核。")
            en.append("This item is excluded from no-reason returns (made to order, perishable …; CRPL art. 25) and "
                      "already shipped: an agent decides the refund.")
        d.refund_amount = total
    elif reason in ("no_reason", "size_fit"):
        nr = {**policy["no_reason"], **crule.get("no_reason", {})}
        days = max(nr["days"], NO_REASON_MIN_DAYS)
        nr_end = last_day(days)
        d.deadlines["no_reason_until"] = nr_end.isoformat()
        unsealed = claim.downloaded or claim.activated or claim.condition in ("opened_unused", "seal_broken", "used",
                                                                                 "packaging_discarded")
        excepted = (cat in policy["no_reason"]["legal_exceptions"] and cat in STATUTORY_EXCEPTIONS
                    and (cat not in SEALED_EXCEPTIONS or unsealed))
        if excepted:
            d.clauses.append(f"no_reason.exception.{cat}")
            if cat in SEALED_EXCEPTIONS:
                zh.append("在线下载或已拆封的音像制品、计算机软件等数字化商品不适用七日无理由退货（消法第25条）。")
                en.append("Downloaded or unsealed audio, video and software are excluded from no-reason returns "
                          "(CRPL art. 25).")
            else:
                zh.append("该商品属于法定不适用七日无理由退货的商品（消法第25条）。")
                en.append("This item is a statutory exception to the 7-day no-reason return (CRPL art. 25).")
        elif nr.get("confirm_exclusion_when_opened") and cat in CONFIRMABLE_CATEGORIES \
                and claim.confirmed_exclusion_at_purchase and claim.condition not in ("unopened", "missing_gifts"):
            # 「拆封后」 (Measures art. 7 (1)): a sealed item whose gift was kept is not opened (the gift's value is
            # deducted instead, art. 12)
            d.clauses.append(f"categories.{cat}.no_reason.confirmed_exclusion")
            zh.append("购买时已确认该商品拆封后不支持七日无理由退货，当前已拆封。")
            en.append("You confirmed at purchase that opened items of this kind cannot be returned without reason.")
        elif claim.confirmed_exclusion_at_purchase and claim.sold_as_flawed:
            # Measures art. 7 (3): near-expiry or flawed goods, so described at the sale, with the buyer's confirmation
            d.clauses.append("no_reason.confirmed_exclusion.sold_as_flawed")
            zh.append("该商品销售时已明示临近保质期或有瑕疵，且您购买时已确认不适用七日无理由退货（暂行办法第七条）。")
            en.append("Sold as near-expiry or flawed, and you confirmed at purchase that it cannot be returned "
                      "without reason.")
        elif claim.confirmed_exclusion_at_purchase and claim.activated:
            # Measures art. 7 (2): goods whose value drops sharply once activated or tried, with the confirmation
            d.clauses.append("no_reason.confirmed_exclusion.activated")
            zh.append("该商品一经激活或试用价值贬损较大，您购买时已确认激活后不适用七日无理由退货，当前已激活（暂行办法第七条）。")
            en.append("You confirmed at purchase that this item cannot be returned without reason once activated.")
        elif today > nr_end:
            d.clauses.append("no_reason.window")
            moved = "" if nr_end == line.delivered_on + dt.timedelta(days=days) else \
                f"，最后一日逢法定休假日已顺延至{nr_end.isoformat()}"
            zh.append(f"已超过七日无理由退货期限（签收次日起第{day}天，期限{days}天{moved}）。")
            en.append(f"The {days}-day no-reason window has passed (day {day}"
                      + (f"; extended past a rest day to {nr_end.isoformat()}" if moved else "") + ").")
        else:
            ok, why = _intact(policy, cat, claim.condition)
            if ok and claim.washed and cat in WASHABLE:
                # Measures art. 9 (3): apparel, shoes, bags and home textiles are not intact once soiled; a washed
                # one was worn and is no longer as delivered (a washed defect goes the quality path instead)
                ok, why = False, "已洗涤（服装、鞋包、家纺洗涤后不再完好）"
            if ok and claim.activated and cat in ELECTRONIC:
                # Measures art. 9 (2): activation or account data left on an electronic device
                ok, why = False, "电子电器类商品已激活（产生激活、授权信息）"
            if not ok:
                d.clauses.append(f"categories.{cat}.intact")
                zh.append(f"商品不符合完好标准：{why}。")
                en.append(f"The item is not intact as this category requires: {INTACT_WHY_EN[why]}."
                          if why in INTACT_WHY_EN else "The item is not intact as this category requires.")
            else:
                d.clauses += ["no_reason.window", f"categories.{cat}.intact"]
                d.allowed = ["return_refund", "exchange"]
                d.refund_amount = total
                zh.append(f"符合七日无理由退货（{'签收当天' if day == 0 else f'签收次日起第{day}天'}，期限{days}天）。")
                en.append(f"Eligible for the {days}-day no-reason return (day {day}).")
                note_extension(nr_end, days)
                gifts_out = claim.condition == "missing_gifts" or bool(claim.gift_value)
                if gifts_out and crule.get("intact", {}).get("gifts_required", True):
                    d.clauses.append("no_reason.gifts")
                    if claim.gift_value is not None:
                        d.gift_deduction = min(claim.gift_value, total).quantize(Decimal("0.01"))
                        d.refund_amount = total - d.gift_deduction
                        zh.append(f"赠品未一并退回，按赠品标价 {d.gift_deduction} 元从退款中扣除。")
                        en.append(f"Gifts not returned: their marked value ({d.gift_deduction} yuan) is deducted.")
                    else:
                        zh.append("赠品未一并退回的，按赠品标价从退款中扣除。")
                        en.append("Gifts not returned: their marked value is deducted from the refund.")
                if claim.free_shipping_lost:
                    # the return takes the order below a free-shipping offer's threshold: the fee it spared may be
                    # deducted (the buyer's own choice to return; never for a quality or merchant-fault return)
                    d.shipping_deduction = min(claim.free_shipping_lost, d.refund_amount)
                    d.refund_amount -= d.shipping_deduction
                    d.clauses.append("no_reason.free_shipping")
                    zh.append(f"退货后订单不再满足包邮条件，原免收的运费 {d.shipping_deduction} 元从退款中扣除。")
                    en.append(f"The return takes the order below its free-shipping threshold: the shipping fee "
                              f"({d.shipping_deduction} yuan) is deducted.")
        if reason == "size_fit" and d.allowed:
            d.allowed = ["exchange", "return_refund"]
    elif reason == "performance_fault" and electronics:
        # a warranty of whole years ends on the same calendar day that many years after sign-off (Civil Code
        # arts. 201, 202: 到期月的对应日; 365 days would end a day early across a 29 February)
        # 三包: the warranty starts again on an exchange, and the days spent in repair are not counted in it
        # goods the merchant installs: the 三包 periods and warranty run from the installation (条例18)
        sb_start = max(claim.installed_on or line.delivered_on, line.delivered_on)
        w_start = max(line.replaced_on or sb_start, sb_start)
        in_repair = dt.timedelta(days=line.repair_days)
        w_plain = warranty_end(line.delivered_on, sb["warranty_days"])
        w_natural = warranty_end(w_start, sb["warranty_days"]) + in_repair
        # under the 民法典203 option a warranty ending on a rest day runs to the next workday too (三包8's reading:
        # 三包有效期限的最后一天为法定休假日的，以休假日的次日为期限的最后一天)
        w_end = statutory_last_day(w_natural, 0, past_rest_days=past_rest_days)
        w_until = w_end.isoformat()
        sb_return_end = last_day(sb["return_days"], sb_start)
        sb_exchange_end = sb_exchange_plain = last_day(sb["exchange_days"], sb_start)
        if line.replaced_on is not None and line.replaced_on > sb_start:
            # 条例18: 经营者向消费者履行更换义务后，承担更换、修理等义务的有效期限自更换完成之日起重新计算 — the exchange period
            # (a duty to exchange) starts again with the new unit; the return period (退货) does not
            sb_exchange_end = max(sb_exchange_plain, last_day(sb["exchange_days"], line.replaced_on))
        d.deadlines.update({"sanbao_return_until": sb_return_end.isoformat(),
                            "sanbao_exchange_until": sb_exchange_end.isoformat(),
                            "warranty_until": w_until})
        # 三包: a main part's warranty outlasts the whole unit's (a policy without the key: the unit's only)
        main_days = max(sb.get("main_part_warranty_days", sb["warranty_days"]), sb["warranty_days"])
        main_natural = max(warranty_end(w_start, main_days) + in_repair, w_natural)
        main_end = max(statutory_last_day(main_natural, 0, past_rest_days=past_rest_days), w_end)
        if claim.main_part and main_end > w_end:
            d.deadlines["main_part_warranty_until"] = main_end.isoformat()
        repaired_twice = claim.failed_repairs >= sb["failed_repairs_for_exchange"]

        def note_installation(plain_end: dt.date, end: dt.date) -> None:
            """Say so when the claim is in a 三包 period only because it runs from the installation."""
            if sb_start > line.delivered_on and plain_end < today <= end \
                    and "sanbao.from_installation" not in d.clauses:
                d.clauses.append("sanbao.from_installation")
                zh.append(f"商品由商家安装，三包期限自安装完成之日（{sb_start.isoformat()}）起计算"
                          f"（消费者权益保护法实施条例第18条）。")
                en.append(f"The merchant installed the item: its statutory return, exchange and warranty periods run "
                          f"from the installation ({sb_start.isoformat()}; Regulations on the CRPL art. 18).")

        if today <= sb_return_end:
            note_extension(sb_return_end, sb["return_days"], sb_start)
            note_installation(last_day(sb["return_days"]), sb_return_end)
            d.allowed = ["return_refund", "exchange", "repair"]
            d.clauses.append("sanbao.return")
            zh.append(f"签收后{sb['return_days']}日内出现性能故障，可退货、换货或维修（三包）。")
            en.append("Performance fault within the return period: return, exchange or repair.")
        elif today <= w_end and repaired_twice:
            # 三包 art. 11: two repairs within the warranty and still faulty → exchange or return, whenever in the
            # warranty it happens (in the exchange period too: exchange or repair would hold the buyer to a third)
            d.allowed = ["exchange", "return_refund"]
            d.clauses.append("sanbao.failed_repairs")
            zh.append(f"保修期内已维修{claim.failed_repairs}次仍无法正常使用，可换货或退货。")
            en.append("Repaired twice without success: exchange or return.")
        elif today <= sb_exchange_end:
            if today > sb_exchange_plain:
                d.clauses.append("sanbao.exchange_restarted")
                zh.append(f"商品已于{line.replaced_on.isoformat()}换货，换货期自换货之日起重新计算（消费者权益保护法实施条例第18条）。")
                en.append(f"The item was exchanged on {line.replaced_on.isoformat()}: its exchange period runs again "
                          f"from that day (Regulations on the CRPL art. 18).")
                note_extension(sb_exchange_end, sb["exchange_days"], line.replaced_on)
            else:
                note_extension(sb_exchange_end, sb["exchange_days"], sb_start)
                note_installation(last_day(sb["exchange_days"]), sb_exchange_end)
            d.allowed = ["exchange", "repair"]
            d.clauses.append(f"categories.{cat}.sanbao.exchange" if "exchange_days" in crule.get("sanbao", {})
                             else "sanbao.exchange")
            # 三包 art. 13: where an exchange is due, a buyer who does not want one may return the item instead (a
            # used item is charged depreciation, from the invoice to the return, less the time in repair). Not among
            # the remedies the policy grants by itself: the buyer may ask, a person approves and sets the fee.
            d.on_request = ["return_refund"]
            d.clauses.append(SANBAO_RETURN_INSTEAD)
            zh.append(f"签收后{sb['exchange_days']}日内出现性能故障，可换货或维修（三包）；不愿换货的也可以申请退货，"
                      f"已使用过的商品商家可按三包规定收取折旧费，由客服审核（三包第十三条）。")
            en.append("Performance fault within the exchange period: exchange or repair; a buyer who does not want an "
                      "exchange may ask to return the item instead, less a depreciation fee for a used item, checked "
                      "by an agent (三包 art. 13).")
        elif today <= w_end:
            d.allowed = ["repair"]
            d.clauses.append("sanbao.repair")
            zh.append(f"在保修期内（至{w_until}），可免费维修。")
            en.append("Within warranty: free repair.")
        elif claim.main_part and today <= main_end:
            d.allowed = ["repair"]
            d.clauses.append("sanbao.main_part_repair")
            note_installation(warranty_end(max(line.replaced_on or line.delivered_on, line.delivered_on), main_days)
                              + in_repair, main_end)
            zh.append(f"整机保修期已过，故障部件属主要部件，仍在主要部件三包有效期内（至"
                      f"{main_end.isoformat()}），可免费维修（三包）。")
            en.append("The unit's warranty has ended, but the faulty main part is still under its own warranty: "
                      "free repair.")
        else:
            d.clauses.append("sanbao.warranty_expired")
            zh.append("已过保修期，可提供付费维修。")
            en.append("Warranty has ended; paid repair only.")
        if d.allowed and w_natural < today <= w_end:
            note_extension(w_end, 0, w_natural)
        if d.allowed and w_plain < today <= w_end:
            # in the warranty only because it began again on an exchange or stood still during repairs, or because it
            # runs from the installation: say why
            note_installation(w_plain, w_end)
            if line.replaced_on is not None and line.replaced_on > sb_start:
                d.clauses.append("sanbao.warranty_restarted")
                zh.append(f"商品已于{w_start.isoformat()}换货，三包有效期自换货之日起重新计算（三包）。")
                en.append(f"The item was exchanged on {w_start.isoformat()}: its warranty runs again from that day.")
            if line.repair_days:
                d.clauses.append("sanbao.repair_time")
                zh.append(f"三包有效期扣除维修占用的{line.repair_days}天（三包）。")
                en.append(f"The {line.repair_days} days the item spent in repair do not count against the warranty.")
        if "repair" in d.allowed and cat in sb.get("onsite_repair_categories", []) \
                and line.price_paid >= Decimal(str(sb["onsite_repair_min_price"])):
            d.clauses.append("sanbao.onsite_repair")
            zh.append("该商品可预约上门维修。")
            en.append("On-site repair is available.")
        if "return_refund" in d.allowed or "return_refund" in d.on_request:
            d.refund_amount = total
    elif reason in ("quality", "not_as_described") or late_transit:
        q = policy["quality"]
        q_return = max(q["return_days"], QUALITY_RETURN_MIN_DAYS)
        q_exchange = max(q["exchange_days"], QUALITY_EXCHANGE_MIN_DAYS, q_return)
        care = crule.get("care")
        misuse = False
        if late_transit:
            # reported after the shop's transit-damage deadline: still a defective delivery, which CRPL
            # art. 24 lets the buyer return within 7 days of receipt; an agent checks (never automatic)
            d.clauses.append("quality.transit_damage_report")
            zh.append(f"运输破损超过签收后{q['transit_damage_report_days']}日才反馈，按质量问题处理，由客服核实。")
            en.append("Transit damage reported late: handled as a quality problem, checked by an agent.")
        elif care and claim.washed:
            verdict = care.get("washed_following_label" if claim.followed_care_label else "washed_against_label",
                               "quality")
            d.clauses.append(f"categories.{cat}.care")
            if verdict == "misuse":
                misuse = True
                zh.append("未按洗涤标签护理导致的褪色、缩水属于使用不当，不属于质量问题。")
                en.append("Fading or shrinkage from washing against the care label is misuse, not a defect.")
            else:
                zh.append("按洗涤标签护理后出现褪色、缩水，属于质量问题。")
                en.append("Fading or shrinkage after washing per the care label is a quality defect.")
        if misuse:
            merchant_pays = False
        else:
            q_return_end, q_exchange_end = last_day(q_return), last_day(q_exchange)
            d.deadlines.update({"quality_return_until": q_return_end.isoformat(),
                                "quality_exchange_until": q_exchange_end.isoformat()})
            if today <= q_return_end:
                note_extension(q_return_end, q_return)
                # CRPL art. 24: the buyer may return, or have it exchanged or repaired — all three from day one
                d.allowed = ["return_refund", "exchange", "repair", "compensation"]
                d.clauses.append("quality.return")
                others = "或换货" if cat in NOT_REPAIRABLE else "、换货或维修"
                zh.append(f"质量问题，签收后{q_return}日内可退货退款{others}（消法第24条），运费由商家承担。")
                en.append("Quality defect within the return period: return and refund, exchange"
                          + ("" if cat in NOT_REPAIRABLE else " or repair") + " (CRPL art. 24).")
            elif claim.failed_repairs >= sb["failed_repairs_for_exchange"]:
                # repaired twice and still defective: the purpose of the purchase is defeated (the conditions for
                # ending the contract, CRPL art. 24), as 三包 art. 11 says for its listed goods
                d.allowed = ["exchange", "return_refund", "compensation"]
                d.clauses.append("quality.failed_repairs")
                zh.append(f"质量问题已维修{claim.failed_repairs}次仍未解决，可换货或退货退款（消法第24条），运费由商家承担。")
                en.append("Repaired twice and still defective: exchange or return (CRPL art. 24).")
            else:
                # CRPL art. 24 sets no end to 更换、修理 for a quality problem after the first seven days (the
                # 15-day line is the shop's own period, and 三包's for its listed goods). From day 8 a return is due
                # where the conditions for ending the contract are met (「七日后符合法定解除合同条件的，消费者可以及时
                # 退货」: Civil Code art. 563 — the defect defeats the purpose of the purchase), which a person judges:
                # the buyer may ask for it (`on_request`), never granted by itself.
                in_period = today <= q_exchange_end
                d.allowed = ["exchange", "repair", "compensation"]
                d.clauses.append("quality.exchange" if in_period else "quality.after_exchange_period")
                d.on_request = ["return_refund"]
                d.clauses.append(QUALITY_RETURN_ON_REQUEST)
                remedies_zh, remedies_en = ("换货", "exchange") if cat in NOT_REPAIRABLE else ("换货或维修",
                                                                                            "exchange or repair")
                zh.append(f"质量问题，可要求{remedies_zh}（消法第24条）；符合法定解除合同条件的（如质量问题致使不能实现"
                          f"购买目的），也可以申请退货，由客服核实（消法第24条）。")
                en.append(f"Quality defect: {remedies_en} (CRPL art. 24); a return may be asked for where the conditions "
                          f"for ending the contract are met (the defect defeats the purpose of the purchase), checked "
                          f"by an agent (CRPL art. 24).")
            if cat in NOT_REPAIRABLE:
                d.allowed = [k for k in d.allowed if k != "repair"]
            if "return_refund" in d.allowed or "return_refund" in d.on_request:
                d.refund_amount = total
    elif reason in ("wrong_item", "missing_parts", "damaged_in_transit"):
        d.allowed = {"wrong_item": ["exchange", "return_refund"],
                     "missing_parts": ["resend", "refund_only"],
                     "damaged_in_transit": ["resend", "return_refund", "refund_only"]}[reason]
        d.clauses.append(f"merchant_fault.{reason}")
        zh.append({"wrong_item": "发错货，由商家负责换货或退款。", "missing_parts": "少件漏发，由商家补寄或退款。",
                   "damaged_in_transit": "运输破损，由商家补寄或退款。"}[reason])
        en.append("The merchant is at fault: it will put it right at its cost.")
        d.refund_amount = total
        if reason == "missing_parts" and line.quantity > 1 and units == left_units:
            # every unit of a several-unit line "missing" is no short shipment but an empty parcel, or a claim that
            # kept the form's default (all units): a person checks how many are missing before paying for them all
            d.clauses.append(MISSING_ALL_UNITS)
            zh.append(f"申请的是本行全部 {units} 件，客服将先核实实际少发的件数。")
            en.append(f"The claim is for all {units} units of the line: an agent checks how many are missing first.")
    elif reason == "lost_parcel":
        d.allowed = ["resend", "refund_only"]
        d.clauses.append("merchant_fault.lost_parcel")
        zh.append("包裹丢失，可补寄或退款。")
        en.append("Lost parcel: resend or refund.")
        d.refund_amount = total
        if line.delivered_on is not None:
            # tracked as signed for: "lost" is then a dispute with the carrier's record (who signed, a locker, a
            # neighbour), which a person checks before anything is refunded or sent again — never automatic
            d.clauses.append(LOST_BUT_SIGNED)
            zh.append("物流记录显示包裹已签收，客服将先向快递核实签收情况后处理。")
            en.append("Tracking shows the parcel as signed for: an agent checks the sign-off with the carrier first.")
    elif reason == "price_drop":
        pp = policy["price_protection"]
        base = line.ordered_on or line.delivered_on
        d.deadlines["price_protect_until"] = until(base, pp["days"])
        pday = (today - base).days if base else 0
        current = claim.current_price if claim.current_price is not None else line.price_paid
        # the difference for the whole line: what was paid minus what the same quantity costs now
        # (after a partial return or an earlier price refund: what is left of the line, for the units it still has)
        diff = left_money - (current * left_units).quantize(Decimal("0.01"))
        if pday > pp["days"]:
            d.clauses.append("price_protection.window")
            zh.append(f"已超过价保期（下单后{pp['days']}天）。")
            en.append("The price-protection window has passed.")
        elif diff <= 0:
            d.clauses.append("price_protection.no_difference")
            zh.append("当前价格不低于您的购买价，无差价可退。")
            en.append("The current price is not lower than what you paid.")
        else:
            d.allowed = ["price_protect"]
            d.refund_amount = diff
            route = "原路退回" if pp["refund_to"] == "original" else "退至账户余额"
            d.clauses += ["price_protection.window", f"price_protection.refund_to.{pp['refund_to']}"]
            zh.append(f"价保期内降价，差价 {d.refund_amount} 元{route}。")
            en.append(f"Price dropped within the window: {d.refund_amount} yuan refunded "
                      f"({'original route' if pp['refund_to'] == 'original' else 'to balance'}).")
        merchant_pays = False
    elif reason == "late_shipment":
        d.allowed = ["compensation"] + (["refund_only"] if line.delivered_on is None else [])
        d.clauses.append("late_shipment")
        zh.append("发货延迟，向您致歉并提供补偿。")
        en.append("Late shipment: apology and compensation.")
        if line.delivered_on is None:
            d.refund_amount = total
    elif reason == "recall":
        d.allowed = ["return_refund", "exchange", "repair"]
        d.clauses.append("recall")
        zh.append("商品召回，可退货退款、换货或维修，运费由商家承担。")
        en.append("Recall: return, exchange or repair at the merchant's cost.")
        d.refund_amount = total
    else:
        d.clauses.append("manual_review")
        zh.append("需要客服人工审核后答复。")
        en.append("An agent will review this request.")

    # exchange limit: a shop rule for the exchanges a buyer asks for (another size, a change of mind). An exchange
    # the law owes — the right item for a wrong one, a working one for a defective one (CRPL art. 24, 三包 arts.
    # 9–10, Civil Code art. 582: the injured party chooses) — is not the shop's to cap.
    if "exchange" in d.allowed and claim.exchanges_so_far >= policy["exchange"]["max_exchanges"] \
            and reason not in STATUTORY_MERCHANT_REASONS:
        d.allowed = [k for k in d.allowed if k != "exchange"]
        for extra in ("return_refund", "compensation"):
            if extra not in d.allowed:
                d.allowed.append(extra)
        d.refund_amount = d.refund_amount or total
        d.clauses.append("exchange.limit")
        zh.append(f"已换货{claim.exchanges_so_far}次，达到上限，改为退款或补偿。")
        en.append("Exchange limit reached: refund or compensation instead.")

    # compensation suggestion
    comp_reason = "exchange_limit" if "exchange.limit" in d.clauses else (
        "quality" if reason in ("quality", "not_as_described", "performance_fault") else reason)
    if "compensation" in d.allowed or reason in ("damaged_in_transit", "lost_parcel"):
        d.compensation = _ladder(policy, comp_reason, line.tier)
        if d.compensation:
            d.clauses.append(d.compensation["clause"])
            c = d.compensation
            unit = "分" if c["kind"] == "points" else "元"
            zh.append(f"建议补偿：{COMP_ZH[c['kind']]} {c['amount']}{unit}"
                      + ("（超出客服权限，需主管审批）" if c["needs_supervisor"] else "") + "。")
            # not in explanation_en: the customer's English grounds would show it (portal.texts hides 「建议补偿」 in
            # Chinese only); staff pages say it from `compensation` (cases.selectors.case_decision_text)
    if d.compensation is None and "compensation" in d.allowed:
        d.allowed.remove("compensation")

    d.recommended = d.allowed[0] if d.allowed else None

    # shipping payer
    needs_return = d.recommended in ("return_refund", "exchange", "repair")
    if not needs_return:
        d.shipping_payer = "none"
    elif merchant_pays:
        d.shipping_payer = "merchant"
        d.clauses.append(f"shipping.merchant.{reason}")
    elif line.return_insurance and ship["insurance_covers_no_reason"]:
        d.shipping_payer = "insurance"
        d.clauses.append("shipping.insurance")
    elif line.tier in ship["vip_free_return_tiers"]:
        d.shipping_payer = "merchant"
        d.clauses.append("shipping.vip")
    else:
        d.shipping_payer = ship["no_reason_payer"]
        d.clauses.append("shipping.no_reason")
    if needs_return:
        d.deadlines["return_ship_by"] = (today + dt.timedelta(days=7)).isoformat()
        zh.append(f"寄回运费：{PAYER_ZH[d.shipping_payer]}；请在 {d.deadlines['return_ship_by']} 前寄回。")
        en.append(f"Return shipping: paid by {d.shipping_payer}; send it back by {d.deadlines['return_ship_by']}.")

    if "return_refund" in d.allowed or "return_refund" in d.on_request:
        # CRPL art. 25 para. 3 / Measures art. 13: refund within 7 days of receiving the returned goods
        d.refund_within_days = REFUND_WITHIN_DAYS
        d.clauses.append("refund.within_days")
        zh.append(f"商家收到退回商品后{REFUND_WITHIN_DAYS}日内退款。")
        en.append(f"Refunded within {REFUND_WITHIN_DAYS} days of the merchant receiving the goods back.")
    aa = policy["auto_approve"]
    # what leaves the shop if nobody looks: the refund, or the line's value when goods go out again
    at_stake = max(d.refund_amount, total if d.recommended in ("exchange", "resend", "repair") else Decimal("0"))
    d.auto_approved = bool(
        d.recommended and d.recommended != "compensation" and claim.reason in aa["reasons"] and not late_transit
        and ((line.price_paid <= Decimal(str(aa["max_price"]))
              and at_stake <= Decimal(str(aa.get("max_refund", AUTO_APPROVE_MAX_REFUND))))
             or claim.reason == "recall")
        and (claim.has_photo or claim.reason not in aa.get("photo_required_reasons", []))
        and not needs_person(d, d.recommended)
    )
    if d.recommended:
        zh.insert(0, f"可为您办理：{'、'.join(KIND_ZH[k] for k in d.allowed)}（推荐{KIND_ZH[d.recommended]}）。")
        en.insert(0, f"Available: {', '.join(KIND_EN[k] for k in d.allowed)} (recommended: "
                     f"{KIND_EN[d.recommended]}).")
        zh.append(_AUTO_DONE[0] if d.auto_approved else _REVIEW_PENDING[0])
        en.append(_AUTO_DONE[1] if d.auto_approved else _REVIEW_PENDING[1])
    d.deadlines = {k: v for k, v in d.deadlines.items() if v}
    d.explanation_zh = "".join(zh)
    d.explanation_en = " ".join(en)
    return d


RETURN_SHIP_DAYS = 7  # the window decide() gives to send goods back, counted from the day it is granted
SANBAO_RETURN_INSTEAD = "sanbao.return_instead_of_exchange"
IN_TRANSIT_EXCEPTION = "not_delivered.statutory_exception_in_transit"
# (clause, kind): a remedy the policy allows that a person must approve, whatever auto-approval would say — a
# made-to-order or perishable item already on its way is no statutory no-reason refund; a parcel "lost" that the
# carrier records as signed for is checked first.
LOST_BUT_SIGNED = "lost_parcel.signed_on_record"
MISSING_ALL_UNITS = "missing_parts.all_units"
PERSON_DECIDES = {(IN_TRANSIT_EXCEPTION, "refund_only"), (LOST_BUT_SIGNED, "resend"), (LOST_BUT_SIGNED, "refund_only"),
                  (MISSING_ALL_UNITS, "resend"), (MISSING_ALL_UNITS, "refund_only")}


def needs_person(decision: Decision, kind: str | None) -> bool:
    """Whether choosing `kind` under this decision waits for a person: a remedy only on request (`on_request`) or
    one PERSON_DECIDES names."""
    return kind in decision.on_request or any(clause in decision.clauses and kind == k
                                              for clause, k in PERSON_DECIDES)
_AUTO_DONE = ("已自动通过，无需等待审核。", "Approved automatically.")
_REVIEW_PENDING = ("客服将尽快审核。", "An agent will review it shortly.")
_REVIEW_DONE = ("已审核同意。", "Approved.")


def decision_for_review(decision: dict) -> dict:
    """The stored decision of a case that waits for a person although the policy alone would have approved it
    (a price the customer states, a platform's request recorded without deciding, a remedy staff chose outside
    the policy's): it must not tell anyone "approved automatically". Facts and clauses stay as decided."""
    out = {**decision, "auto_approved": False}
    out["explanation_zh"] = str(out.get("explanation_zh", "")).replace(_AUTO_DONE[0], _REVIEW_PENDING[0])
    out["explanation_en"] = str(out.get("explanation_en", "")).replace(_AUTO_DONE[1], _REVIEW_PENDING[1])
    return out


def decision_on_approval(decision: dict, *, approved_on: dt.date) -> dict:
    """The stored decision as the customer should read it once a person approves the case: the return
    window runs from the approval (never shorter than first said), and "an agent will review it" is
    replaced. The facts and the clauses stay as decided; only texts and deadlines move. Knows the
    sentences decide() writes above, so keep the two together."""
    out = {**decision, "deadlines": dict(decision.get("deadlines") or {})}
    zh, en = str(out.get("explanation_zh", "")), str(out.get("explanation_en", ""))
    old_by = out["deadlines"].get("return_ship_by")
    if old_by:
        new_by = max(dt.date.fromisoformat(old_by), approved_on + dt.timedelta(days=RETURN_SHIP_DAYS)).isoformat()
        out["deadlines"]["return_ship_by"] = new_by
        zh = zh.replace(f"请在 {old_by} 前寄回", f"请在 {new_by} 前寄回")
        en = en.replace(f"send it back by {old_by}", f"send it back by {new_by}")
    out["explanation_zh"] = zh.replace(_REVIEW_PENDING[0], _REVIEW_DONE[0])
    out["explanation_en"] = en.replace(_REVIEW_PENDING[1], _REVIEW_DONE[1])
    out["approved_on"] = approved_on.isoformat()
    return out
