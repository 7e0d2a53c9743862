"""Negative reviews open recovery tasks with a clock; each step is checked against guards and policy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from shouhou.accounts.actors import SYSTEM
from shouhou.accounts.choices import Role
from shouhou.core.testing.factories import (
    CustomerFactory,
    LiveSessionFactory,
    MembershipFactory,
    OrderFactory,
    OrderLineFactory,
    UserFactory,
)
from shouhou.inbox.choices import Channel, Direction
from shouhou.inbox.models import Conversation, Ticket
from shouhou.notifications.models import OutboundMessage
from shouhou.reviews import services
from shouhou.reviews.models import CommunityAlert, RecoveryEvent, RecoveryTask, ReferralReward, Review
from shouhou.reviews.services import ReviewInput, ReviewRefused, reviews_ingest
from shouhou.reviews.tests.factories import CommunityGroupFactory

SH = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=SH)


@pytest.fixture
def order(shop):
    session = LiveSessionFactory(shop=shop, title="双十一宠粉专场")
    o = OrderFactory(shop=shop, order_no="DY2026112000001", live_session=session)
    OrderLineFactory(order=o, line_key="L-1", product_name="法兰绒睡衣")
    OrderLineFactory(order=o, line_key="L-2", product_name="珊瑚绒袜子")
    return o


def _ingest(shop, *texts, **kw):
    return reviews_ingest(shop=shop, actor=SYSTEM, items=[ReviewInput(text=t, **kw) for t in texts])


@time_machine.travel(NOW, tick=False)
def test_negative_review_opens_task_linked_to_order_line_and_live_session(shop, order):
    # given a review on a known order, naming the second line
    result = _ingest(shop, "睡衣质量太差了，穿了一次就开线", order_no="DY2026112000001", line_key="L-2",
                     platform="douyin", external_id="r1", rating=1)
    # then it is linked, classified and has a task due in 24 hours
    review = Review.objects.get(pk=result.created[0].pk)
    assert (review.order_id, review.order_line.line_key, review.live_session.title) == (order.pk, "L-2", "双十一宠粉专场")
    assert review.customer_id == order.customer_id
    assert (review.sentiment, review.complaint_type) == (0, "quality_defect")
    task = review.recovery
    assert task.status == "open" and task.breached is False
    assert task.due_at == NOW + dt.timedelta(hours=24)
    assert task.suggested_reply and "抱歉" in task.suggested_reply
    assert list(task.events.values_list("kind", flat=True)) == ["opened"]
    assert result.tasks == 1


def test_positive_review_opens_no_task_and_unknown_order_stays_unlinked(shop):
    result = _ingest(shop, "很好看，面料舒服，主播推荐的果然没错", order_no="NOPE-1")
    review = result.created[0]
    assert review.sentiment == 1 and review.complaint_type == "none"
    assert review.order_id is None and review.order_no == "NOPE-1"
    assert RecoveryTask.objects.count() == 0


def test_low_rating_counts_as_negative_even_with_mild_words(shop):
    review = _ingest(shop, "还行吧", rating=1).created[0]
    assert review.sentiment == 0
    assert RecoveryTask.objects.filter(review=review).exists()


def test_shop_setting_changes_the_clock(shop):
    shop.settings = {"review_recovery_hours": 4}
    shop.save()
    with time_machine.travel(NOW, tick=False):
        task = _ingest(shop, "太差了，垃圾").created[0].recovery
    assert task.due_at == NOW + dt.timedelta(hours=4)


def test_washing_misunderstanding_gets_explanation_not_refund(shop, agent):
    task = _ingest(shop, "毛衣用热水洗了一次就缩水起球了，太差").created[0].recovery
    assert task.is_misunderstanding is True
    assert "冷水手洗" in task.suggested_reply
    with pytest.raises(ReviewRefused, match="误会"):
        services.recovery_set_remedy(task=task, remedy="refund", amount=Decimal("20"), actor=agent)
    services.recovery_set_remedy(task=task, remedy="explanation", actor=agent, note="发送护理卡片")
    task.refresh_from_db()
    assert task.remedy == "explanation"
    # when a person confirms it really is a defect, the policy remedies open up
    services.recovery_set_remedy(task=task, remedy="exchange", actor=agent, override_misunderstanding=True)
    task.refresh_from_db()
    assert task.remedy == "exchange"


def test_public_reply_refuses_review_bribes_and_defensive_words(shop, agent):
    task = _ingest(shop, "质量太差，穿一次就开线").created[0].recovery
    with pytest.raises(ReviewRefused, match="合规"):
        services.recovery_reply_public(task=task, text="亲，删差评返现20元", actor=agent)
    with pytest.raises(ReviewRefused, match="推诿"):
        services.recovery_reply_public(task=task, text="这不是我的问题，是厂家的事", actor=agent)
    with pytest.raises(ReviewRefused, match="不能为空"):
        services.recovery_reply_public(task=task, text="  ", actor=agent)
    task.refresh_from_db()
    assert task.status == "open" and task.public_reply == ""
    assert not Conversation.objects.filter(channel=Channel.REVIEW).exists()
    services.recovery_reply_public(task=task, text=task.suggested_reply, actor=agent)
    task.refresh_from_db()
    assert task.status == "in_progress" and task.public_replied_at is not None
    # the review and the reply are in the inbox, on the review channel, and the reply answered its ticket
    conversation = Conversation.objects.get(channel=Channel.REVIEW)
    assert [(m.direction, m.body) for m in conversation.messages.order_by("pk")][1:] == [
        (Direction.OUTBOUND, task.suggested_reply)]
    assert "穿一次就开线" in conversation.messages.order_by("pk").first().body
    ticket = Ticket.objects.get(conversation=conversation)
    assert ticket.first_responded_at is not None


def test_remedy_follows_policy_and_approval_limit(shop, agent, supervisor):
    task = _ingest(shop, "尺码偏小，穿不上").created[0].recovery
    assert task.review.complaint_type == "size_fit"
    with pytest.raises(ReviewRefused, match="可选的补救方案"):
        services.recovery_set_remedy(task=task, remedy="coupon", amount=Decimal("5"), actor=agent)
    task2 = _ingest(shop, "质量太差了，坏了").created[0].recovery
    with pytest.raises(ReviewRefused, match="需要填写金额"):
        services.recovery_set_remedy(task=task2, remedy="refund", actor=agent)
    # the agent's own 50 is capped by the policy's agent_approval_limit (20), as on a case
    with pytest.raises(ReviewRefused, match="超过您的审批额度 20 元"):
        services.recovery_set_remedy(task=task2, remedy="refund", amount=Decimal("80"), actor=agent)
    services.recovery_set_remedy(task=task2, remedy="refund", amount=Decimal("80"), actor=supervisor)
    task2.refresh_from_db()
    assert (task2.remedy, task2.remedy_amount) == ("refund", Decimal("80.00"))


@pytest.mark.parametrize(("typed", "error"), [("NaN", "金额必须是有限的数字"), ("1e30", "金额过大"),
                                             ("12.345", "金额最多两位小数")])
def test_a_bad_remedy_amount_is_named_and_the_task_page_still_opens(shop, supervisor, typed, error):
    from django.test import Client

    # given a task for a broken item, when a supervisor types an amount that is not fen-exact and finite
    task = _ingest(shop, "质量太差了，坏了").created[0].recovery
    c = Client(raise_request_exception=False)
    c.force_login(supervisor)
    r = c.post(f"/reviews/tasks/{task.pk}/remedy/", {"remedy": "refund", "amount": typed})
    # then the page says what is wrong (answered on the spot, with the amount typed: test_walk_round9.py),
    # nothing is stored and the task still opens
    assert r.status_code == 400 and error in r.content.decode()
    task.refresh_from_db()
    assert (task.remedy, task.remedy_amount) == ("", None)
    assert c.get(f"/reviews/tasks/{task.pk}/").status_code == 200


def test_close_outcomes(shop, agent):
    t1, t2, t3 = (r.recovery for r in _ingest(shop, "太差了，垃圾", "物流太慢了", "客服态度很差").created)
    with pytest.raises(ReviewRefused, match="先公开回复或私下联系"):
        services.recovery_close(task=t1, outcome="resolved", actor=agent)
    services.recovery_contact(task=t1, note="电话联系，顾客同意换货", actor=agent)
    services.recovery_close(task=t1, outcome="resolved", actor=agent)
    services.recovery_reply_public(task=t2, text="亲，抱歉物流让您久等了，我们已联系快递核实", actor=agent)
    with pytest.raises(ReviewRefused, match="新的评分"):
        services.recovery_close(task=t2, outcome="rating_updated", actor=agent)
    services.recovery_close(task=t2, outcome="rating_updated", new_rating=5, actor=agent)
    services.recovery_close(task=t3, outcome="no_answer", actor=agent)
    got = {t.pk: (t.status, t.outcome, t.new_rating) for t in RecoveryTask.objects.all()}
    assert got == {t1.pk: ("closed", "resolved", None), t2.pk: ("closed", "rating_updated", 5),
                   t3.pk: ("closed", "no_answer", None)}
    with pytest.raises(ReviewRefused, match="已结束"):
        services.recovery_contact(task=t3, note="再联系一次", actor=agent)
    assert list(RecoveryEvent.objects.filter(task=t1).values_list("kind", flat=True)) == ["opened", "contacted", "closed"]


def test_closing_the_recovery_settles_its_inbox_ticket(shop, agent):
    won, silent = (r.recovery for r in _ingest(shop, "物流太慢了", "客服态度很差").created)
    for task in (won, silent):
        services.recovery_reply_public(task=task, text="亲，非常抱歉，我们马上为您处理", actor=agent)
    tickets = {t.conversation.external_id: t for t in Ticket.objects.filter(channel=Channel.REVIEW)}
    assert {t.status for t in tickets.values()} == {"open"}
    services.recovery_close(task=won, outcome="rating_updated", new_rating=5, actor=agent)
    services.recovery_close(task=silent, outcome="no_answer", actor=agent)
    won_ticket = Ticket.objects.get(pk=tickets[f"review:{won.review_id}"].pk)
    silent_ticket = Ticket.objects.get(pk=tickets[f"review:{silent.review_id}"].pk)
    assert won_ticket.status == "resolved" and won_ticket.resolved_at is not None
    assert silent_ticket.status == "closed"
    assert won_ticket.events.filter(to_value="resolved", note="差评挽回结束：顾客已更新评价").exists()


def test_breach_sweep_marks_overdue_open_tasks_once(shop, agent):
    with time_machine.travel(NOW, tick=False):
        a, b = (r.recovery for r in _ingest(shop, "太差了", "质量不行，坏了").created)
        services.recovery_contact(task=b, note="已联系", actor=agent)
        services.recovery_close(task=b, outcome="resolved", actor=agent)
    with time_machine.travel(NOW + dt.timedelta(hours=23), tick=False):
        assert services.recovery_sweep_breaches() == 0
    with time_machine.travel(NOW + dt.timedelta(hours=25), tick=False):
        assert services.recovery_sweep_breaches() == 1
        assert services.recovery_sweep_breaches() == 0
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.breached, b.breached) == (True, False)
    assert RecoveryEvent.objects.filter(task=a, kind="breached").count() == 1


def test_group_messages_alert_the_admin(shop):
    admin = UserFactory(username="qunzhu")
    group = CommunityGroupFactory(shop=shop, external_id="wx-123", name="小鹿宝妈群", admin=admin)
    result = reviews_ingest(shop=shop, actor=SYSTEM, items=[
        ReviewInput(text="群里买的面膜用了过敏，脸都红了，太差了", kind="group_message", group_external_id="wx-123",
                    external_id="m1", platform="group"),
        ReviewInput(text="今天的福利好划算，已下单", kind="group_message", group_external_id="wx-123",
                    external_id="m2", platform="group"),
    ])
    assert result.alerts == 1 and result.tasks == 0
    alert = CommunityAlert.objects.get()
    assert alert.group == group and "过敏" in alert.message.text
    note = OutboundMessage.objects.get(trigger="community_negative")
    assert "小鹿宝妈群" in note.body and note.context["admin"] == "qunzhu"
    # the same message again creates nothing
    again = reviews_ingest(shop=shop, actor=SYSTEM, items=[ReviewInput(text="群里买的面膜用了过敏", kind="group_message",
                                                         group_external_id="wx-123", external_id="m1", platform="group")])
    assert (again.duplicates, CommunityAlert.objects.count(), OutboundMessage.objects.count()) == (1, 1, 1)


def test_unknown_group_is_created_on_first_message(shop):
    reviews_ingest(shop=shop, actor=SYSTEM, items=[ReviewInput(text="发货太慢了，等了一周", kind="group_message",
                                                 group_external_id="wx-new", group_name="新粉丝群")])
    assert CommunityAlert.objects.get().group.name == "新粉丝群"


def test_showcase_only_good_reviews(shop, agent):
    good, bad = _ingest(shop, "非常好，推荐购买", "垃圾，差评").created
    services.review_showcase_set(review=good, showcased=True, actor=agent)
    with pytest.raises(ReviewRefused, match="只有正面评价"):
        services.review_showcase_set(review=bad, showcased=True, actor=agent)
    assert list(Review.objects.filter(is_showcased=True)) == [good]


def test_referral_reward_points_once_per_order(shop):
    referrer = CustomerFactory(shop=shop, points=100)
    friend = CustomerFactory(shop=shop)
    order = OrderFactory(shop=shop, customer=friend)
    reward, created = services.referral_reward_record(actor=SYSTEM, shop=shop, referrer=referrer, friend=friend, order=order,
                                                      kind="points", points=50)
    again, created_again = services.referral_reward_record(actor=SYSTEM, shop=shop, referrer=referrer, friend=friend, order=order,
                                                           kind="points", points=50)
    referrer.refresh_from_db()
    assert (created, created_again, again.pk == reward.pk, referrer.points) == (True, False, True, 150)
    coupon, _ = services.referral_reward_record(actor=SYSTEM, shop=shop, referrer=referrer, friend=friend,
                                                order=OrderFactory(shop=shop, customer=friend), kind="coupon",
                                                coupon_amount=Decimal("10"))
    assert coupon.coupon_amount == Decimal("10") and ReferralReward.objects.count() == 2
    with pytest.raises(ReviewRefused, match="不是被推荐好友"):
        services.referral_reward_record(actor=SYSTEM, shop=shop, referrer=referrer, friend=friend,
                                        order=OrderFactory(shop=shop), kind="points", points=5)
    with pytest.raises(ReviewRefused, match="不能推荐自己"):
        services.referral_reward_record(actor=SYSTEM, shop=shop, referrer=friend, friend=friend, order=order, kind="points", points=5)


def test_set_based_ingest_uses_a_fixed_number_of_queries(shop, order, django_assert_max_num_queries):
    items = [ReviewInput(text=f"第{i}条：质量太差了，开线", order_no="DY2026112000001", platform="douyin",
                         external_id=f"q{i}") for i in range(60)]
    with django_assert_max_num_queries(15):
        result = reviews_ingest(shop=shop, actor=SYSTEM, items=items)
    assert (len(result.created), result.tasks) == (60, 60)


def test_membership_role_from_factory_is_agent(shop, agent):
    assert MembershipFactory._meta.model.objects.get(user=agent).role == Role.AGENT


def test_a_low_rating_whose_words_read_positive_gets_its_type_as_reclassify_reads_it(shop):
    # 「没有质量问题，就是尺码偏小」 reads positive; at one star it is negative, and its type was stored "other"
    # until `reviews reclassify` ran — the Pareto counted a size problem as "other" meanwhile
    review = _ingest(shop, "没有质量问题，就是尺码偏小", rating=1).created[0]
    review.refresh_from_db()
    assert (review.sentiment, review.complaint_type) == (0, "size_fit")
    assert services.reviews_reclassify_types(shop=shop) == 0


def test_a_refused_remedy_reads_in_the_agents_language(shop, agent):
    # a refused return (after_sales) takes a refund or exchange, never a coupon — said in English in English mode
    from django.utils import translation

    task = _ingest(shop, "申请退货三次都被拒绝，客服说不给退，七天无理由都不给").created[0].recovery
    assert task.review.complaint_type == "after_sales"
    with translation.override("en"), pytest.raises(ReviewRefused) as refused:
        services.recovery_set_remedy(task=task, remedy="coupon", amount=Decimal("5"), actor=agent)
    said = str(refused.value)
    assert said.startswith("For this bad review (After-sales handling") and "the policy allows: " in said
    assert "Refund" in said and "Coupon" not in said and "、" not in said
    services.recovery_set_remedy(task=task, remedy="refund", amount=Decimal("20"), actor=agent)


def test_a_review_without_chinese_is_not_read_as_a_complaint_unless_its_stars_say_so(shop):
    """The model learnt from Chinese reviews only and read every English or number-only text as negative
    (「Great product, love it!」 a `dislike` with a recovery task, 「666」 a complaint in the Pareto). Such a text is
    scored as an empty one; a one-star rating still makes it a complaint, of type `other`."""
    from shouhou.reviews.classifier.whole import classify_whole

    praise = ["Great product, love it! Fast delivery.", "666", "good", "ok"]
    assert [(p.sentiment, p.sentiment_score, p.complaint_type) for p in classify_whole(praise)] == \
        [(1, 0.5, "none")] * len(praise)
    # an emoji is read (it becomes 赞/差), and a Chinese text among English words as before
    thumbs_down, mixed = classify_whole(["👎👎", "Very bad, 质量太差了，开线"])
    assert thumbs_down.sentiment == 0 and mixed.complaint_type == "quality_defect"
    result = _ingest(shop, *praise)
    assert result.tasks == 0 and all(r.complaint_type == "none" for r in result.created)
    rated = _ingest(shop, "Terrible, broke after two days", rating=1)
    review = rated.created[0]
    assert (review.sentiment, review.complaint_type, rated.tasks) == (0, "other", 1)


@time_machine.travel(NOW, tick=False)
def test_reclassify_right_after_ingest_changes_nothing_for_reviews_with_line_breaks(shop):
    # ingest reads a text whole (line breaks dropped, whole.classify_whole); reclassify read the normalised
    # text, where a break is a space, and changed the stored type: 「书的内容很好⏎但是是盗版⏎印刷模糊」 went
    # quality_defect → counterfeit, 「直播间抽奖说我中奖了，⏎到现在奖品也没寄」 logistics → after_sales
    texts = ["书的内容很好\n但是是盗版\n印刷模糊", "直播间抽奖说我中奖了，\n到现在奖品也没寄",
             "没有任何质量问题\n就是大小不合适\n想换个码\n商家说不能换", "衣服太大了\n像穿了个麻袋\n客服推荐的尺码一点都不准",
             "页面写的是8G内存，\n到手只有4G", "物流太慢，\ndelivery took 10 days"]
    created = _ingest(shop, *texts).created
    before = {r.pk: (r.sentiment, r.complaint_type, r.complaint_others, r.aspect) for r in created}
    assert sum(1 for s, *_ in before.values() if s == 0) >= 5
    assert services.reviews_reclassify_types(shop=shop) == 0
    after = {r.pk: (r.sentiment, r.complaint_type, r.complaint_others, r.aspect) for r in Review.objects.filter(shop=shop)}
    assert after == before
