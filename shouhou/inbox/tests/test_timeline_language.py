"""What the system writes on a ticket's timeline — triage's reasons (category, the words that decided it, the
priority and why) and a bot hand-off's reason — was stored as Chinese text and shown so to staff reading English
(「质量问题：开线；优先级：VIP 顾客（高）」 on the English desk and API). The note is still stored in Chinese (exports,
older readers); its codes are stored beside it (TicketEvent.data) and each reader is told it in their language.
The customer's own words stay as written."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation

from shouhou.commerce.choices import MembershipTier
from shouhou.core.testing.factories import CustomerFactory
from shouhou.inbox import bot
from shouhou.inbox.choices import Channel, Direction, TicketEventKind
from shouhou.inbox.models import Conversation, Message, TicketEvent
from shouhou.inbox.services import message_receive, ticket_open_for_conversation

CJK = re.compile(r"[\u4e00-\u9fff]")


def _created(ticket) -> TicketEvent:
    return TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.CREATED)


def _bot_chat(shop, body: str) -> Conversation:
    """A web chat the bot is still answering: the customer's message opened no ticket yet."""
    conversation = Conversation.objects.create(shop=shop, channel=Channel.WEB_CHAT, bot_active=True,
                                               customer=CustomerFactory(shop=shop))
    Message.objects.create(shop=shop, conversation=conversation, direction=Direction.INBOUND, body=body)
    return conversation


def _client(user, language: str) -> Client:
    c = Client()
    c.force_login(user)
    c.cookies["django_language"] = language
    return c


@pytest.mark.django_db
def test_triage_reasons_are_stored_in_chinese_and_said_in_the_readers_language(shop):
    vip = CustomerFactory(shop=shop, tier=MembershipTier.VIP)
    received = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="耳机充不进电", customer=vip)
    event = _created(received.ticket)
    # stored: the Chinese note as before (exports, older readers), and its codes
    assert event.note == "质量问题：充不进电；优先级：VIP 顾客（高）"
    assert event.data["reasons"][-1] == {"p": "vip"}
    with translation.override("zh-hans"):
        assert event.note_label == event.note
    with translation.override("en"):
        english = event.note_label
    # the customer's words stay as written; nothing else is Chinese
    assert english.endswith("Priority: VIP customer (high)") and "充不进电" in english
    assert not CJK.search(english.replace("充不进电", ""))


@pytest.mark.django_db
def test_a_public_threat_and_a_type_narrower_than_the_category_are_said_in_english(shop):
    received = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="你们卖假货，我要去12315投诉",
                               customer=CustomerFactory(shop=shop))
    event = _created(received.ticket)
    with translation.override("en"):
        english = event.note_label
    assert "the customer mentioned “12315” (high)" in english
    assert not CJK.search(re.sub(r"“[^”]*”|: [^;(]*$", "", english.split(";")[0]) + english.split(";")[-1]
                          .replace("12315", ""))


@pytest.mark.django_db
def test_a_bot_hand_off_reason_is_said_in_the_readers_language(shop):
    conversation = _bot_chat(shop, "我要找人工")
    result = bot.bot_handoff(conversation=conversation, reason=bot.HUMAN, note="我要找人工")
    handoff = TicketEvent.objects.get(ticket=result.ticket, kind=TicketEventKind.BOT_HANDOFF)
    assert handoff.note == "顾客要求人工（我要找人工）"
    with translation.override("en"):
        assert handoff.note_label == "Customer asked for a person (我要找人工)"
        created = _created(result.ticket).note_label
    assert created.startswith("Bot handed off to a person: Customer asked for a person (我要找人工)")
    assert _created(result.ticket).note.startswith("机器人转人工：顾客要求人工（我要找人工）")


@pytest.mark.django_db
def test_a_persons_own_hand_off_words_and_notes_from_before_stay_as_written(shop):
    conversation = _bot_chat(shop, "在吗")
    ticket = ticket_open_for_conversation(conversation=conversation, reason="客服主动接入")
    handoff = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.BOT_HANDOFF)
    with translation.override("en"):
        assert handoff.note_label == "客服主动接入"
        assert _created(ticket).note_label.startswith("Bot handed off to a person: 客服主动接入")
    # a row stored before this change has no codes: its note is shown as written
    TicketEvent.objects.filter(pk=handoff.pk).update(data={})
    handoff.refresh_from_db()
    with translation.override("en"):
        assert handoff.note_label == handoff.note


@pytest.mark.django_db
def test_the_desk_timeline_and_the_api_say_the_reasons_in_the_readers_language(shop, agent):
    vip = CustomerFactory(shop=shop, tier=MembershipTier.VIP)
    ticket = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="耳机充不进电", customer=vip).ticket
    zh_page = _client(agent, "zh-hans").get(f"/desk/t/{ticket.pk}/").content.decode()
    en_page = _client(agent, "en").get(f"/desk/t/{ticket.pk}/").content.decode()
    assert "优先级：VIP 顾客（高）" in zh_page
    assert "创建：质量问题 · 质量问题：充不进电" in zh_page  # the category (to_label) and the note beside it
    assert "Priority: VIP customer (high)" in en_page and "VIP 顾客（高）" not in en_page
    en_api = _client(agent, "en").get(f"/api/inbox/tickets/{ticket.pk}").json()
    zh_api = _client(agent, "zh-hans").get(f"/api/inbox/tickets/{ticket.pk}").json()
    (en_created,) = [e for e in en_api["events"] if e["kind"] == "created"]
    (zh_created,) = [e for e in zh_api["events"] if e["kind"] == "created"]
    assert en_created["note"].endswith("Priority: VIP customer (high)")
    assert zh_created["note"] == "质量问题：充不进电；优先级：VIP 顾客（高）"


@pytest.mark.django_db
def test_a_bot_failure_hands_over_and_says_so_in_the_readers_language(shop, monkeypatch):
    from shouhou.inbox.channels.inbound import bot_after_receive

    conversation = _bot_chat(shop, "我的快递呢")
    message = Message.objects.get(conversation=conversation)

    def broken(**_kwargs):
        raise RuntimeError("the bot broke")

    monkeypatch.setattr(bot, "bot_handle", broken)
    received = type("Received", (), {"conversation": conversation, "message": message})()
    bot_after_receive(received)  # no exception reaches the channel: the conversation goes to a person
    conversation.refresh_from_db()
    assert not conversation.bot_active and Message.objects.filter(pk=message.pk).exists()
    event = TicketEvent.objects.get(ticket__conversation=conversation, kind=TicketEventKind.BOT_HANDOFF)
    assert event.note == "机器人出错"
    with translation.override("en"):
        assert event.note_label == "The bot failed"


@pytest.mark.django_db
def test_the_systems_own_words_on_a_reply_and_a_reopening_are_said_in_the_readers_language(shop, agent):
    from shouhou.inbox.choices import TicketStatus
    from shouhou.inbox.services import ticket_reply, ticket_set_status

    customer = CustomerFactory(shop=shop)
    ticket = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="什么时候发货？", customer=customer).ticket
    ticket_reply(ticket=ticket, author=agent, body="亲，今天就发")  # takes the unassigned conversation
    ticket_set_status(ticket=ticket, status=TicketStatus.RESOLVED, actor=agent)
    message_receive(shop=shop, channel=Channel.WEB_CHAT, body="还有一个问题", customer=customer,
                    conversation=ticket.conversation)  # reopens it
    taken = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.ASSIGNED, data__said="taken_on_reply")
    reopened = TicketEvent.objects.get(ticket=ticket, kind=TicketEventKind.STATUS, data__said="customer_wrote")
    assert (taken.note, reopened.note) == ("回复时接手", "顾客来信，重新打开")  # stored as before
    with translation.override("en"):
        assert (taken.note_label, reopened.note_label) == ("Taken on replying", "The customer wrote: reopened")
    page = _client(agent, "en").get(f"/desk/t/{ticket.pk}/").content.decode()
    assert "Taken on replying" in page and "回复时接手" not in page and "The customer wrote: reopened" in page


@pytest.mark.django_db
def test_english_pages_use_english_punctuation_around_labels(shop, agent):
    """「Paused （remaining 68h 5m）」 and 「Reason：」 — full-width marks around translated words (a tester's round)."""
    from shouhou.inbox.choices import TicketStatus
    from shouhou.inbox.services import ticket_reply, ticket_set_status

    ticket = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="什么时候发货？",
                             customer=CustomerFactory(shop=shop)).ticket
    ticket_reply(ticket=ticket, author=agent, body="亲，请提供订单号")
    ticket_set_status(ticket=ticket, status=TicketStatus.PENDING_CUSTOMER, actor=agent)
    page = _client(agent, "en").get(f"/desk/t/{ticket.pk}/").content.decode()
    clock = re.search(r'data-testid="sla-clock".*?</span>\s*</span>', page, re.S).group(0)
    assert "Paused" in clock and " left)" in clock and "（" not in clock and "）" not in clock


@pytest.mark.django_db
def test_a_web_chats_subject_is_said_in_the_readers_language(shop, agent):
    from shouhou.inbox.models import Ticket

    ticket = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="什么时候发货？",
                             customer=CustomerFactory(shop=shop)).ticket
    Ticket.objects.filter(pk=ticket.pk).update(subject="在线咨询：订单 XL20261101001")  # as webchat_start names it
    page = _client(agent, "en").get(f"/desk/t/{ticket.pk}/").content.decode()
    assert "Web chat: order XL20261101001" in page and "在线咨询：订单" not in page
    ticket.refresh_from_db()
    with translation.override("zh-hans"):
        assert ticket.subject_label == "在线咨询：订单 XL20261101001"
    ticket.subject = "衣服起球了"  # the customer's own words stay as written
    assert ticket.subject_label == "衣服起球了"


@pytest.mark.django_db
def test_a_picture_sent_without_words_shows_no_chinese_label_on_the_desk(shop, agent):
    from django.core.files.base import ContentFile

    ticket = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="看图", customer=CustomerFactory(shop=shop)).ticket
    photo = Message.objects.create(shop=shop, conversation=ticket.conversation, direction=Direction.INBOUND,
                                   body="[图片]")
    photo.attachment.save("p.png", ContentFile(b"\x89PNG\r\n\x1a\n"), save=True)
    words = Message.objects.create(shop=shop, conversation=ticket.conversation, direction=Direction.INBOUND,
                                   body="[图片]")  # typed by the customer, no file: their words, shown
    page = _client(agent, "en").get(f"/desk/t/{ticket.pk}/").content.decode()
    assert page.count("[图片]") == 1 and photo.body_shown == "" and words.body_shown == "[图片]"
