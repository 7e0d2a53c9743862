"""Guards on outgoing text.

Contract used by the inbox composer, notifications and review replies:

    guard_outgoing(text) -> GuardResult(allowed: bool, reasons: list[str])
    guard_refusal(text, field="进度说明") -> str     # "" or 「进度说明」未通过合规检查：<reasons>

`allowed` is False when the text trades money, red packets, coupons, points or gifts for a good review,
five stars, a photo review, or for deleting / changing / appending a bad one (好评返现, 五星好评送红包,
删差评返现, 追评有礼, hp返x …), also when spelled in pinyin, abbreviations, homophones, spaced out or
broken up with symbols. Compensation that does not depend on a review is allowed, and so is saying that
it does not (「补偿与评价无关」).

Quality inspection of agents' replies:

    inspect_reply(text, *, limit=None) -> list[Flag(category, reason, match)]

flags blame-shifting, arguing (blaming the customer, calling the review a lie, threatening legal action), rude
words, promises outside policy (guaranteed delivery dates, refunds or compensation above `limit`, guarantees the
policy does not give) and forbidden review offers; each reason is said in the language active when it is called.
All patterns are data (compiled regular expressions) listed below; see docs/reviews.md.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _


@dataclass
class GuardResult:
    allowed: bool
    reasons: list[str] = field(default_factory=list)


# --- canonical form ----------------------------------------------------------------------------------

# Aliases → canonical words, applied after lowercasing, tone stripping and removal of separators.
# Longest first so "haoping" wins over "hp".
_ALIASES: list[tuple[str, str]] = sorted([
    ("haoping", "好评"), ("hao评", "好评"), ("好ping", "好评"), ("hp", "好评"), ("h评", "好评"),
    ("好平", "好评"), ("好苹", "好评"), ("好坪", "好评"), ("郝评", "好评"), ("号评", "好评"), ("好萍", "好评"),
    ("chaping", "差评"), ("cha评", "差评"), ("差ping", "差评"), ("cp", "差评"), ("查评", "差评"), ("叉评", "差评"),
    ("zhongping", "中评"), ("zhuiping", "追评"), ("zp", "追评"), ("追加评价", "追评"), ("追加评论", "追评"),
    ("wuxing", "五星"), ("5星", "五星"), ("5x", "五星"), ("伍星", "五星"), ("5颗星", "五星"), ("五颗星", "五星"),
    ("fanxian", "返现"), ("fan现", "返现"), ("返x", "返现"), ("fx", "返现"), ("反现", "返现"), ("饭现", "返现"),
    ("返钱", "返现"), ("返利", "返现"), ("返款", "返现"), ("返米", "返现"), ("返money", "返现"),
    ("hongbao", "红包"), ("红bao", "红包"), ("hong包", "红包"), ("hb", "红包"), ("荭包", "红包"), ("虹包", "红包"),
    ("红苞", "红包"), ("鸿包", "红包"), ("shanchu", "删除"), ("shan", "删"), ("山差评", "删差评"), ("珊", "删"),
    ("youhuiquan", "优惠券"), ("优惠卷", "优惠券"), ("yhq", "优惠券"), ("jifen", "积分"), ("jf", "积分"),
    ("liwu", "礼物"), ("lipin", "礼品"), ("xianjin", "现金"), ("rmb", "元"), ("¥", "元"), ("￥", "元"),
], key=lambda pair: -len(pair[0]))

_STARS = re.compile(r"[⭐★☆✨🌟]{3,}|[⭐★☆🌟]")
_EMOJI_WORDS = {"🧧": "红包", "💰": "现金", "💴": "现金", "🎁": "礼品", "💵": "现金"}
_SEPARATORS = re.compile(r"[\s\W_]+")


def canonical(text: str) -> str:
    """Lowercase, simplified, tone-free, separator-free text with obfuscations mapped to plain words."""
    from shouhou.reviews.classifier.normalize import normalize_text

    t = text or ""
    for emoji, word in _EMOJI_WORDS.items():
        t = t.replace(emoji, word)
    t = _STARS.sub(lambda m: "五星" if len(m.group(0)) >= 3 else "星", t)
    t = normalize_text(t, max_chars=5000)
    t = unicodedata.normalize("NFKD", t)
    t = "".join(c for c in t if not unicodedata.combining(c))
    t = t.replace("¥", "元").replace("￥", "元")
    t = _SEPARATORS.sub("", t)
    for alias, word in _ALIASES:
        t = t.replace(alias, word)
    return t


# --- compliance: reward for review ------------------------------------------------------------------

_GOOD = (r"(好评|五星|全星|满分|满星|晒图|晒单|带图评价|图文评价|写评价|给评价|给个评价|评价(后|完|一下)|默认好评|"
         r"点亮五星|点亮星星|星评价|打五星|打满分)")
_ALTER = (r"((删除?|撤销?|撤回|取消|修改|更改|改|追加|补充|换成)(掉|一下|下|成|为)?(差评|中评|评价|评论|评分|星级|好评)|"
          r"删评|改评|追评|差评(删|改|撤))")
_REWARD = (r"(返现|返\d|返还|返(?!回|厂|修|程|货|工)|红包|现金|\d+元|\d+块|优惠券|\d*张?券|积分|礼品|礼物|小礼|赠品|有礼|"
           r"惊喜|好礼|奖励|补贴|免单|立减|退\d|转账|奖金|福利|送(?!达|到|货|出|件|回|修|检|去|来)|领)")
_WINDOW = 14
_OFFER = re.compile(rf"(?P<act>{_GOOD}|{_ALTER}).{{0,{_WINDOW}}}?(?P<rew>{_REWARD})|"
                    rf"(?P<rew2>{_REWARD}).{{0,{_WINDOW}}}?(?P<act2>{_GOOD}|{_ALTER})")
# Phrases that say compensation does NOT depend on the review; removed before matching.
_EXEMPT = re.compile(
    r"(与|和|跟)(您的?)?(评价|好评|差评|评论)(无关|没有?关系|不挂钩|无任何关系)|"
    r"不(需要|用|必|要求)(您)?(修改|删除|更改|撤销|做|写|给|追加)?(任何)?(好评|评价|五星|差评)|"
    r"(无论|不论|不管)(您)?(是否)?(给|修改|删除|写)?(好评|评价|差评|五星)(与否|如何|怎样|内容)?|"
    r"不以.{0,6}(评价|好评)(为|作为)(条件|前提)|不影响.{0,4}(评价|好评)|"
    r"(禁止|严禁|不得|绝不|拒绝|不搞|不参与|不做|不会|从不)(任何)?(形式的)?(好评返现|删差评返现|返现好评|好评有礼|五星返现)"
)
_DELETE_WORDS = re.compile(r"删|撤|取消|修改|更改|改|换成")
_APPEND_WORDS = re.compile(r"追评|追加|补充")

# Marked for translation and translated when a reason is written: a refusal on an English page reads in English;
# the worker's stored notes stay in the default language (Chinese).
REASON_GOOD = gettext_noop("不得以{reward}换取好评、五星或晒图评价（《网络反不正当竞争暂行规定》第九条，平台评价规则禁止好评返现）")
REASON_ALTER = gettext_noop("不得以{reward}换取删除或修改差评（平台评价规则与《反不正当竞争法》禁止诱导删改评价）")
REASON_APPEND = gettext_noop("不得以{reward}换取追评（追评有礼同样属于诱导评价）")


def _reward_word(rew: str) -> str:
    if "红包" in rew:
        return gettext("红包")
    if "券" in rew:
        return gettext("优惠券")
    if "积分" in rew:
        return gettext("积分")
    if any(w in rew for w in ("礼", "赠品", "送", "领", "福利")):
        return gettext("礼品或赠品")
    return gettext("返现或金钱")


def review_offer_reasons(text: str) -> list[str]:
    t = _EXEMPT.sub("|", canonical(text))
    reasons: list[str] = []
    for m in _OFFER.finditer(t):
        act = m.group("act") or m.group("act2") or ""
        reward = _reward_word(t[m.start(): m.end() + 6])
        if _APPEND_WORDS.search(act):
            reason = gettext(REASON_APPEND).format(reward=reward)
        elif re.fullmatch(_ALTER, act) and _DELETE_WORDS.search(act):
            reason = gettext(REASON_ALTER).format(reward=reward)
        else:
            reason = gettext(REASON_GOOD).format(reward=reward)
        reason = gettext("「{quote}」：{reason}").format(quote=m.group(0), reason=reason)
        if reason not in reasons:
            reasons.append(reason)
    return reasons


def guard_outgoing(text: str) -> GuardResult:
    reasons = review_offer_reasons(text or "")
    return GuardResult(not reasons, reasons)


def guard_refusal(text: str, *, field: str) -> str:
    """The refusal to show when `text` (what the customer will read in `field`, e.g. "进度说明") fails
    the compliance guard, naming the field and the guard's reasons; "" when the text may go out.
    Each app raises it with its own error type."""
    verdict = guard_outgoing(text or "")
    if verdict.allowed:
        return ""
    return gettext("「{field}」未通过合规检查：").format(field=field) + gettext("；").join(verdict.reasons)


# --- quality inspection --------------------------------------------------------------------------------

class FlagCategory(models.TextChoices):
    BLAME_SHIFTING = "blame_shifting", _("推卸责任")
    ARGUING = "arguing", _("与顾客争辩")
    RUDE = "rude", _("不文明用语")
    OVER_PROMISE = "over_promise", _("超出政策的承诺")
    FORBIDDEN_OFFER = "forbidden_offer", _("违规诱导评价")


@dataclass(frozen=True)
class Flag:
    category: str
    reason: str
    match: str


@dataclass(frozen=True)
class QaRule:
    category: str
    reason: Promise  # gettext_lazy: Flag.reason is it in the language active when the reply is inspected
    pattern: re.Pattern[str]


def _q(category: str, reason: Promise, pattern: str) -> QaRule:
    return QaRule(category, reason, re.compile(pattern))


# Whom an agent may not send the customer to (the carrier, the maker, the platform…): we sort it out with them.
_OTHERS = r"(快递|物流|厂家|厂商|生产商|仓库|平台|品牌方?|供应商)"
# "We" as a reply names the shop: 与本店无关, 不是我们店的问题.
_US = r"(我们?店?|本店|我店|店铺|商家|本公司|我们公司|我司|本司)"

# Reasons are marked for translation and said in the reader's language when a reply is inspected (inspect_reply).
QA_RULES: list[QaRule] = [
    _q(FlagCategory.BLAME_SHIFTING, _("推卸责任：顾客的问题就是我们的问题，应由我们协调处理"),
       rf"我管不了|管不着|不归我(们)?管|不关{_US}(的)?事|不是{_US}(的|这边的)?(问题|责任|错)|"
       # 「不是快递的问题，是我们包装没做好」 takes the blame, it does not shift it
       rf"(?<!不)(是|属于){_OTHERS}(那边|方面|公司|那里)?(的)?(原因)?(问题|责任|事|造成|导致|引起)|"
       # 「帮您联系快递」 is our work, 「您联系快递」 is the customer's
       rf"(?<![帮为替给代])(你|您)(自己|直接|可以|可)*(去)?(找|问|联系|咨询)(一下|下)?{_OTHERS}|"
       rf"(请|麻烦)(你|您)?(自己|直接)*(去)?(找|问|联系|咨询)(一下|下)?{_OTHERS}|找{_OTHERS}去|"
       rf"(有问题|有事|质量问题|售后问题)(请|可以|就|直接|你|您|去)*(找|问|联系|咨询)(一下|下)?{_OTHERS}|"
       rf"(快递|物流)(的)?(问题|责任)(跟|和|与){_US}(无关|没关系)|我也没(有)?办法|"
       r"只是(个|一个)?(客服|代发|代理|中间商|经销商|分销商|卖货的)|只(负责|管)(代发|卖货)|"
       rf"又不是我(发|做|生产|寄)的|那是{_OTHERS}(那边)?的事|(跟|和|与){_US}(这边)?(无关|没有?(任何|什么)?关系|毫无关系)"),
    _q(FlagCategory.ARGUING, _("与顾客争辩：先认同感受，再解释，不要指责顾客"),
       # 「如果您没看到尺码表，客服发给您」 is help, not a reproach
       r"(你|您)(自己)?(没|不)(看清楚|仔细看|看)(?!到|见)(详情|说明|描述|页面|规则)?|"
       r"(你|您)[^，。！？,.!?;；]{0,6}?(没|不)(仔细|认真|好好)?(看|读|查看)(清楚)?(一下)?"
       r"(尺码表|尺码|详情|说明|描述|页面|规则|介绍)|(你|您)自己的问题|是(你|您)(自己)?(没|不会|用错|洗错|操作错|弄坏)|"
       # 「是您洗的方法不对」 blames the customer; 「不是您的操作问题」 does not
       r"(?<!不是)(?<![不非])(是|因为|由于)?(你|您)(自己)?(的)?[^，。！？,.!?;；]{0,4}?(方法|方式|操作|用法|洗法)"
       r"(不对|不当|错了|错误|有误|不正确)|(你|您)(自己)?(洗|用|穿|操作|弄|摔)(坏|错)|"
       r"明明(写了|说了|标了|标注了|写得很清楚)|(我)?都说了(多少遍)?|我(已经)?说过(了|多少遍|很多次)|(你|您)(懂不懂|听不懂|明白吗|能不能看懂)|"
       r"(你|您)到底(想|要)(怎样|怎么样|干什么)|爱买不买|爱要不要|不满意(你|您)?(可以|就)?(去)?(投诉|退)|随便(你|您)|有本事|"
       r"(你|您)(这)?(是在|就是)(找茬|无理取闹|故意)|(别|不要)无理取闹|(你|您)这种(顾客|买家|人)|(早)?(跟|告诉)(你|您)(说)?过了|"
       # 「不怪您」「难怪您会生气」「我们错怪您了」 are on the customer's side
       r"这都不(懂|会)|谁让(你|您)|(你|您)(自己)?(看|读)一下(详情|说明)(好吗|行吗)?|(?<![不别难奇错见责抱埋])(怪|怨)(谁|你|您)"),
    _q(FlagCategory.ARGUING, _("与顾客争辩：不要指责顾客说谎、造谣或恶意差评，先核实情况再回应"),
       r"乱说|胡说|瞎说|乱讲|胡扯|瞎扯|造谣|污蔑|诬陷|诽谤|血口喷人|颠倒黑白|无中生有|说瞎话|恶意差评|职业差评|差评师|"
       r"敲诈|讹(人|钱|诈)|(不可能|怎么可能|绝不可能)(是|有|会|出现)?(假货|假的|质量问题|问题)"),
    _q(FlagCategory.ARGUING, _("与顾客争辩：不得以追究法律责任、起诉或律师函威胁顾客，有异议请私下核实"),
       r"追究.{0,8}法律责任|保留.{0,12}(法律|起诉|诉讼)|律师函|律师信|起诉|诉讼|控告|法律(手段|途径|程序|武器)|"
       r"诉诸法律|走法律|法庭见|法院见|诽谤罪|名誉权"),
    _q(FlagCategory.RUDE, _("不文明用语：禁止对顾客使用侮辱、粗俗或不耐烦的词语"),
       r"滚(?!动|筒|轮|烫|珠|水|刀|雪|石)|傻[逼b比叉x]|\bsb\b|煞笔|神经病|有病吧?|脑子(有病|进水|有问题|坏了|不好使)|白痴|蠢|弱智|"
       # 「商品有毛病」 is a defect the customer reports; 「你有毛病吧」 is an insult
       r"(你|您)[^，。！？,.!?;；]{0,4}?有毛病|有毛病(吧|啊|呀)|(你|您)是不是傻|(你|您)傻(了|吗|啊|呀)|"
       r"垃圾(顾客|买家|人)|闭嘴|废话|穷(就别买|鬼)|事(儿)?妈|妈的|他妈|\btmd\b|去死|烦死了|烦不烦|你烦不烦|活该|找茬|奇葩(顾客|买家)?|"
       # 「不想要的话可以申请退货」 offers a way out; 「不想买可以不买」 shows the customer the door
       r"(不想|不愿意?|不喜欢|嫌贵|嫌弃|买不起|看不上)(买|要)?(的话)?(就|可以|那就|那)?(你|您)?(可以)?"
       r"(别买|不要买|不买|就别买|甭买|别要了|不要了|去别家|不要(?=[吧啊呀嘛。！!，,？?]|$))|去别(家|的店)(买|看看)"),
    _q(FlagCategory.OVER_PROMISE, _("超出政策的承诺：物流时效由快递决定，不能保证送达时间"),
       r"(保证|肯定|一定|绝对|包)(您)?(明天|今天|今晚|后天|马上|\d+(小时|天)内?)(就)?(能)?(到|送达|到货|收到|签收)|"
       r"(明天|今天|今晚|后天|\d+(小时|天)内?)(保证|一定|肯定|绝对)(能)?(到|送达|到货|收到|签收)"),
    _q(FlagCategory.OVER_PROMISE, _("超出政策的承诺：退款、赔偿须按政策审批，不能事先保证或加倍"),
       r"(双倍|三倍|十倍|加倍|翻倍)(赔偿|退款|赔付|赔)|假一赔[十百千万]|(保证|肯定|一定|绝对)(给您?)?(全额)?(退款|赔偿|赔|退钱|全退)|"
       r"不用退货(直接|也)?(退款|退钱)|(全额退款|退款)(并|再|外加|另外)(赔|补偿|送)"),
    _q(FlagCategory.OVER_PROMISE, _("超出政策的承诺：保修和退换期限以政策为准"),
       r"终身(保修|质保|包换|包退)|永久(保修|质保|包换)|随时(都)?(可以)?(退|换)(货)?|无条件(退款|退换|全额)"),
]

_MONEY_PROMISE = re.compile(r"(退|赔|补偿|补|返|赔偿|退款|退还)(您|你)?(\d+(?:\.\d+)?)(元|块)")


def inspect_reply(text: str, *, limit: Decimal | None = None) -> list[Flag]:
    """Flags for one outgoing reply. `limit` is the agent's approval limit in yuan (None: not checked)."""
    if not text:
        return []
    from shouhou.reviews.classifier.normalize import normalize_text

    plain = normalize_text(text, max_chars=5000)
    compact = re.sub(r"\s+", "", plain)
    flags: list[Flag] = []
    seen: set[tuple[str, str]] = set()
    for rule in QA_RULES:
        m = rule.pattern.search(compact)
        reason = str(rule.reason)
        if m and (rule.category, reason) not in seen:
            seen.add((rule.category, reason))
            flags.append(Flag(str(rule.category), reason, m.group(0)))
    if limit is not None:
        for m in _MONEY_PROMISE.finditer(compact):
            try:
                amount = Decimal(m.group(3))
            except InvalidOperation:
                continue
            if amount > limit:
                reason = gettext("超出政策的承诺：承诺金额 %(amount)s 元超过您的审批额度 %(limit)s 元，需主管审批")
                flags.append(Flag(str(FlagCategory.OVER_PROMISE), reason % {"amount": amount, "limit": limit},
                                  m.group(0)))
                break
    for reason in review_offer_reasons(text):
        flags.append(Flag(str(FlagCategory.FORBIDDEN_OFFER), reason, reason.split("」")[0].lstrip("「")))
    return flags
