"""Keyword/pattern rules: product aspect, the old complaint-type rules (the baseline), and the few rules kept.

`COMPLAINT_RULES` / `weak_label()` are the keyword rules that decided the complaint type before the model
was trained on people's labels; they only serve as the baseline `shouhou reviews evaluate` prints. A rule
decides at run time only where it was more precise than the model on the dev split (`PRECISE_RULES`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _

from shouhou.reviews.classifier.taxonomy import ComplaintType


class Aspect(models.TextChoices):
    FABRIC = "fabric", _("面料")
    COLOUR = "colour", _("颜色")
    BATTERY = "battery", _("电池")
    TASTE = "taste", _("口味")
    SIZE = "size", _("尺码/大小")
    SMELL = "smell", _("气味")
    PACKAGING = "packaging", _("包装")
    SCREEN = "screen", _("屏幕")
    SOUND = "sound", _("声音")
    PERFORMANCE = "performance", _("性能")
    FRESHNESS = "freshness", _("新鲜度")
    WORKMANSHIP = "workmanship", _("做工")
    AUTHENTICITY = "authenticity", _("真伪")
    EFFECT = "effect", _("使用效果")


@dataclass(frozen=True)
class Rule:
    name: str
    label: str
    pattern: re.Pattern[str]


def _r(name: str, label: str, pattern: str) -> Rule:
    return Rule(name, label, re.compile(pattern))


# Order = tie-break priority (more specific first).
COMPLAINT_RULES: list[Rule] = [
    _r("wrong_item", ComplaintType.WRONG_OR_MISSING,
       r"发错|错发|发成了?|发的是.{0,8}(不是|而不是)|结果发的是|不是我(要|买|订|选)的|型号不对|颜色发错|发来的?是别的"),
    _r("missing_item", ComplaintType.WRONG_OR_MISSING,
       r"少发|漏发|少了[一两几1-9]|缺了|缺少|少[一两1-9][个件瓶盒包箱本]|赠品.{0,6}(没|无|未)|送的.{0,8}(没有|没给|没送|也没)|"
       r"(配件|说明书|发票|充电器|耳机).{0,4}(没有|都没|没给)|只(收到|到了)[一两1-9]"),
    _r("slow_delivery", ComplaintType.LOGISTICS,
       r"(物流|快递|送货|配送|发货|到货|派件|派送).{0,6}(慢|晚|太久|迟|拖)|慢死|等了.{0,4}[天周]|[几好两三四五六七八九十\d]+天(才|都没|还没)|"
       r"还没(到|收到|送)|迟迟|一直没(到|发|送)|不送货|没送到|送不过来|催了"),
    _r("damaged_in_transit", ComplaintType.LOGISTICS,
       r"破损|压坏|压扁|摔坏|碰伤|磕伤|磕碰|挤压|挤坏|漏液|撒了|洒了|包装.{0,3}(破|烂|坏)|箱子.{0,4}(破|烂|坏)|外箱|快递.{0,4}(暴力|扔)"),
    _r("courier", ComplaintType.LOGISTICS, r"快递员|快递小哥|物流(太|很|真|超)?差|快递(太|很|真|超)?差|顺丰|京东物流.{0,4}差"),
    _r("size_words", ComplaintType.SIZE_FIT,
       r"尺码|码数|码子|[大小]了?一[码号]|号(也)?不准|偏大|偏小|不合身|穿着?.{0,3}(太|有点|很|偏)?(大|小|紧|肥|短|长)|"
       r"腰围|裤长|袖子.{0,3}(长|短)|裤腿|显胖|勒|紧身过|大一号|小一号|尺寸不"),
    _r("not_as_pictured", ComplaintType.NOT_AS_DESCRIBED,
       r"(和|与|跟)(图片?|描述|宣传|介绍|详情|广告|说明|实物|网上|页面)[^，。！,.!]{0,6}(不|差|完全|两回事|不一样)|图片.{0,4}(不符|不一样|差)|"
       r"描述不符|与描述|货不对板|色差|实物.{0,4}(差|不)|宣传.{0,4}(不|夸大|虚假)|虚假|名不副实|买家秀"),
    _r("fake_or_used", ComplaintType.NOT_AS_DESCRIBED,
       r"假货|假的|不是正品|非正品|冒牌|山寨|仿冒|高仿|二手|翻新|用过的|旧的"),
    _r("small_produce", ComplaintType.NOT_AS_DESCRIBED, r"个头.{0,4}(小|不大)|(小|少)得可怜|鸭蛋|鸡蛋大|分量.{0,3}(少|不足)|缺斤|不够[秤称]|克数"),
    _r("price_drop", ComplaintType.PRICE,
       r"降价|差价|价保|保价|(买|下单).{0,6}(就|又|马上|立马)(降|便宜)|便宜了|(比|还比).{0,8}便宜|价格.{0,4}(变|跳|涨)"),
    _r("too_expensive", ComplaintType.PRICE, r"太贵|(有点|略|偏|比较|死)贵|贵了|不值|性价比.{0,3}(低|不高|差|不行)|价格.{0,4}(高|贵)|坑钱|智商税"),
    _r("attitude", ComplaintType.SERVICE_ATTITUDE,
       r"态度|爱理不理|不理人|没人理|不理睬|不回(复|消息|话)|敷衍|推脱|推卸|踢皮球|不耐烦|凶|骂人|服务(太|很|真|也|极|非常)?(差|不好|不行|一般)|"
       r"(客服|售后|前台|服务员|店家|商家).{0,8}(差|不好|不行|垃圾|无语|不管|不处理|不解决|拖)|投诉"),
    _r("how_to", ComplaintType.USAGE_QUESTION,
       r"请问|想问|问一下|不会用|怎么(用|使用|设置|安装|连接|开机|充电|调|洗|操作|激活|下载)|如何(使用|设置|安装|连接)|"
       r"在哪(里)?(设置|找|下载)|找不到.{0,6}(设置|功能|菜单)|有没有人知道|教程|说明书.{0,6}(看不懂|没写|找不到)"),
    _r("broken", ComplaintType.QUALITY_DEFECT,
       r"坏了|坏的|故障|不能用|用不了|没反应|无法(开机|充电|使用|启动)|开不了机|死机|黑屏|蓝屏|花屏|重启|卡顿|很卡|太卡|卡死|"
       r"漏水|漏电|失灵|断了|裂|碎|掉漆|生锈"),
    _r("poor_make", ComplaintType.QUALITY_DEFECT,
       r"质量.{0,4}(差|不好|太|一般|不行|堪忧|有问题)|做工.{0,4}(差|粗|不好|一般)|开线|脱线|线头|起球|缩水|掉色|褪色|变形|起皱|破洞|"
       r"一扯就|穿了?一次|洗了?一次|掉毛|不耐用|劣质|粗糙|质量问题"),
    _r("bad_effect", ComplaintType.QUALITY_DEFECT,
       r"头皮屑|头屑|过敏|发痒|掉发|脱发|干涩|没效果|没用处|效果.{0,3}(差|不好|一般|不明显)|不好用|难用|"
       r"电池.{0,6}(不|差|掉|耗)|掉电|耗电|续航.{0,4}(差|短|不)|发热|发烫|过热|噪音|很吵|太吵|信号.{0,3}(差|不好)"),
    _r("spoiled_or_smelly", ComplaintType.QUALITY_DEFECT,
       r"烂了?|腐烂|坏果|发霉|霉|变质|不新鲜|过期|异味|臭|刺鼻|难吃|难喝|酸了|苦|涩|没味|不甜|口感.{0,3}(差|不好|一般)"),
]

ASPECT_RULES: list[tuple[str, re.Pattern[str]]] = [
    (Aspect.BATTERY, re.compile(r"电池|续航|待机|充电|耗电|掉电|没电")),
    # 显示 alone is a tracking page's word too (「一直显示派送中」 was a screen problem)
    (Aspect.SCREEN, re.compile(r"屏幕|屏|显示(?:屏|器|效果|不全|不清|模糊|异常|有问题|不出|发黑|发暗|偏色|色彩|亮度|字体)|分辨率|像素")),
    (Aspect.SOUND, re.compile(r"音质|声音|噪音|喇叭|音量|很吵|太吵")),
    (Aspect.PERFORMANCE, re.compile(r"卡顿|很卡|太卡|卡死|死机|运行|速度|系统|反应慢|发热|发烫|散热")),
    (Aspect.FABRIC, re.compile(r"面料|布料|料子|材质|衣料|起球|缩水|透气|扎人|起毛|掉毛|薄|厚")),
    (Aspect.COLOUR, re.compile(r"颜色|色差|掉色|褪色|染色|发黄")),
    (Aspect.SIZE, re.compile(r"尺码|码数|码子|偏大|偏小|大小|尺寸|个头|腰围|裤长|不合身")),
    (Aspect.SMELL, re.compile(r"气味|异味|臭|刺鼻|香味|味儿|甲醛|香精")),
    (Aspect.TASTE, re.compile(r"味道|口感|口味|好吃|难吃|好喝|难喝|甜|酸|涩|苦")),
    (Aspect.FRESHNESS, re.compile(r"新鲜|腐烂|烂|坏果|发霉|变质|过期|保质期")),
    (Aspect.PACKAGING, re.compile(r"包装|箱子|盒子|外箱|纸箱|泡沫|封口|漏液")),
    (Aspect.WORKMANSHIP, re.compile(r"做工|线头|开线|脱线|走线|做得|工艺")),
    (Aspect.AUTHENTICITY, re.compile(r"假货|正品|假的|冒牌|山寨|高仿")),
    (Aspect.EFFECT, re.compile(r"效果|头皮屑|头屑|去屑|过敏|掉发|柔顺|保湿")),
]

_TYPE_ORDER = [r.label for r in COMPLAINT_RULES]
_PRIORITY = {label: i for i, label in enumerate(dict.fromkeys(_TYPE_ORDER))}


def rule_hits(text: str) -> dict[str, list[str]]:
    """Rule names that match, grouped by complaint type (for explanation in the UI and docs)."""
    hits: dict[str, list[str]] = {}
    for rule in COMPLAINT_RULES:
        if rule.pattern.search(text):
            hits.setdefault(str(rule.label), []).append(rule.name)
    return hits


def weak_label(text: str) -> str:
    """Complaint type of a negative review by the rules: most matching rules wins, ties by priority."""
    hits = rule_hits(text)
    if not hits:
        return str(ComplaintType.OTHER)
    return max(hits, key=lambda label: (len(hits[label]), -_PRIORITY[label]))


def aspect_of(text: str) -> str:
    """First product aspect named in the text, or ''."""
    for aspect, pattern in ASPECT_RULES:
        if pattern.search(text):
            return str(aspect)
    return ""


# Rules kept because, where they fire, they were right more often than the model on the dev split
# (docs/reviews.md, "How the model was chosen"). A match just after a negation (不是/没有/并非/不 …) is ignored:
# 「不起球也不缩水，就是尺码偏小」 is a size complaint, not poor workmanship (before 不 counted, the rule made every
# such review quality_defect over the model's right answer).
PRECISE_RULES: list[Rule] = [
    _r("wrong_item", ComplaintType.WRONG_OR_MISSING,
       r"发错|错发|结果发的是|不是我(要|买|订|选)的|型号不对|颜色发错|发来的?是别的"),
    _r("poor_make", ComplaintType.QUALITY_DEFECT,
       r"做工.{0,4}(差|粗|不好)|开线|脱线|线头|起球|缩水|掉色|褪色|破洞|掉毛|劣质|粗糙"),
]
_NEGATED = re.compile(r"(不是|没有|没|并非|不算|无|不)$")


def precise_rule_type(text: str) -> str:
    """The type named by the first kept rule that matches (not right after a negation), or ''."""
    for rule in PRECISE_RULES:
        for m in rule.pattern.finditer(text):
            if not _NEGATED.search(text[max(0, m.start() - 3):m.start()]):
                return str(rule.label)
    return ""


# Negated and praised mentions name no problem (GUIDELINES.md, "How to label" 3 and the last boundary):
# 「不是质量问题就不给退」 is not a quality complaint, 「快递很快，就是…」 not a logistics one. The others model reads
# words, not their polarity, so it named `quality_defect` beside refused returns that say 不是质量问题, and
# `logistics` / `packaging` beside a defect whose review thanks the courier or praises the box.
# `drop_unsupported_others` takes such a type back out of the other types when nothing else in the text names
# it (the main type is the model's and stays as it is).
_NEGATED_QUALITY = re.compile(
    r"(?:不是|并不是|并非|不属于|不算|没有任何|没有什么|没什么|没有|没|无|非)(?:什么|任何)?(?:产品|商品|东西的?)?质量(?:上的?)?问题")
_QUALITY_NAMED = re.compile(r"质量")
_NOT_A_COMPLAINT = r"(?![慢差烂久晚迟贵糟垃])"  # 「物流好慢」「包装好差」: 好 there is "so", not praise
_LOGISTICS_PRAISE = re.compile(
    r"(?:物流|快递员?|快递小哥|小哥|发货|送货|配送|到货|顺丰|京东物流|速度)(?:速度)?"
    r"(?:也|还|都|真的?|很|非常|超|挺|特别|蛮|相当|太|好)*"
    r"(?:快|给力|及时|神速|迅速|不错|好|满分|负责|辛苦|没话说|五星|很棒|棒|靠谱)(?:了|的|啊|呀)?" + _NOT_A_COMPLAINT)
_LOGISTICS_COMPLAINT = [r.pattern for r in COMPLAINT_RULES if r.name in ("slow_delivery", "damaged_in_transit")] + [
    re.compile(r"(?:物流|快递|快递员|送货)(?:太|很|真|超|也)?(?:差|慢|烂|垃圾)|暴力|不送(?:上楼|货|到)|丢件|丢了|拒绝验货")]
_PACKAGING_PRAISE = re.compile(
    r"包装(?:也|还|都|真的?|很|非常|超|挺|特别|蛮|相当|太|好)*(?:用心|仔细|严实|精美|完好|结实|好|不错|精致|漂亮|到位|认真)(?:了|的|啊|呀)?"
    + _NOT_A_COMPLAINT)
_PACKAGING_COMPLAINT = re.compile(r"简陋|差|破|烂|漏|没封|封口|泡沫|太薄|很薄|压|脏|拆过|被拆|开封|塑料袋|没有盒|无盒|没盒")
_QUALITY_CUES = [r.pattern for r in COMPLAINT_RULES if r.label == ComplaintType.QUALITY_DEFECT]
_INSULT = re.compile(r"[烂臭](?:店|商家|卖家|客服|人)")  # 「什么烂店」 names no rotten goods


def _names_quality(text: str) -> bool:
    rest = _INSULT.sub("，", _NEGATED_QUALITY.sub("，", text))
    return bool(_QUALITY_NAMED.search(rest)) or any(p.search(rest) for p in _QUALITY_CUES)


def _names_logistics(text: str) -> bool:
    rest = _LOGISTICS_PRAISE.sub("，", text)
    return any(p.search(rest) for p in _LOGISTICS_COMPLAINT)


# The shop's service and its price praised (「客服很好，耐心解答」「价格实惠」) name no problem either: a tester's
# 「客服很好，耐心解答，但是东西是假的」 came out `service_attitude` — a task offering a coupon and a reply apologising
# for the service — and 「包装很用心，但是收到的杯子是坏的」 `packaging`.
_SERVICE_PRAISE = re.compile(
    r"(?:客服|售后|服务|态度|卖家|商家|店家|掌柜|小姐姐|小哥哥)(?:的)?(?:小姐姐|态度|服务)?"
    r"(?:也|还|都|真的?|很|非常|超|挺|特别|蛮|相当|太|好)*"
    r"(?:好|不错|耐心|热情|周到|贴心|细心|专业|负责|满意|给力|棒|没话说|五星|亲切|有礼貌)(?:了|的|啊|呀)?" + _NOT_A_COMPLAINT)
_SERVICE_COMPLAINT = re.compile(
    r"爱理不理|爱[答搭]不理|不理人|没人理|不太?理睬|怠慢|冷屁股|不回(?:复|消息|话)|敷衍|推脱|推卸|踢皮球|不耐烦|凶|骂人|投诉|"
    r"有待(?:改善|提高|加强|改进)|达不到|"
    r"(?:态度|服务)(?:太|很|真|也|极|非常|超)?(?:差|恶劣|不好|不行|一般|冷淡)|"
    r"(?:客服|售后|前台|服务员|店家|商家).{0,8}(?:差|不好|不行|垃圾|无语|不管|不处理|不解决|拖)")
_PRICE_PRAISE = re.compile(
    r"(?:价格|价钱|价位)(?:也|还|都|真的?|很|非常|超|挺|特别|蛮|相当|太)*(?:实惠|便宜|划算|合适|公道|美丽|亲民|不错)|"
    r"性价比(?:也|还|都|真的?|很|非常|超|挺|特别|蛮|相当|太)*(?:高|不错|好|可以)|(?<![不没太])(?:很|非常|超|挺|特别)?(?:实惠|划算)"
    + _NOT_A_COMPLAINT)
_PRICE_COMPLAINT = [r.pattern for r in COMPLAINT_RULES if r.label == ComplaintType.PRICE]


# What each type is about: a text that names it again after its turn word may complain of it there.
_SUBJECT = {
    ComplaintType.LOGISTICS: re.compile(r"物流|快递|送|配送|到货|发货|速度|小哥|派件|运输|驿站"),
    ComplaintType.PACKAGING: re.compile(r"包装|盒|箱|袋|封"),
    ComplaintType.SERVICE_ATTITUDE: re.compile(r"客服|服务|态度|店家|商家|卖家|掌柜|回复|回应|理"),
    ComplaintType.PRICE: re.compile(r"价|贵|便宜|划算|实惠|钱|元|块"),
}
_PRAISE = {ComplaintType.LOGISTICS: _LOGISTICS_PRAISE, ComplaintType.PACKAGING: _PACKAGING_PRAISE,
           ComplaintType.SERVICE_ATTITUDE: _SERVICE_PRAISE, ComplaintType.PRICE: _PRICE_PRAISE}
_TURN = re.compile(r"但是|可是|可惜|然而|不过|但|就是|只是|结果|没想到")
# Read only in a short text: a long review (a stay told hour by hour) praises one thing and complains of the
# same thing later in words no list holds; there the model's reading stands.
PRAISE_READ_CHARS = 80
# … and only praise the text opens with (「酒店毫无服务可言，连快捷酒店的服务员都比你们态度好，可是…」 compares).
PRAISE_OPENS_WITHIN = 20


def _praised_then_turned(text: str, ctype: str) -> bool:
    """「客服很好，耐心解答，但是东西是假的」: the text praises this type's subject (delivery, packaging, service,
    price), then turns (但是, 可惜, 就是 …) to something it never says of that subject again."""
    praise = _PRAISE.get(ctype)
    if praise is None or len(text) > PRAISE_READ_CHARS:
        return False
    found = praise.search(text, 0, PRAISE_OPENS_WITHIN + 12)
    turn = _TURN.search(text, found.end()) if found and found.start() < PRAISE_OPENS_WITHIN else None
    if turn is None:
        return False
    return not _SUBJECT[ctype].search(text[turn.end():]) and not _complains_of(praise.sub("，", text), ctype)


def _complains_of(text: str, ctype: str) -> bool:
    if ctype == ComplaintType.LOGISTICS:
        return any(p.search(text) for p in _LOGISTICS_COMPLAINT)
    if ctype == ComplaintType.PACKAGING:
        return bool(_PACKAGING_COMPLAINT.search(text))
    if ctype == ComplaintType.SERVICE_ATTITUDE:
        return bool(_SERVICE_COMPLAINT.search(text))
    return any(p.search(text) for p in _PRICE_COMPLAINT)


def drop_unsupported_others(text: str, others: list[str]) -> list[str]:
    """`others` without `quality_defect` when the text names quality only in a negation, without `logistics` or
    `packaging` when it names delivery or the packaging only in praise (each only when such a mention is there),
    without `service_attitude` or `price` when it praises them and turns to something else (_praised_then_turned)."""
    out = list(others)
    if ComplaintType.QUALITY_DEFECT in out and _NEGATED_QUALITY.search(text) and not _names_quality(text):
        out.remove(ComplaintType.QUALITY_DEFECT)
    if ComplaintType.LOGISTICS in out and _LOGISTICS_PRAISE.search(text) and not _names_logistics(text):
        out.remove(ComplaintType.LOGISTICS)
    if (ComplaintType.PACKAGING in out and _PACKAGING_PRAISE.search(text)
            and not _PACKAGING_COMPLAINT.search(_PACKAGING_PRAISE.sub("，", text))):
        out.remove(ComplaintType.PACKAGING)
    return [c for c in out if not _praised_then_turned(text, c)]


def praised_main_type(text: str, main: str) -> bool:
    """Whether the main type names what a short text praises before turning to its complaint (「快递小哥很负责，送货
    上门，但是杯子有裂痕」 is not `logistics`): the caller then takes the next type the text complains about."""
    return _praised_then_turned(text, main)
