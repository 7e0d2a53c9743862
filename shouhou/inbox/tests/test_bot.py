"""The inbox bot, through the path the channels use (web chat on the consumer page, a WeChat message):
it answers parcel, return and policy questions from the shop's own data and policy, and hands over to a
person at once on anger, on a request for a person, on the second failed answer, and for VIPs. After a
hand-off it stays quiet and the ticket waits for an agent with the reason recorded.

Clock frozen at Friday 2026-11-06 10:00 (Shanghai); the test orders were delivered on 11-04 15:00.
"""

from __future__ import annotations

import pytest

from shouhou.commerce.choices import Category, MembershipTier, OrderStatus
from shouhou.core.testing.factories import (
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    ShipmentFactory,
)
from shouhou.inbox import bot
from shouhou.inbox.channels.base import Inbound
from shouhou.inbox.channels.inbound import inbound_accept
from shouhou.inbox.channels.webchat import webchat_post, webchat_start
from shouhou.inbox.choices import Channel, Direction, Priority, TicketCategory, TicketEventKind, TicketStatus
from shouhou.inbox.models import Conversation, Message, Ticket, TicketEvent
from shouhou.inbox.services import ticket_open_for_conversation
from shouhou.logistics.models import TrackingEvent
from shouhou.policies.selectors import CATEGORY_ZH, policy_summary_text
from shouhou.sla.services import sla_defaults_install
from shouhou.sla.tests.helpers import at, frozen, local

pytestmark = pytest.mark.django_db
K = TicketEventKind
NOW = "2026-11-06 10:00"


@pytest.fixture
def sla_shop(shop):
    sla_defaults_install(shop=shop)
    return shop


def make_order(shop, *, tier=MembershipTier.REGULAR, category=Category.CLOTHING, name="羊毛双面大衣",
               delivered: bool = True, order_no: str = "OD2026110401", wechat_id: str = ""):
    customer = CustomerFactory(shop=shop, name="王小丫", tier=tier, phone="13812345678", phone_last4="5678",
                               wechat_id=wechat_id)
    order = OrderFactory(shop=shop, customer=customer, order_no=order_no,
                         status=OrderStatus.DELIVERED if delivered else OrderStatus.SHIPPED,
                         delivered_at=at("2026-11-04 15:00") if delivered else None)
    OrderLineFactory(order=order, product=ProductFactory(shop=shop, category=category), product_name=name,
                     category=category)
    return order


def chat(order):
    """The customer opens web chat from the consumer page; returns a function that posts one message."""
    conversation = webchat_start(order=order)

    def say(text: str):
        # each page request reads the conversation afresh from its chat token, as the view does
        fresh = Conversation.objects.select_related("shop", "customer").get(pk=conversation.pk)
        return webchat_post(conversation=fresh, body=text)

    return conversation, say


def bot_replies(conversation) -> list[str]:
    return list(Message.objects.filter(conversation=conversation, is_bot=True, direction=Direction.OUTBOUND)
                .order_by("pk").values_list("body", flat=True))


def handoff_notes(ticket) -> list[str]:
    return list(TicketEvent.objects.filter(ticket=ticket, kind=K.BOT_HANDOFF).values_list("note", flat=True))


# --- the bot is on where the shop wants it ------------------------------------------------------------

def test_web_chat_starts_with_the_bot_and_a_shop_can_turn_it_off_per_channel(sla_shop):
    order = make_order(sla_shop)
    assert webchat_start(order=order).bot_active is True
    assert bot.bot_enabled(shop=sla_shop, channel=Channel.WECHAT) is True
    assert bot.bot_enabled(shop=sla_shop, channel=Channel.EMAIL) is False
    sla_shop.settings = {"bot_channels": ["wechat"]}
    sla_shop.save()
    assert bot.bot_enabled(shop=sla_shop, channel=Channel.WEB_CHAT) is False
    assert bot.bot_enabled(shop=sla_shop, channel=Channel.WECHAT) is True
    sla_shop.settings = {"bot_enabled": False, "bot_channels": ["wechat"]}
    sla_shop.save()
    assert bot.bot_enabled(shop=sla_shop, channel=Channel.WECHAT) is False


def test_with_the_bot_off_the_first_message_goes_straight_to_a_ticket(sla_shop):
    sla_shop.settings = {"bot_enabled": False}
    sla_shop.save()
    order = make_order(sla_shop)
    with frozen(NOW):
        conversation, say = chat(order)
        got = say("我的快递到哪了")
    assert conversation.bot_active is False
    assert bot_replies(conversation) == []
    assert got.ticket is not None and got.ticket.status == TicketStatus.NEW
    assert local(got.ticket.first_response_due_at) == "2026-11-06 10:05"


# --- answers ------------------------------------------------------------------------------------------

def test_parcel_question_is_answered_from_the_shipment_and_its_latest_tracking_event(sla_shop):
    order = make_order(sla_shop, delivered=False)
    shipment = ShipmentFactory(order=order, carrier="SF", tracking_no="SF1400012345", status="in_transit",
                               shipped_at=at("2026-11-04 18:00"))
    TrackingEvent.objects.create(shop=sla_shop, shipment=shipment, occurred_at=at("2026-11-05 08:10"),
                                 status="in_transit", description="【杭州市】快件已到达杭州转运中心", event_key="e1")
    TrackingEvent.objects.create(shop=sla_shop, shipment=shipment, occurred_at=at("2026-11-04 19:00"),
                                 status="picked_up", description="【广州市】顺丰已收件", event_key="e0")
    with frozen(NOW):
        conversation, say = chat(order)
        got = say("我的快递到哪了？")
    assert got.ticket is None
    assert bot_replies(conversation) == [
        "您的订单OD2026110401（羊毛双面大衣）：运输中，顺丰速运运单号 SF1400012345。"
        "最新动态：【杭州市】快件已到达杭州转运中心（11月05日 08:10）。"]
    conversation.refresh_from_db()
    assert conversation.bot_active is True and Ticket.objects.count() == 0


@pytest.mark.parametrize(("status", "answer"), [
    ("paid", "您的订单OD2026110401（羊毛双面大衣）已付款，正在安排发货，承诺在11月07日 18:00前发出。发出后会把运单号发给您。"),
    # refunded before dispatch (the platform closed it): not said to be prepared for shipping
    ("cancelled", "您的订单OD2026110401（羊毛双面大衣）已取消，不会再发货。对退款有疑问请回复「人工」。"),
])
def test_parcel_not_yet_shipped_gives_the_promised_ship_by_time_unless_cancelled(sla_shop, status, answer):
    order = make_order(sla_shop, delivered=False)
    order.status = status
    order.save()
    ShipmentFactory(order=order, carrier="", tracking_no="", status="pending",
                    promised_ship_by=at("2026-11-07 18:00"))
    with frozen(NOW):
        conversation, say = chat(order)
        say("什么时候发货")
    assert bot_replies(conversation) == [answer]


def test_return_question_is_answered_from_the_policy_with_the_orders_own_window(sla_shop):
    order = make_order(sla_shop)
    with frozen(NOW):
        conversation, say = chat(order)
        say("这件衣服不想要了，怎么退货？")
    (reply,) = bot_replies(conversation)
    policy = policy_summary_text(shop=sla_shop, category=Category.CLOTHING, topic="return")
    assert reply.startswith(f"订单OD2026110401的羊毛双面大衣（服装）：{policy}")
    assert "您的订单签收于11月04日，无理由退货可在11月11日（含）前申请。" in reply
    assert "输入订单号和手机尾号" in reply
    assert Ticket.objects.count() == 0


def test_return_question_after_the_window_says_so(sla_shop):
    order = make_order(sla_shop)
    with frozen("2026-11-20 10:00"):
        conversation, say = chat(order)
        say("可以退货吗")
    (reply,) = bot_replies(conversation)
    assert "这笔订单已超过无理由退货期；如有质量问题，仍可申请售后。" in reply


def test_policy_question_for_a_named_category(sla_shop):
    order = make_order(sla_shop)
    with frozen(NOW):
        conversation, say = chat(order)
        say("化妆品退货运费谁出？")
        say("手机保修多久")
    shipping = policy_summary_text(shop=sla_shop, category=Category.COSMETICS, topic="shipping")
    warranty = policy_summary_text(shop=sla_shop, category=Category.MOBILE_PHONE, topic="warranty")
    assert bot_replies(conversation) == [f"{CATEGORY_ZH['cosmetics']}的售后政策：{shipping}",
                                         f"{CATEGORY_ZH['mobile_phone']}的售后政策：{warranty}"]


def test_policy_question_without_a_category_uses_the_customers_order(sla_shop):
    order = make_order(sla_shop, category=Category.ELECTRONICS, name="降噪蓝牙耳机")
    with frozen(NOW):
        conversation, say = chat(order)
        say("你们的售后政策是什么")
    return_text = policy_summary_text(shop=sla_shop, category=Category.ELECTRONICS, topic="return")
    assert bot_replies(conversation) == [f"{CATEGORY_ZH['electronics']}的售后政策：{return_text}"]


def test_wechat_stranger_gets_an_order_only_with_the_phones_last_four_digits(sla_shop):
    order = make_order(sla_shop, delivered=False)
    ShipmentFactory(order=order, carrier="ZTO", tracking_no="ZT778899", status="out_for_delivery",
                    shipped_at=at("2026-11-05 09:00"))
    with frozen(NOW):
        first = inbound_accept(shop=sla_shop, channel=Channel.WECHAT,
                               item=Inbound(external_id="wx-1", contact_handle="o_stranger", body="OD2026110401"))
        inbound_accept(shop=sla_shop, channel=Channel.WECHAT,
                       item=Inbound(external_id="wx-2", contact_handle="o_stranger", body="查快递 OD2026110401 5678"))
    replies = bot_replies(first.conversation)
    assert replies[0] == bot.ASK_ORDER
    assert replies[1].startswith("您的订单OD2026110401（羊毛双面大衣）：派送中，中通快递运单号 ZT778899。")
    conversation = Conversation.objects.get(pk=first.conversation.pk)
    assert list(conversation.orders.all()) == [order]
    assert conversation.customer_id == order.customer_id


# --- hand-off rules -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "reason", "label"), [
    ("你们就是骗子，我要投诉！", bot.ANGER, "顾客情绪激动/投诉"),
    ("什么垃圾东西", bot.ANGER, "顾客情绪激动/投诉"),
    ("再不处理我打12315", bot.ANGER, "顾客情绪激动/投诉"),
    ("到底怎么回事！！！", bot.ANGER, "顾客情绪激动/投诉"),
    ("转人工", bot.HUMAN, "顾客要求人工"),
    ("我要人工客服", bot.HUMAN, "顾客要求人工"),
    ("叫你们店长来", bot.HUMAN, "顾客要求人工"),
])
def test_anger_or_a_request_for_a_person_hands_over_at_once(sla_shop, text, reason, label):
    order = make_order(sla_shop)
    with frozen(NOW):
        conversation, say = chat(order)
        say(text)
    conversation.refresh_from_db()
    assert conversation.bot_active is False and local(conversation.handed_over_at) == NOW
    assert bot_replies(conversation) == [bot.HANDOFF_REPLY[reason]]
    ticket = Ticket.objects.get(conversation=conversation)
    assert ticket.status == TicketStatus.NEW and ticket.assignee_id is None
    assert ticket.priority == (Priority.HIGH if reason == bot.ANGER else Priority.NORMAL)
    assert handoff_notes(ticket) == [f"{label}（{text}）"]
    # the clock runs from the hand-off: web chat answers in 5 minutes
    assert local(ticket.first_response_due_at) == "2026-11-06 10:05"


def test_the_second_failed_answer_hands_over(sla_shop):
    order = make_order(sla_shop)
    with frozen(NOW) as clock:
        conversation, say = chat(order)
        first = say("那个东西的颜色是不是偏暗")
        assert first.ticket is None
        assert bot_replies(conversation) == [bot.NOT_UNDERSTOOD]
        assert Ticket.objects.count() == 0
        clock.move_to(at("2026-11-06 10:02"))
        say("说了你也不懂")
    conversation.refresh_from_db()
    assert conversation.bot_failures == 2 and conversation.bot_active is False
    assert bot_replies(conversation) == [bot.NOT_UNDERSTOOD, bot.HANDOFF_REPLY[bot.SECOND_FAILURE]]
    ticket = Ticket.objects.get(conversation=conversation)
    assert handoff_notes(ticket) == ["机器人两次未能解答（说了你也不懂）"]
    assert local(ticket.first_response_due_at) == "2026-11-06 10:07"


def test_an_answered_question_between_two_failures_still_counts_two(sla_shop):
    order = make_order(sla_shop)
    with frozen(NOW):
        conversation, say = chat(order)
        say("嗯嗯那个呢")
        say("怎么退货")
        assert Ticket.objects.count() == 0
        say("还有那个呢")
    assert Ticket.objects.filter(conversation=conversation).count() == 1
    assert bot_replies(conversation)[-1] == bot.HANDOFF_REPLY[bot.SECOND_FAILURE]


@pytest.mark.parametrize("tier", [MembershipTier.VIP, MembershipTier.GOLD])
def test_a_vip_goes_to_a_person_even_for_a_question_the_bot_could_answer(sla_shop, tier):
    order = make_order(sla_shop, tier=tier)
    with frozen(NOW):
        conversation, say = chat(order)
        say("快递到哪了")
    conversation.refresh_from_db()
    assert conversation.bot_active is False
    assert bot_replies(conversation) == [bot.HANDOFF_REPLY[bot.VIP]]
    ticket = Ticket.objects.get(conversation=conversation)
    assert ticket.priority == Priority.HIGH
    assert handoff_notes(ticket) == [f"VIP 顾客直接转人工（{order.customer.get_tier_display()}）"]


def test_an_angry_safety_report_keeps_its_urgent_priority(sla_shop):
    order = make_order(sla_shop, category=Category.ELECTRONICS, name="便携充电宝")
    with frozen(NOW):
        conversation, say = chat(order)
        say("充电宝充着电冒烟了，垃圾东西")
    ticket = Ticket.objects.get(conversation=conversation)
    assert ticket.category == TicketCategory.SAFETY
    assert ticket.priority == Priority.URGENT


def test_after_the_hand_off_the_bot_stays_quiet_and_the_ticket_waits_for_an_agent(sla_shop):
    order = make_order(sla_shop)
    with frozen(NOW) as clock:
        conversation, say = chat(order)
        say("转人工")
        clock.move_to(at("2026-11-06 10:01"))
        again = say("快递到哪了")
        say("你好")
        say("人工")
    assert bot_replies(conversation) == [bot.HANDOFF_REPLY[bot.HUMAN]]
    ticket = Ticket.objects.get(conversation=conversation)
    assert again.ticket.pk == ticket.pk
    assert ticket.status == TicketStatus.NEW and ticket.first_responded_at is None
    assert local(ticket.first_response_due_at) == "2026-11-06 10:05"
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == [K.CREATED, K.BOT_HANDOFF, K.MESSAGE_IN, K.MESSAGE_IN, K.MESSAGE_IN]
    assert "机器人转人工：顾客要求人工（转人工）" in TicketEvent.objects.get(ticket=ticket, kind=K.CREATED).note
    inbound = Message.objects.filter(conversation=conversation, direction=Direction.INBOUND).count()
    assert inbound == 4


def test_a_page_holding_the_conversation_from_before_the_hand_off_does_not_wake_the_bot(sla_shop):
    order = make_order(sla_shop)
    with frozen(NOW):
        conversation = webchat_start(order=order)
        stale = Conversation.objects.select_related("shop", "customer").get(pk=conversation.pk)
        assert stale.bot_active is True
        # meanwhile an agent takes the conversation over
        ticket_open_for_conversation(conversation=conversation, reason="客服主动接入")
        received = webchat_post(conversation=stale, body="快递到哪了")
    assert bot_replies(conversation) == []
    assert received.ticket is not None and received.ticket.conversation_id == conversation.pk


def test_greeting_and_thanks_are_answered_without_counting_as_failures(sla_shop):
    order = make_order(sla_shop)
    with frozen(NOW):
        conversation, say = chat(order)
        say("在吗")
        say("谢谢")
    conversation.refresh_from_db()
    assert bot_replies(conversation) == [bot.GREETING_REPLY.format(shop=sla_shop.name), bot.THANKS_REPLY]
    assert conversation.bot_failures == 0 and conversation.bot_active is True


# --- detection is pure ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "handoff", "intent", "topic", "category"), [
    ("我的包裹到哪了", "", bot.PARCEL, "", ""),
    ("衣服怎么退", "", bot.RETURN, "return", "clothing"),
    ("口红拆封了还能退吗", "", bot.RETURN, "return", "cosmetics"),
    ("耳机保修几年", "", bot.POLICY, "warranty", "electronics"),
    ("刚买就降价了", "", bot.POLICY, "price", ""),
    ("羽绒服能洗吗", "", bot.POLICY, "care", "clothing"),
    ("垃圾店铺，我要投诉", bot.ANGER, bot.UNKNOWN, "", ""),
    ("有人吗？我要找真人", bot.HUMAN, bot.UNKNOWN, "", ""),
    ("滚筒洗衣机怎么退", "", bot.RETURN, "return", ""),
    ("您好", "", bot.GREETING, "", ""),
    ("好的谢谢", "", bot.UNKNOWN, "", ""),
    ("谢谢", "", bot.THANKS, "", ""),
    ("颜色偏暗", "", bot.UNKNOWN, "", ""),
])
def test_detect(text, handoff, intent, topic, category):
    found = bot.detect(text)
    assert (found.handoff, found.intent, found.topic, found.category) == (handoff, intent, topic, category)


def test_an_opt_out_in_a_bot_chat_gets_the_opt_outs_answer_only(sla_shop, django_capture_on_commit_callbacks):
    """「退订」 is answered by the opt-out itself (notifications.chat_opt_out): the bot adding 「没听懂」 would
    contradict it, and it would count as a failed answer on the way to a hand-off."""
    from shouhou.notifications.services import CHAT_OPT_OUT_REPLY

    order = make_order(sla_shop)
    with frozen(NOW):
        conversation, say = chat(order)
        with django_capture_on_commit_callbacks(execute=True):
            say("退订")
    conversation.refresh_from_db()
    assert conversation.bot_failures == 0 and conversation.bot_active is True
    assert bot_replies(conversation) == [CHAT_OPT_OUT_REPLY.format(shop=sla_shop.name)]
    order.customer.refresh_from_db()
    assert order.customer.opted_out_at is not None


@pytest.mark.parametrize(("text", "intent", "topic"), [
    ("where is my parcel?", "parcel", ""), ("Where's my order", "parcel", ""), ("When will it arrive?", "parcel", ""),
    ("I want a refund", "return", "return"), ("Can I return this?", "return", "return"),
    ("How do I wash this sweater", "policy", "care"), ("Is there a warranty?", "policy", "warranty"),
    ("Hi there!", "greeting", ""), ("thank you very much", "thanks", ""),
])
def test_the_bot_understands_the_english_its_chat_page_invites(text, intent, topic):
    # the English chat page says "ask me where your parcel is"; before 2026-12-07 only Chinese words were read
    from shouhou.inbox.bot import detect

    got = detect(text)
    assert (got.intent, got.topic, got.handoff) == (intent, topic, "")
