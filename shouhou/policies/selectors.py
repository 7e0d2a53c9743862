"""Policy reads. Contract used by other apps (the bot, the consumer page):

    policy_summary_text(shop=..., category="clothing", topic="return") -> str   # plain Chinese answer
    policy_photo_reasons(shop=...) -> frozenset[str]   # reasons that need a photo from the customer
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext

from shouhou.accounts.access import membership_get
from shouhou.accounts.actors import SystemActor, acting_user, actor_role
from shouhou.accounts.permissions import COMPENSATE, COMPENSATE_ABOVE_LIMIT, role_can
from shouhou.policies.document import (
    CONFIRMABLE_CATEGORIES,
    NO_REASON_MIN_DAYS,
    SANBAO_CATEGORIES,
    SANBAO_MAX_FAILED_REPAIRS,
    SANBAO_MIN_DAYS,
    SEAL_CATEGORIES,
    SEALED_EXCEPTIONS,
    STATUTORY_EXCEPTIONS,
    default_source,
    parse,
)
from shouhou.policies.engine import compensation_for
from shouhou.policies.models import PolicyVersion

CATEGORY_ZH = {"clothing": "服装", "underwear": "内衣", "shoes_bags": "鞋包", "cosmetics": "美妆护肤",
               "electronics": "数码家电", "mobile_phone": "手机", "food": "食品", "fresh": "生鲜",
               "home": "家居日用", "jewelry": "珠宝饰品", "toys": "玩具", "books": "图书", "books_periodicals": "报纸期刊",
               "digital_goods": "数字商品", "audio_video_software": "音像制品/软件", "custom_made": "定制商品",
               "other": "其他"}


TIER_ZH = {"regular": "普通", "silver": "银卡", "gold": "金卡", "vip": "VIP"}


def policy_active(*, shop) -> PolicyVersion | None:
    return PolicyVersion.objects.filter(shop=shop, is_active=True).order_by("-version").first()


def policy_document(*, shop) -> tuple[PolicyVersion | None, dict]:
    """The active version and its parsed document (the shipped default when none is published)."""
    version = policy_active(shop=shop)
    # a version published before a statutory floor existed still reads (the engine applies the floors)
    return version, parse(version.source, law=False) if version else parse(default_source())


def approval_limit(*, actor, shop, doc: dict | None = None, role: str | None = None) -> Decimal | None:
    """How much compensation (yuan) `actor` may grant alone in `shop`; None: no limit (whoever holds
    compensation.above_limit — supervisors, admins — and the system). An agent's own limit
    (Membership.approval_limit) is capped by the policy's compensation.agent_approval_limit; an API token has
    no membership: an agent-role token gets the policy's limit. `doc`: the policy that decides (a case's own
    version); the shop's active one when None. `role`: for a caller that knows only its role. The one rule for
    case compensation, review remedies and referral rewards (security.md)."""
    role = actor_role(actor, shop) or role
    if isinstance(actor, SystemActor) or role_can(role, COMPENSATE_ABOVE_LIMIT):
        return None
    if doc is None:
        _, doc = policy_document(shop=shop)
    policy_limit = Decimal(str(doc["compensation"]["agent_approval_limit"]))
    user = acting_user(actor)
    if user is not None:
        membership = membership_get(user, shop)
        return min(Decimal(str(membership.approval_limit)), policy_limit) if membership else Decimal("0")
    return policy_limit if role_can(role, COMPENSATE) else Decimal("0")


def policy_photo_reasons(*, shop) -> frozenset[str]:
    """The claim reasons the shop's active policy wants a photo for (auto_approve.photo_required_reasons).
    Only these ask the customer for one: a lost parcel or a late shipment cannot be photographed."""
    _, doc = policy_document(shop=shop)
    return frozenset(doc.get("auto_approve", {}).get("photo_required_reasons", []))


def policy_compensation(*, shop, reason: str, tier: str) -> dict | None:
    """The compensation step the shop's active policy gives for `reason` and the customer's tier
    (engine.compensation_for), or None. Without a published policy there is no step: the shipped
    default is not a promise the shop made, so callers keep their own fallback."""
    version = policy_active(shop=shop)
    if version is None:
        return None
    return compensation_for(parse(version.source, law=False), reason=reason, tier=tier)


def policy_versions(*, shop):
    return PolicyVersion.objects.filter(shop=shop).order_by("-version")


def category_rules(doc: dict, category: str) -> dict:
    """Plain lines describing one category's rules (the public page and the bot), in the active language:
    Chinese by default, English when the reader chose it."""
    from shouhou.commerce.choices import Category, MembershipTier

    crule = doc.get("categories", {}).get(category, {})
    nr = {**doc["no_reason"], **crule.get("no_reason", {})}
    intact = crule.get("intact", {})
    lines: dict[str, str] = {}
    days = max(nr["days"], NO_REASON_MIN_DAYS)
    name = str(Category(category).label) if category in Category.values else category
    excepted = category in doc["no_reason"]["legal_exceptions"] and category in STATUTORY_EXCEPTIONS
    if excepted and category in SEALED_EXCEPTIONS:
        lines["return"] = gettext("%(category)s未拆封、未在线下载的，签收次日起%(days)s天内可申请七天无理由退货；"
                                  "已拆封或已下载的不适用（消法第25条）；有质量问题仍可退换。") % {
            "category": name, "days": days}
    elif excepted:
        lines["return"] = gettext("%(category)s属于法定不适用七日无理由退货的商品；有质量问题仍可退换。") % {
            "category": name}
    else:
        text = gettext("签收次日起%(days)s天内，商品完好可申请七天无理由退货（为查验拆开包装不影响退货）") % {"days": days}
        if category in SEAL_CATEGORIES and intact.get("seal_required", True):
            text += gettext("；一次性密封包装损坏的不再完好")
        if nr.get("confirm_exclusion_when_opened") and category in CONFIRMABLE_CATEGORIES:
            text += gettext("；购买时确认过「拆封后不退」的商品拆封后不支持无理由退货")
        if intact.get("tags_required"):
            text += gettext("；吊牌需完好")
        if intact.get("gifts_required", True):
            text += gettext("；赠品未退回的按标价从退款中扣除")
        lines["return"] = text + gettext("。")
    ship = doc["shipping"]
    tiers = "、".join(str(MembershipTier(t).label) if t in MembershipTier.values else t
                     for t in ship["vip_free_return_tiers"])
    buyer_pays = ship["no_reason_payer"] == "buyer"
    text = (gettext("质量问题、发错货、少件、运输破损由商家承担运费；无理由退货由买家承担运费") if buyer_pays
            else gettext("质量问题、发错货、少件、运输破损由商家承担运费；无理由退货由商家承担运费"))
    if ship["insurance_covers_no_reason"]:
        text += gettext("，购买了运费险的由运费险承担")
    if tiers and buyer_pays:
        text += gettext("，%(tiers)s会员由商家承担") % {"tiers": tiers}
    lines["shipping"] = text + gettext("。") + gettext("运输破损请在签收后%(days)s天内反馈。") % {
        "days": doc["quality"]["transit_damage_report_days"]}
    sb = {**doc["sanbao"], **crule.get("sanbao", {})}
    # what the engine applies: an old version's numbers below the statutory floors (published with law=False) are
    # never promised, nor the 三包 of the national catalogue left out
    sb.update({key: max(sb[key], least) for key, least in SANBAO_MIN_DAYS.items()})
    if category in doc["sanbao"]["categories"] or category in SANBAO_CATEGORIES:
        lines["warranty"] = gettext("性能故障：签收后%(r)s天内可退货，%(e)s天内可换货（不愿换货的可申请退货，已使用的"
                                    "按三包规定收取折旧费），%(w)s天保修期内免费维修；维修%(n)s次仍不能正常使用可换货或退货。") % {
            "r": sb["return_days"], "e": sb["exchange_days"], "w": sb["warranty_days"],
            "n": min(sb["failed_repairs_for_exchange"], SANBAO_MAX_FAILED_REPAIRS)}
        if category in sb.get("onsite_repair_categories", []):
            lines["warranty"] += gettext("单价 %(price)s 元及以上的可预约上门维修。") % {
                "price": sb["onsite_repair_min_price"]}
    pp = doc["price_protection"]
    lines["price"] = (gettext("下单后%(days)s天内降价可申请价保，差价原路退回。") if pp["refund_to"] == "original"
                      else gettext("下单后%(days)s天内降价可申请价保，差价退至账户余额。")) % {"days": pp["days"]}
    care = crule.get("care")
    if care:
        lines["care"] = gettext("按洗涤标签护理后褪色、缩水属于质量问题；未按标签护理属于使用不当。")
    return lines


def policy_summary_text(*, shop, category: str, topic: str = "return") -> str:
    _, doc = policy_document(shop=shop)
    lines = category_rules(doc, category)
    if topic in lines:
        text = lines[topic]
        if topic == "return":
            text += lines["shipping"]
        return text
    return lines["return"] + lines["shipping"]
