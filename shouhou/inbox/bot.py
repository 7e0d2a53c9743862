"""The inbox bot: answers the common questions from the shop's own data and policy, and hands over to a
person at once on anger, on a request for a person, on the second failed answer, or for a VIP.

    bot_enabled(shop=..., channel=...) -> bool           # Shop.settings["bot_enabled"] (default on) and channel
    detect(text) -> Detected(handoff, intent, topic, category)   # pure, table-tested
    bot_handle(conversation=..., message=...) -> BotResult

Bot replies are outbound messages with is_bot=True; on channels that deliver (WeChat, WeCom, email) they
are sent after commit. A hand-off turns the bot off for the conversation, records handed_over_at and a
BOT_HANDOFF ticket event with the reason, and opens the conversation's ticket through
services.ticket_open_for_conversation (priority high on anger and for VIPs).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shouhou.commerce.choices import VIP_TIERS, OrderStatus
from shouhou.core.clock import now
from shouhou.inbox.choices import Channel, Direction, Priority
from shouhou.inbox.models import Conversation, Message

# Channels where the bot is on unless the shop turns it off (Shop.settings["bot_enabled"] = false), or lists
# its own channels in Shop.settings["bot_channels"].
DEFAULT_BOT_CHANNELS = (Channel.WEB_CHAT, Channel.WECHAT)
MAX_FAILURES = 2

# --- hand-off reasons --------------------------------------------------------------------------------
ANGER, HUMAN, SECOND_FAILURE, VIP = "anger", "human_request", "second_failure", "vip"
HANDOFF_LABELS = {ANGER: _("顾客情绪激动/投诉"), HUMAN: _("顾客要求人工"), SECOND_FAILURE: _("机器人两次未能解答"),
                  VIP: _("VIP 顾客直接转人工"), "bot_error": _("机器人出错"), "phone_log": _("电话记录")}


def handoff_text(record: dict) -> str:
    """A hand-off reason stored as codes ({"h": reason, "n": what the customer said or the tier}) in the active
    language: 「顾客要求人工（我要找人工）」 / "Customer asked for a person (我要找人工)"; {"t": words} is a person's
    own reason, kept as written."""
    if record.get("t"):
        return str(record["t"])
    label = str(HANDOFF_LABELS.get(record.get("h"), "") or gettext("转人工"))
    note = str(record.get("n") or "")
    return gettext("{label}（{note}）").format(label=label, note=note) if note else label

ANGER_PATTERN = re.compile(
    r"投诉|12315|12345|消协|消费者协会|工商|市场监管|曝光|媒体|报警|律师|起诉|法院|骗子|骗人|欺诈|黑店|坑人|坑爹|"
    r"垃圾|气死|太差|差劲|恶心|无语|什么破|破玩意|破东西|退一赔三|假一赔|差评|再不(处理|解决|回复)|"
    r"受够了|忍无可忍|太过分|搞什么|有病|滚(?!筒|轮|动|珠|烫)"
)
EXCLAMATIONS = re.compile(r"[!！]")
HUMAN_PATTERN = re.compile(
    r"人工|真人|活人|客服呢|客服在哪|找客服|要客服|人呢|有人吗|有没有人|不要机器人|别用机器人|"
    r"(找|叫|要)(你们)?(主管|经理|老板|店长|负责人)|"
    # the English chat page tells its reader to reply 「人工」 or "human" (the text is read without its spaces)
    r"(?i:human|realperson|liveagent|talktoaperson|speaktoaperson)"
)

# --- questions ---------------------------------------------------------------------------------------
PARCEL, RETURN, POLICY, GREETING, THANKS, UNKNOWN = "parcel", "return", "policy", "greeting", "thanks", "unknown"

# English too (the English chat page invites questions in English; the text is read without its spaces)
PARCEL_PATTERN = re.compile(r"快递|物流|包裹|发货|到哪|到了吗|还没到|没到|没收到|什么时候到|几天到|单号|查件|派送|配送|在路上|"
                            r"(?i:parcel|package|tracking|deliver|courier|shipped|shipment|arriv|dispatch|"
                            r"where(is|\'s|s)?my(order|stuff|item))")
TOPIC_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("warranty", re.compile(r"保修|三包|质保|维修|修理|坏了怎么办|(?i:warranty|guarantee|repair)")),
    ("price", re.compile(r"价保|降价|差价|便宜了|买贵|(?i:pricedrop|pricematch|pricedifference|cheapernow)")),
    ("shipping", re.compile(r"运费|邮费|谁出|运费险|(?i:shippingfee|shippingcost|postage|returnshipping)")),
    ("care", re.compile(r"洗涤|怎么洗|能洗|护理|缩水|掉色|褪色|起球|(?i:wash|shrink|fade|pilling)")),
]
RETURN_PATTERN = re.compile(r"退货|退款|退换|换货|无理由|七天|7天|怎么退|能退|可以退|能不能退|退回|换码|换个|"
                            r"(?i:return|refund|exchange|sendback|moneyback|7days|sevendays)")
POLICY_PATTERN = re.compile(r"政策|规则|规定|售后标准|(?i:polic(y|ies)|aftersales?rules)")
GREETING_PATTERN = re.compile(r"^(你好|您好|在吗|在不在|hello|hi|hey|goodmorning|goodafternoon|goodevening|哈喽|嗨)"
                              r"(there)?[呀啊吗呢\s!！?？。,.，~]*$", re.IGNORECASE)
THANKS_PATTERN = re.compile(r"^(谢谢|多谢|好的|好|明白了|知道了|ok|okay|thanks|thankyou|thx|gotit|嗯|收到)"
                            r"(alot|verymuch)?[了啦呀啊\s!！。.,，~]*$", re.IGNORECASE)

CATEGORY_WORDS: list[tuple[str, re.Pattern[str]]] = [
    ("underwear", re.compile(r"内衣|内裤|文胸|袜子|睡衣")),
    ("mobile_phone", re.compile(r"手机")),
    ("electronics", re.compile(r"电器|数码|耳机|充电|电脑|平板|相机|音箱|吹风机|家电")),
    ("cosmetics", re.compile(r"化妆品|护肤|面霜|口红|美妆|精华|面膜|粉底|防晒")),
    ("shoes_bags", re.compile(r"鞋|包包|背包|箱包")),
    ("clothing", re.compile(r"衣服|服装|外套|裤子|裙|卫衣|大衣|羽绒服|衬衫|毛衣")),
    ("fresh", re.compile(r"生鲜|水果|海鲜|肉")),
    ("food", re.compile(r"食品|零食|吃的")),
    ("jewelry", re.compile(r"珠宝|首饰|项链|戒指|手镯|耳环")),
    ("toys", re.compile(r"玩具")),
    ("home", re.compile(r"家居|日用|床品|收纳")),
    ("custom_made", re.compile(r"定制")),
]


@dataclass(frozen=True)
class Detected:
    handoff: str = ""      # a hand-off reason decided from the text alone ("" when none)
    intent: str = UNKNOWN
    topic: str = ""        # policy topic: return / shipping / warranty / price / care
    category: str = ""     # product category named in the text


def detect(text: str) -> Detected:
    """Read one customer message. Pure: the same text always gives the same answer."""
    t = (text or "").strip()
    compact = re.sub(r"\s+", "", t)
    category = next((c for c, p in CATEGORY_WORDS if p.search(compact)), "")
    if ANGER_PATTERN.search(compact) or len(EXCLAMATIONS.findall(compact)) >= 3:
        return Detected(handoff=ANGER, category=category)
    if HUMAN_PATTERN.search(compact):
        return Detected(handoff=HUMAN, category=category)
    topic = next((name for name, p in TOPIC_PATTERNS if p.search(compact)), "")
    if topic:
        return Detected(intent=POLICY, topic=topic, category=category)
    if RETURN_PATTERN.search(compact):
        return Detected(intent=RETURN, topic="return", category=category)
    if PARCEL_PATTERN.search(compact):
        return Detected(intent=PARCEL, category=category)
    if POLICY_PATTERN.search(compact):
        return Detected(intent=POLICY, topic="return", category=category)
    if GREETING_PATTERN.match(compact):
        return Detected(intent=GREETING)
    if THANKS_PATTERN.match(compact):
        return Detected(intent=THANKS)
    return Detected(category=category)


# --- settings ----------------------------------------------------------------------------------------

def bot_enabled(*, shop, channel: str) -> bool:
    settings = shop.settings or {}
    if settings.get("bot_enabled", True) is False:
        return False
    channels = settings.get("bot_channels")
    allowed = channels if isinstance(channels, list) else DEFAULT_BOT_CHANNELS
    return channel in allowed


# --- answers from the shop's data --------------------------------------------------------------------

ORDER_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{5,63}")
LAST4 = re.compile(r"(?<!\d)\d{4}(?!\d)")


def _fmt(at: dt.datetime | None) -> str:
    if not at:
        return ""
    # 11月06日 10:00 in Chinese, "06 Nov 10:00" in English (the reader's language, Beijing time)
    return localtime(at).strftime(gettext("%m月%d日 %H:%M"))


def _category_name(category: str) -> str:
    from shouhou.commerce.choices import Category

    return str(Category(category).label) if category in Category.values else category


def _portal_url() -> str:
    try:
        return reverse("portal:start")
    except NoReverseMatch:
        return ""


def _conversation_order(conversation: Conversation):
    from shouhou.commerce.models import Order

    order = conversation.orders.order_by("-placed_at", "-pk").first()
    if order is None and conversation.customer_id:
        order = Order.objects.filter(shop_id=conversation.shop_id, customer_id=conversation.customer_id) \
            .order_by("-placed_at", "-pk").first()
    return order


def _order_from_text(conversation: Conversation, text: str):
    """An order named in the message that this customer may see: theirs, or any order of the shop when the
    message also carries the phone's last 4 digits (the portal's rule). Returns (order, needs_last4, locked).

    One guess per message — the first four digits that are not the order number — counted with the portal's
    own guesses (portal_order_lookup: 5 per 15 minutes per order number, and per conversation): a message of
    195 four-digit groups was 195 uncounted guesses, and a victim's parcel was found in 41 messages. `locked`:
    the limit is reached, nothing is tried."""
    from shouhou.commerce.models import Order
    from shouhou.portal.services import TooManyAttempts, portal_order_lookup

    tokens = [tok for tok in ORDER_TOKEN.findall(text or "") if not tok.isdigit() or len(tok) > 4][:5]
    if not tokens:
        return None, False, False
    orders = list(Order.objects.filter(shop_id=conversation.shop_id, order_no__in=tokens)
                  .select_related("customer").order_by("pk"))
    if not orders:
        return None, False, False
    order = orders[0]
    if conversation.customer_id and order.customer_id == conversation.customer_id:
        return order, False, False
    digits = [d for d in LAST4.findall(text) if d not in tokens]
    if not digits:
        return None, True, False
    try:
        found = portal_order_lookup(order_no=order.order_no, last4=digits[0], ip=f"chat:{conversation.pk}",
                                    shop=conversation.shop)
    except TooManyAttempts:
        return None, False, True
    return (found, False, False) if found is not None else (None, True, False)


def _link_order(conversation: Conversation, order) -> None:
    conversation.orders.add(order)
    if conversation.customer_id is None and order.customer_id:
        Conversation.objects.filter(pk=conversation.pk, customer__isnull=True).update(customer_id=order.customer_id)


def _first_line(order):
    return order.lines.order_by("pk").first() if order is not None else None


# The composed answers below are said in the active language (bot_handle sets the customer's: English on the
# English web chat page, Chinese elsewhere); the shop's own data in them — product names, the carrier's event
# texts — stays as the shop and the carrier wrote it.

def answer_parcel(*, order) -> str:
    from shouhou.logistics.models import TrackingEvent

    line = _first_line(order)
    what = (gettext("您的订单%(no)s（%(product)s）") % {"no": order.order_no, "product": line.product_name} if line
            else gettext("您的订单%(no)s") % {"no": order.order_no})
    shipment = order.shipments.filter(is_return=False).order_by("-shipped_at", "-pk").first()
    unsent = shipment is None or shipment.status == "pending" or not shipment.tracking_no
    if unsent and order.status == OrderStatus.CANCELLED:  # refunded before dispatch: nothing is being prepared
        return gettext("%(what)s已取消，不会再发货。对退款有疑问请回复「人工」。") % {"what": what}
    if unsent:
        promised = shipment.promised_ship_by if shipment is not None else None
        if promised:
            return gettext("%(what)s已付款，正在安排发货，承诺在%(by)s前发出。发出后会把运单号发给您。") % {
                "what": what, "by": _fmt(promised)}
        return gettext("%(what)s已付款，正在安排发货。发出后会把运单号发给您。") % {"what": what}
    carrier = shipment.get_carrier_display() if shipment.carrier else gettext("快递")
    text = gettext("%(what)s：%(status)s，%(carrier)s运单号 %(no)s。") % {
        "what": what, "status": shipment.get_status_display(), "carrier": carrier, "no": shipment.tracking_no}
    latest = TrackingEvent.objects.filter(shipment=shipment).order_by("-occurred_at", "-pk").first()
    if latest is not None:
        text += gettext("最新动态：%(event)s（%(at)s）。") % {"event": latest.description, "at": _fmt(latest.occurred_at)}
    elif shipment.signed_at:
        text += gettext("签收时间：%(at)s。") % {"at": _fmt(shipment.signed_at)}
    return text


def _photo_note(shop) -> str:
    """Which problems need a photo, from the shop's policy (a lost parcel cannot be photographed)."""
    from shouhou.cases.choices import ClaimReason
    from shouhou.policies.selectors import policy_photo_reasons

    labels = [str(label) for value, label in ClaimReason.choices if value in policy_photo_reasons(shop=shop)]
    return gettext("（%(problems)s需附照片）") % {"problems": gettext("、").join(labels)} if labels else ""


def _open_case(order, channel: str = "") -> str:
    """What the customer's open after-sales case on this order stands at, else "": a question about returning
    something already in a case is about that case (the bot used to answer it with the policy, as if nothing
    had been filed). Waiting for the goods: by when and where to send them (the shop's return address for the
    case). On the web chat (the shop's own site) the case's follow page is linked."""
    from shouhou.cases.choices import OPEN_STATUSES, CaseKind, CaseStatus
    from shouhou.cases.models import Case
    from shouhou.commerce.selectors import return_address_for_case, return_address_text

    case = (Case.objects.filter(order=order, status__in=OPEN_STATUSES).exclude(kind=CaseKind.COMPENSATION)
            .select_related("order_line").order_by("-pk").first())
    if case is None:
        return ""
    if case.status == CaseStatus.AWAITING_RETURN:
        address = return_address_for_case(case)
        by = (case.decision.get("deadlines") or {}).get("return_ship_by", "")
        if address is None:
            return gettext("您的售后单%(no)s已同意退货。退货地址客服会尽快告知，收到地址前请先不要寄出。") % {"no": case.number}
        if by:
            return gettext("您的售后单%(no)s已同意退货，请在%(by)s前寄回：%(address)s。寄出后请在售后进度页填写快递单号。") % {
                "no": case.number, "by": by, "address": return_address_text(address)}
        return gettext("您的售后单%(no)s已同意退货，请寄回：%(address)s。寄出后请在售后进度页填写快递单号。") % {
            "no": case.number, "address": return_address_text(address)}
    from shouhou.portal.services import follow_token
    from shouhou.portal.texts import shown_kind

    text = gettext("您的售后单%(no)s（%(kind)s）正在处理，当前状态：%(status)s。") % {
        "no": case.number, "kind": shown_kind(case), "status": case.get_status_display()}
    follow = ""
    if channel == Channel.WEB_CHAT:
        try:
            follow = reverse("portal:follow", kwargs={"token": follow_token(case.pk)})
        except NoReverseMatch:
            follow = ""
    if follow:
        return text + gettext("进度和下一步可在这里查看：%(url)s 。有其他问题请回复「人工」。") % {"url": follow}
    return text + gettext("有其他问题请回复「人工」。")


def answer_return(*, shop, order, category: str = "", channel: str = "") -> str:
    from shouhou.policies.selectors import policy_document, policy_summary_text

    if order is not None and not category:
        open_case = _open_case(order, channel)
        if open_case:
            return open_case
    line = _first_line(order)
    cat = category or (line.category if line is not None else "") or "other"
    text = policy_summary_text(shop=shop, category=cat, topic="return")
    if category or line is None:
        head = gettext("%(category)s商品：") % {"category": _category_name(cat)}
    else:
        head = gettext("订单%(no)s的%(product)s（%(category)s）：") % {
            "no": order.order_no, "product": line.product_name, "category": _category_name(cat)}
    window = ""
    if order is not None and order.delivered_at and not category:
        _, doc = policy_document(shop=shop)
        nr = {**doc.get("no_reason", {}), **doc.get("categories", {}).get(cat, {}).get("no_reason", {})}
        days = nr.get("days")
        exempt = cat in doc.get("no_reason", {}).get("legal_exceptions", []) or nr.get("enabled") is False
        if days and not exempt:
            last_day = localtime(order.delivered_at).date() + dt.timedelta(days=int(days))
            if localtime(now()).date() <= last_day:
                window = gettext("您的订单签收于%(signed)s，无理由退货可在%(last)s（含）前申请。") % {
                    "signed": localtime(order.delivered_at).strftime(gettext("%m月%d日")),
                    "last": last_day.strftime(gettext("%m月%d日"))}
            else:
                window = gettext("这笔订单已超过无理由退货期；如有质量问题，仍可申请售后。")
    portal = _portal_url()
    how = (gettext("申请方式：打开售后页面 %(url)s ，输入订单号和手机尾号，选商品和问题即可提交%(photos)s；") % {
        "url": portal, "photos": _photo_note(shop)} if portal else gettext("申请方式：")) \
        + gettext("也可以直接在这里告诉我遇到的问题。")
    return head + text + window + how


def answer_policy(*, shop, topic: str, category: str) -> str:
    from shouhou.policies.selectors import policy_summary_text

    cat = category or "other"
    label = _category_name(cat) if category else gettext("本店商品")
    return gettext("%(what)s的售后政策：") % {"what": label} + policy_summary_text(shop=shop, category=cat,
                                                                             topic=topic or "return")


# Canned replies: said in the customer's language on the web chat page (the page speaks English when asked);
# every other channel is a Chinese platform or WeChat and gets Chinese. So are the composed answers (parcel,
# returns, policy; the shop's data in them as written).
ASK_ORDER = _("为了保护您的隐私，请发送订单号和下单手机号后4位（例如：OD2026001 1234），我马上为您查询。")
NOT_UNDERSTOOD = _("抱歉，我没有完全理解您的问题。您可以问我：快递到哪了、怎么退货、某类商品的售后政策；"
                   "需要人工客服请回复「人工」。")
GREETING_REPLY = _("您好，我是{shop}的智能客服，可以帮您查快递、讲解退换货政策。请问有什么可以帮您？需要人工请回复「人工」。")
THANKS_REPLY = _("不客气，还有其他问题随时告诉我。")
TOO_MANY_GUESSES = _("为保护订单信息，订单号和手机尾号的核对次数已达上限，请15分钟后再试，或回复「人工」由客服为您核实。")
HANDOFF_REPLY = {
    ANGER: _("非常抱歉给您带来不好的体验，已为您转接人工客服，马上为您处理，请稍候。"),
    HUMAN: _("好的，已为您转接人工客服，请稍候。"),
    SECOND_FAILURE: _("抱歉没能帮到您，已为您转接人工客服，请稍候。"),
    VIP: _("尊敬的会员您好，已为您转接专属客服，请稍候。"),
}
CHINESE = "zh-hans"


def reply_language(channel: str) -> str:
    """The language the bot answers in: the page's on the web chat, Chinese on every other channel."""
    from shouhou.inbox.choices import Channel

    return (translation.get_language() or CHINESE) if channel == Channel.WEB_CHAT else CHINESE


def _compose(language: str, answer, **kwargs) -> str:
    with translation.override(language):
        return answer(**kwargs)


def _say(text, language: str, **values) -> str:
    with translation.override(language):
        said = str(text)
    return said.format(**values) if values else said


# --- the handler -------------------------------------------------------------------------------------

@dataclass
class BotResult:
    answered: bool
    reply: Message | None
    handed_over: bool
    reason: str
    ticket: object | None = None


def _reply(conversation: Conversation, body: str) -> Message:
    from shouhou.inbox.services import bot_message_send

    return bot_message_send(conversation=conversation, text=body)


def bot_handoff(*, conversation: Conversation, reason: str, note: str = "", language: str = CHINESE) -> BotResult:
    """Turn the bot off for this conversation and give it to a person: services.ticket_open_for_conversation
    stops the bot (bot_active False, handed_over_at), opens or reuses the ticket and records BOT_HANDOFF."""
    from shouhou.inbox import services

    with transaction.atomic():
        reply = _reply(conversation, _say(HANDOFF_REPLY.get(reason, HANDOFF_REPLY[HUMAN]), language))
        priority = Priority.HIGH if reason in (ANGER, VIP) else None
        ticket = services.ticket_open_for_conversation(
            conversation=conversation, reason_code=reason, reason_note=note[:400], priority=priority)
        conversation.bot_active = False
    return BotResult(answered=False, reply=reply, handed_over=True, reason=reason, ticket=ticket)


def bot_handle(*, conversation: Conversation, message: Message, language: str = CHINESE) -> BotResult:
    """Answer one inbound message while the bot receives the conversation (no-op otherwise). language: the
    customer's, for the canned replies (reply_language); what is stored for staff is Chinese."""
    with transaction.atomic(), translation.override(CHINESE):
        # lock only the conversation row: PostgreSQL refuses FOR UPDATE on the outer-joined customer
        conversation = Conversation.objects.select_for_update(of=("self",)).select_related("customer", "shop") \
            .get(pk=conversation.pk)
        if not conversation.bot_active or message.direction != Direction.INBOUND:
            return BotResult(answered=False, reply=None, handed_over=False, reason="")
        shop = conversation.shop
        customer = conversation.customer
        from shouhou.notifications.services import chat_opt_out_intent

        if chat_opt_out_intent(message.body):
            # 「退订」 is answered by the opt-out itself (notifications.chat_opt_out, after the message's commit):
            # a second, "not understood" reply from the bot would contradict it
            return BotResult(answered=True, reply=None, handed_over=False, reason="opt_out")
        if customer is not None and customer.tier in VIP_TIERS:
            return bot_handoff(conversation=conversation, reason=VIP, note=customer.get_tier_display(), language=language)
        found = detect(message.body)
        if found.handoff:
            return bot_handoff(conversation=conversation, reason=found.handoff, note=message.body[:100],
                               language=language)

        body = ""
        if found.intent in (PARCEL, RETURN) or (found.intent == UNKNOWN and ORDER_TOKEN.search(message.body)):
            named, needs_last4, locked = _order_from_text(conversation, message.body)
            if locked:
                return BotResult(answered=True, reply=_reply(conversation, _say(TOO_MANY_GUESSES, language)),
                                 handed_over=False, reason="too_many_guesses")
            if named is not None:
                _link_order(conversation, named)
            order = named or _conversation_order(conversation)
            if found.intent == UNKNOWN and named is not None:
                found = Detected(intent=PARCEL)  # an order number alone: show where it is
            if found.intent == PARCEL:
                body = _compose(language, answer_parcel, order=order) if order is not None \
                    else _say(ASK_ORDER, language)
            elif found.intent == RETURN:
                if order is not None:
                    body = _compose(language, answer_return, shop=shop, order=order, channel=conversation.channel)
                elif found.category:
                    body = _compose(language, answer_return, shop=shop, order=None, category=found.category)
                else:
                    body = _say(ASK_ORDER, language)
            elif needs_last4:
                body = _say(ASK_ORDER, language)
        elif found.intent == POLICY:
            category = found.category
            if not category:
                line = _first_line(_conversation_order(conversation))
                category = line.category if line is not None else ""
            body = _compose(language, answer_policy, shop=shop, topic=found.topic, category=category)
        elif found.intent == GREETING:
            body = _say(GREETING_REPLY, language, shop=shop.name)
        elif found.intent == THANKS:
            body = _say(THANKS_REPLY, language)

        if not body:
            Conversation.objects.filter(pk=conversation.pk).update(bot_failures=F("bot_failures") + 1)
            conversation.refresh_from_db(fields=["bot_failures"])
            if conversation.bot_failures >= MAX_FAILURES:
                return bot_handoff(conversation=conversation, reason=SECOND_FAILURE, note=message.body[:100],
                                   language=language)
            return BotResult(answered=False, reply=_reply(conversation, _say(NOT_UNDERSTOOD, language)), handed_over=False,
                             reason="not_understood")
        return BotResult(answered=True, reply=_reply(conversation, body), handed_over=False, reason=found.intent)

