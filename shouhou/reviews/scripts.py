"""Reply scripts (话术) for public replies and explanations; our own wording, checked by the guards in tests.

Public replies are never defensive: thank, acknowledge, apologise, say what we do next, invite a
private conversation. They never mention compensation in exchange for a review.
"""

from __future__ import annotations

import re

from shouhou.reviews.choices import ComplaintType

PUBLIC_REPLY_SCRIPTS: dict[str, list[str]] = {
    ComplaintType.QUALITY_DEFECT: [
        "亲，非常抱歉商品的质量问题给您添麻烦了。客服已经在私信联系您，会按售后政策为您退换或维修，请您留意消息。",
        "很抱歉让您收到了有问题的商品，这是我们的疏忽。我们已安排专人跟进，稍后私信与您确认处理方式。",
    ],
    ComplaintType.NOT_AS_DESCRIBED: [
        "亲，抱歉商品和您看到的介绍有差距，给您带来了不好的体验。我们会核对商品详情页，客服也会私信为您办理退换。",
        "感谢您指出商品与描述不一致的地方，我们已反馈给商品团队修改详情，并会私信联系您处理。",
    ],
    ComplaintType.WRONG_OR_MISSING: [
        "亲，非常抱歉发错/漏发了商品，是我们仓库的失误。客服会马上私信您核对，并为您补发或更换。",
        "抱歉让您没能收到完整的商品，我们已查询出库记录，会尽快私信联系您安排补发。",
    ],
    ComplaintType.SIZE_FIT: [
        "亲，抱歉尺码不合适影响了您的穿着体验。客服会私信您提供尺码建议并协助换码，请留意消息。",
        "感谢您反馈尺码问题，我们会在详情页补充更准确的尺码说明，也会私信帮您办理换货。",
    ],
    ComplaintType.LOGISTICS: [
        "亲，抱歉物流让您久等了/包裹受损了。我们已联系快递核实情况，客服会私信为您跟进处理结果。",
        "很抱歉这次配送没有让您满意，我们正在与快递公司核查，也会私信联系您安排后续处理。",
    ],
    ComplaintType.SERVICE_ATTITUDE: [
        "亲，非常抱歉客服的沟通让您不愉快，这是我们的问题。店长已了解情况，会亲自私信联系您。",
        "感谢您的批评，我们已对服务过程进行复盘和培训，负责人会私信向您致歉并解决您的问题。",
    ],
    ComplaintType.PRICE: [
        "亲，理解您对价格的在意。客服会私信为您核对下单价格，并按价保规则为您处理。",
        "感谢您的反馈，关于价格的问题客服会私信向您说明，并按店铺价保政策为您办理。",
    ],
    ComplaintType.COUNTERFEIT: [
        "亲，非常重视您对商品真伪的疑问。我们所售商品均可提供进货凭证，客服会私信与您核实，核实有问题的全额退款。",
        "感谢您的反馈，正品问题我们绝不含糊。客服已私信联系您，请提供商品照片，我们会给出渠道证明并按规定处理。",
    ],
    ComplaintType.PACKAGING: [
        "亲，抱歉包装没有保护好商品，影响了您的收货体验。我们会改进包装，客服也会私信为您处理破损或补发。",
        "感谢您指出包装的问题，我们已反馈仓库加强封口和防护，客服会私信联系您跟进。",
    ],
    ComplaintType.AFTER_SALES: [
        "亲，非常抱歉售后处理让您久等了。店长已接手您的退换/退款申请，会优先办理并私信告诉您进度。",
        "抱歉您的售后申请没有得到及时处理，这是我们的问题。负责人会私信联系您，尽快为您办好退款或换货。",
    ],
    ComplaintType.PROMISE_NOT_KEPT: [
        "亲，抱歉答应您的没有做到。客服会私信与您核对当时的承诺（赠品、优惠或发货时间），并马上为您补上。",
        "很抱歉让您失望了，说到就要做到。我们已核查订单，客服会私信联系您补发或补偿承诺的内容。",
    ],
    ComplaintType.DISLIKE: [
        "亲，感谢您的真实感受，很遗憾这次的商品不合您的心意。如需退换，客服会私信协助您办理。",
        "谢谢您的反馈，每个人的喜好不同，我们会把您的意见带给选品团队。客服会私信问问您的需求。",
    ],
    ComplaintType.USAGE_QUESTION: [
        "亲，感谢您的反馈！客服会私信发送详细的使用说明和视频教程，有任何问题随时找我们。",
        "抱歉使用说明不够清楚给您添了麻烦，我们会私信一步步帮您设置好。",
    ],
    ComplaintType.OTHER: [
        "亲，非常抱歉这次购物没有让您满意。客服已经私信联系您，想详细了解情况并尽力为您解决。",
        "感谢您的真实反馈，我们很重视，负责人会私信联系您，给您一个满意的处理。",
    ],
    ComplaintType.NONE: [
        "感谢亲的认可，期待您下次光临！",
    ],
}

# Misunderstandings: the product is fine, the use was not. Explain kindly; no refund is due for these.
MISUNDERSTANDING_RULES: list[tuple[str, re.Pattern[str]]] = [
    ("washing", re.compile(r"(洗|机洗|水洗|热水|烘干|烘|暴晒|泡)[^。！!？?]{0,12}(起球|缩水|变形|掉色|褪色|发硬|起皱)|"
                           r"(起球|缩水|变形|掉色|褪色)[^。！!？?]{0,12}(洗|烘干|热水|泡)")),
    ("usage", re.compile(r"不会用|不知道怎么(用|设置|安装|连接|开机)|没看说明书|找不到.{0,6}(开关|按钮|设置)|(怎么|如何)(用|使用|设置|安装|连接)")),
    ("first_charge", re.compile(r"(刚买|新买|第一次|首次).{0,10}(充不进|开不了机|没电)")),
]

EXPLANATION_SCRIPTS: dict[str, str] = {
    "washing": ("亲，理解您的心情。这类面料建议冷水手洗、反面晾干、不要烘干和暴晒，按这样护理就不容易起球、缩水或掉色。"
                "客服会私信发您一份护理卡片，如果按护理方法仍有问题，我们一定负责到底。"),
    "usage": "亲，感谢反馈！客服会私信一步步教您设置，并附上视频教程，如果设置后还有问题，我们会继续为您处理。",
    "first_charge": "亲，新设备首次使用建议先充电30分钟再长按开机键5秒，客服会私信协助您操作；若仍无法开机，会按三包为您处理。",
}


def misunderstanding_kind(text: str, complaint_type: str) -> str:
    for kind, pattern in MISUNDERSTANDING_RULES:
        if pattern.search(text or ""):
            return kind
    if complaint_type == ComplaintType.USAGE_QUESTION:
        return "usage"
    return ""


def suggest_public_reply(*, complaint_type: str, misunderstanding: str = "", seed: int = 0) -> str:
    if misunderstanding:
        return EXPLANATION_SCRIPTS[misunderstanding]
    options = PUBLIC_REPLY_SCRIPTS.get(complaint_type) or PUBLIC_REPLY_SCRIPTS[ComplaintType.OTHER]
    return options[seed % len(options)]


# Remedies the policy allows per complaint type (rules are data). Explanation is always allowed.
REMEDY_POLICY: dict[str, set[str]] = {
    ComplaintType.QUALITY_DEFECT: {"return_refund", "refund", "exchange", "resend", "repair", "coupon", "points"},
    ComplaintType.NOT_AS_DESCRIBED: {"return_refund", "refund", "exchange", "coupon", "points"},
    ComplaintType.WRONG_OR_MISSING: {"resend", "exchange", "return_refund", "refund", "coupon"},
    ComplaintType.SIZE_FIT: {"exchange", "return_refund"},
    ComplaintType.LOGISTICS: {"resend", "refund", "coupon", "points"},
    ComplaintType.SERVICE_ATTITUDE: {"coupon", "points"},
    ComplaintType.PRICE: {"price_protect", "coupon"},
    ComplaintType.COUNTERFEIT: {"return_refund", "refund"},
    ComplaintType.PACKAGING: {"resend", "exchange", "refund", "coupon", "points"},
    # A refused or stalled return/refund/repair is answered by doing it, never by a coupon instead.
    ComplaintType.AFTER_SALES: {"return_refund", "refund", "exchange", "repair"},
    ComplaintType.PROMISE_NOT_KEPT: {"resend", "refund", "price_protect", "coupon", "points"},
    ComplaintType.DISLIKE: {"return_refund", "exchange"},
    ComplaintType.USAGE_QUESTION: set(),
    ComplaintType.OTHER: {"return_refund", "refund", "exchange", "resend", "repair", "coupon", "points",
                          "price_protect"},
}
MONEY_REMEDIES = {"refund", "return_refund", "price_protect", "coupon"}


TOKEN_REMEDIES = ("coupon", "points")  # a gesture, not a fix: never offered where one named problem rules it out


def allowed_remedies(complaint_type: str, others: str = "") -> list[str]:
    """The remedies the policy allows for a review's types, explanation first, in the order of Remedy: what the
    task page offers and what recovery_set_remedy accepts (an unknown or empty type is "other").
    `others`: the review's other types (`|`-joined). A remedy answers the whole review: any type's remedy may
    be chosen, but a coupon or points only when every named type allows them — 「衣服开线了，申请退货还被拒绝」 is a
    quality defect with a refused return beside it, and the refused return is answered by doing it, not by a
    coupon. A type that allows nothing but an explanation (a usage question) rules nothing out."""
    from shouhou.reviews.choices import Remedy

    types = [complaint_type or ComplaintType.OTHER, *(t for t in (others or "").split("|") if t)]
    policies = [REMEDY_POLICY.get(t, REMEDY_POLICY[ComplaintType.OTHER]) for t in types]
    allowed = set().union(*policies)
    for token in TOKEN_REMEDIES:
        if any(policy and token not in policy for policy in policies):
            allowed.discard(token)
    return [r for r in Remedy.values if r == Remedy.EXPLANATION or r in allowed]
