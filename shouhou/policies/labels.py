"""Names people read for the clauses a policy decision cites (`Decision.clauses`, e.g. `quality.return`,
`categories.clothing.intact`, `compensation.quality.*`). The codes stay in the decision and the API (they
point into the policy document); pages show `clause_label(code)` in the reader's language.

A clause is matched on its pattern, with `{category}`, `{reason}`, `{tier}` and `{route}` parts named from
their own choice tables. `shouhou/core/tests/test_labels_on_staff_pages.py` checks every clause the engine can
cite has a label.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

CLAUSES: dict[str, object] = {
    "not_delivered.refund_only": _lazy("未签收：仅退款"),
    "no_reason.window": _lazy("七日无理由退货期限（消法第25条）"),
    "no_reason.gifts": _lazy("七日无理由：赠品一并退回"),
    "no_reason.exception.{category}": _lazy("不适用七日无理由的商品：%(category)s（消法第25条）"),
    "categories.{category}.no_reason.confirmed_exclusion": _lazy("%(category)s：购买时已确认拆封后不退"),
    "no_reason.confirmed_exclusion.activated": _lazy("七日无理由：购买时已确认激活后不退（暂行办法第七条）"),
    "no_reason.confirmed_exclusion.sold_as_flawed": _lazy("七日无理由：临期或瑕疵品，购买时已确认不退（暂行办法第七条）"),
    "no_reason.free_shipping": _lazy("七日无理由：退货后不满足包邮，扣除运费"),
    "categories.{category}.intact": _lazy("%(category)s：商品完好标准"),
    "categories.{category}.care": _lazy("%(category)s：洗护与使用不当"),
    "categories.{category}.sanbao.exchange": _lazy("%(category)s：三包换货期"),
    "sanbao.return": _lazy("三包：退货期"),
    "sanbao.exchange": _lazy("三包：换货期"),
    "sanbao.repair": _lazy("三包：保修期内免费维修"),
    "sanbao.failed_repairs": _lazy("三包：多次维修仍不能使用"),
    "sanbao.main_part_repair": _lazy("三包：主要部件保修期内免费维修"),
    "sanbao.warranty_expired": _lazy("三包：已过保修期"),
    "sanbao.onsite_repair": _lazy("三包：上门维修"),
    "sanbao.warranty_restarted": _lazy("三包：换货后三包有效期重新计算"),
    "sanbao.repair_time": _lazy("三包：有效期扣除维修占用时间"),
    "sanbao.exchange_restarted": _lazy("三包：换货后换货期重新计算（消费者权益保护法实施条例第18条）"),
    "sanbao.from_installation": _lazy("三包：期限自安装完成之日起计算（消费者权益保护法实施条例第18条）"),
    "quality.return": _lazy("质量问题：退货退款（消法第24条）"),
    "quality.exchange": _lazy("质量问题：换货或维修（消法第24条）"),
    "quality.repair": _lazy("质量问题：维修或补偿"),  # decisions stored before 2026-12-06
    "quality.failed_repairs": _lazy("质量问题：多次维修仍未解决，可换货或退货（消法第24条）"),
    "quality.after_exchange_period": _lazy("质量问题：换货或维修，严重者可退货（消法第24条）"),
    "quality.return_on_request": _lazy("质量问题：七日后符合法定解除合同条件的可申请退货，由客服核实（消法第24条）"),
    "quality.transit_damage_report": _lazy("运输破损的反馈期限"),
    "merchant_fault.{reason}": _lazy("商家责任：%(reason)s"),
    "price_protection.window": _lazy("价保期限"),
    "price_protection.no_difference": _lazy("价保：无差价"),
    "price_protection.refund_to.{route}": _lazy("价保差价：%(route)s"),
    "late_shipment": _lazy("发货延迟"),
    "recall": _lazy("商品召回"),
    "manual_review": _lazy("人工审核"),
    "delivery.unknown": _lazy("签收时间未知：人工核实"),
    "exchange.limit": _lazy("换货次数上限"),
    "compensation.{reason}.{tier}": _lazy("补偿阶梯：%(reason)s（%(tier)s）"),
    "shipping.merchant.{reason}": _lazy("运费：商家承担（%(reason)s）"),
    "shipping.insurance": _lazy("运费：运费险承担"),
    "shipping.vip": _lazy("运费：会员免费退货"),
    "shipping.no_reason": _lazy("运费：七日无理由由买家承担"),
    "refund.within_days": _lazy("退款时限"),
    "period.holiday_extension": _lazy("期限最后一日逢法定休假日顺延（民法典第203条）"),
    "damages.fraud_55": _lazy("欺诈：价款三倍赔偿，不足五百元按五百元（消法第55条）"),
    "damages.food_safety_148": _lazy("不安全食品：价款十倍或损失三倍赔偿，不足一千元按一千元（食品安全法第148条）"),
}

ROUTES = {"original": _lazy("原路退回"), "balance": _lazy("退至账户余额")}


def _part_labels(part: str) -> dict:
    from shouhou.cases.choices import ClaimReason
    from shouhou.commerce.choices import Category, MembershipTier

    if part == "category":
        return dict(Category.choices)
    if part == "reason":  # compensation ladders also have an "exchange_limit" step
        return {**dict(ClaimReason.choices), "exchange_limit": _("换货次数达上限")}
    if part == "tier":
        return {**dict(MembershipTier.choices), "*": _("所有顾客")}
    if part == "route":
        return dict(ROUTES)
    return {}


def _match(pattern: str, code: str) -> dict | None:
    want, got = pattern.split("."), code.split(".")
    if len(want) != len(got):
        return None
    found = {}
    for w, g in zip(want, got, strict=True):
        if w.startswith("{"):
            name = w[1:-1]
            found[name] = str(_part_labels(name).get(g, g))
        elif w != g:
            return None
    return found


def clause_label(code: str) -> str:
    """The clause's name in the active language; an unknown code is returned as it is."""
    for pattern, label in CLAUSES.items():
        parts = _match(pattern, code)
        if parts is not None:
            return str(label) % parts if parts else str(label)
    return code

