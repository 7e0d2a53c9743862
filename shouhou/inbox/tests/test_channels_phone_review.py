"""Phone calls logged by agents (the call is the first response) and review replies in the inbox."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from shouhou.core.testing.factories import CustomerFactory, OrderFactory, ShopFactory
from shouhou.inbox.channels import deliver_outbound
from shouhou.inbox.channels.phone import CallLogError, phone_call_log
from shouhou.inbox.channels.review import review_conversation_open, review_reply_record
from shouhou.inbox.choices import Channel, Direction, TicketStatus
from shouhou.inbox.models import Conversation, Message, Ticket
from shouhou.reviews.models import Review

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 11, 6, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


# --- phone ------------------------------------------------------------------------------------------

def test_an_inbound_call_from_the_queue_page_opens_an_answered_ticket(agent_client, shop, agent):
    response = agent_client.post("/desk/call/", {"phone": "+86 138-0000-9999", "summary": "询问发货时间",
                                                 "direction": "inbound", "duration_seconds": "125"})
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/desk/t/{ticket.pk}/"
    assert ticket.channel == Channel.PHONE
    assert ticket.first_responded_at == NOW
    assert ticket.first_response_business_seconds == 0
    assert ticket.assignee == agent
    assert ticket.status == TicketStatus.OPEN
    conversation = ticket.conversation
    assert conversation.contact_handle == "13800009999"
    assert conversation.subject == "来电：138****9999"  # an unknown caller is shown masked
    inbound, outbound = Message.objects.filter(conversation=conversation).order_by("pk")
    assert (inbound.direction, inbound.body) == (Direction.INBOUND, "【来电 2分05秒】询问发货时间")
    assert outbound.direction == Direction.OUTBOUND
    assert outbound.author == agent
    assert outbound.body == "【来电已接通 · 通话 2分05秒】已在电话中答复顾客。"
    assert outbound.delivery_status == ""


def test_a_call_logged_later_keeps_the_call_time_as_first_response(shop, agent):
    customer = CustomerFactory(shop=shop, phone="13912345678", name="王女士")
    call_at = NOW - dt.timedelta(minutes=40)
    ticket = phone_call_log(shop=shop, agent=agent, summary="衣服尺码偏小，想换大一号", phone="13912345678",
                            duration_seconds=45, at=call_at)
    assert ticket.customer == customer
    assert ticket.created_at == call_at
    assert ticket.first_responded_at == call_at
    assert ticket.conversation.subject == "来电：王女士"


def test_a_second_call_continues_the_open_ticket(shop, agent):
    customer = CustomerFactory(shop=shop, phone="13912345678")
    order = OrderFactory(shop=shop, customer=customer)
    first = phone_call_log(shop=shop, agent=agent, summary="问物流", customer=customer, order=order)
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        second = phone_call_log(shop=shop, agent=agent, summary="又问物流", phone="13912345678",
                                direction="outbound", duration_seconds=30)
    assert second.pk == first.pk
    assert second.first_responded_at == NOW
    assert second.order == order
    assert Conversation.objects.count() == 1
    bodies = list(Message.objects.order_by("pk").values_list("body", flat=True))
    assert bodies[2] == "【去电 30秒】又问物流"


@pytest.mark.parametrize(("kw", "field", "message"), [
    ({"summary": ""}, "summary", "请填写通话内容摘要"),
    ({"phone": ""}, "phone", "请选择顾客或填写来电号码"),
    ({"direction": "sideways"}, "direction", "通话方向应为"),
    ({"duration_seconds": -5}, "duration_seconds", "通话时长不能为负数"),
    ({"phone": "12"}, "phone", "手机号"),
])
def test_bad_call_logs_are_refused_with_the_field(shop, agent, kw, field, message):
    args = {"summary": "问物流", "phone": "13800001111", **kw}
    with pytest.raises(CallLogError, match=message) as caught:
        phone_call_log(shop=shop, agent=agent, **args)
    assert caught.value.field == field
    assert not Ticket.objects.exists()


def test_a_customer_of_another_shop_is_refused(shop, agent):
    stranger = CustomerFactory(shop=ShopFactory(code="elsewhere"))
    with pytest.raises(CallLogError, match="顾客不属于当前店铺"):
        phone_call_log(shop=shop, agent=agent, summary="x", customer=stranger)


# --- review replies -----------------------------------------------------------------------------------

@pytest.fixture
def review(shop):
    customer = CustomerFactory(shop=shop)
    order = OrderFactory(shop=shop, customer=customer)
    return Review.objects.create(shop=shop, platform="douyin", external_id="rv-1", author_name="小鹿粉丝", rating=1,
                                 text="衣服洗一次就起球，质量太差", customer=customer, order=order,
                                 posted_at=NOW - dt.timedelta(hours=1))


def test_a_review_opens_one_conversation_with_a_ticket(review):
    conversation = review_conversation_open(review=review)
    again = review_conversation_open(review=review)
    assert again.pk == conversation.pk
    assert conversation.channel == Channel.REVIEW
    assert conversation.customer == review.customer
    assert list(conversation.orders.all()) == [review.order]
    message = Message.objects.get(conversation=conversation)
    assert message.direction == Direction.INBOUND
    assert message.body == "1星 衣服洗一次就起球，质量太差"
    assert message.external_id == f"review:{review.pk}"
    ticket = Ticket.objects.get(conversation=conversation)
    assert ticket.channel == Channel.REVIEW
    assert ticket.order == review.order
    assert ticket.created_at == review.posted_at


def test_the_posted_public_reply_is_the_tickets_response_and_is_recorded_once(review, agent):
    message = review_reply_record(review=review, text="非常抱歉给您带来不好的体验，已安排客服联系您处理。", author=agent)
    again = review_reply_record(review=review, text="非常抱歉给您带来不好的体验，已安排客服联系您处理。", author=agent)
    assert again.pk == message.pk
    assert message.direction == Direction.OUTBOUND
    assert message.external_id == f"review-reply:{review.pk}"
    ticket = Ticket.objects.get(channel=Channel.REVIEW)
    assert ticket.first_responded_at == NOW
    assert ticket.status == TicketStatus.OPEN
    assert Message.objects.filter(direction=Direction.OUTBOUND).count() == 1
    deliver_outbound(message_id=message.pk)  # the platform's back office carries it: nothing to send
    message.refresh_from_db()
    assert message.delivery_status == ""


def test_a_reply_after_the_ticket_closed_is_still_recorded(review, agent):
    conversation = review_conversation_open(review=review)
    Ticket.objects.filter(conversation=conversation).update(status=TicketStatus.CLOSED)
    message = review_reply_record(review=review, text="感谢反馈", author=agent)
    assert message.conversation == conversation
    assert message.direction == Direction.OUTBOUND
    assert Ticket.objects.filter(conversation=conversation).count() == 1


def test_a_reviews_ticket_names_the_problem_the_review_was_classified_as(shop):
    """The ticket reads the review's own type (classified on the whole review), so the desk's category and
    scripts agree with the recovery task; triage alone read 15 % of sample reviews otherwise."""
    from shouhou.inbox.choices import TicketCategory as Category

    review = Review.objects.create(shop=shop, platform="douyin", external_id="rv-pack", author_name="a", rating=2,
                                   text="盒子压扁了，衣服还起球", complaint_type="packaging",
                                   posted_at=NOW - dt.timedelta(hours=1))
    ticket = Ticket.objects.get(conversation=review_conversation_open(review=review))
    assert (ticket.category, ticket.complaint_type) == (Category.LOGISTICS, "packaging")


def test_safety_words_still_come_before_the_reviews_type(shop):
    from shouhou.inbox.choices import TicketCategory as Category

    review = Review.objects.create(shop=shop, platform="douyin", external_id="rv-safe", author_name="a", rating=1,
                                   text="孩子用了以后皮肤过敏起红疹", complaint_type="quality_defect",
                                   posted_at=NOW - dt.timedelta(hours=1))
    ticket = Ticket.objects.get(conversation=review_conversation_open(review=review))
    assert ticket.category == Category.SAFETY
