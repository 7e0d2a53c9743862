"""A customer who asks about a possible harm, or names a hospital as a place, reports no harm (a tester's messages,
all triaged as urgent safety cases): a question about safety is a usage question of normal priority, its words
named on the ticket; a report of harm — with a question mark or not — stays safety and urgent.

And a customer saying nobody answers is a service complaint first, with its type (「你们客服不理人…退货申请被拒了」
tied with the return words, went to return_request with an empty complaint type, and was offered 七天无理由
scripts instead of an apology)."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from shouhou.inbox.choices import Channel, Priority, TicketCategory
from shouhou.inbox.triage import describe, read, triage

C = TicketCategory
CJK = re.compile(r"[\u4e00-\u9fff]")

# (message, the safety word asked about)
SAFETY_QUESTIONS = [
    ("宝宝能用吗？会不会过敏", "过敏"),
    ("这款有甲醛吗", "甲醛"),
    ("请问这个充电宝会鼓包吗", "鼓包"),
    ("会不会拉肚子啊，孩子能吃吗", "拉肚子"),
    ("有没有甲醛，孩子能穿吗", "甲醛"),
    ("这个保温杯是否含铅，会不会中毒", "中毒"),
    ("吃了会不会拉肚子", "拉肚子"),
    ("万一过敏了能退吗", "过敏"),
    ("怕孩子过敏，能先试用吗", "过敏"),
]


@pytest.mark.parametrize(("text", "word"), SAFETY_QUESTIONS)
def test_a_question_about_a_possible_harm_is_no_urgent_safety_case(text, word):
    result = triage(text=text, channel=Channel.WEB_CHAT)
    assert result.category != C.SAFETY
    assert result.priority == Priority.NORMAL
    # still noticed: the word asked about is on the ticket, said as a question, not as a harm
    assert {"q": [word]} in result.records
    assert "询问安全风险，未报告伤害：" + word in result.reasons


@pytest.mark.parametrize("text", ["宝宝能用吗？会不会过敏", "这款有甲醛吗", "请问这个充电宝会鼓包吗",
                                  "会不会拉肚子啊，孩子能吃吗", "有没有甲醛，孩子能穿吗"])
def test_a_pre_sale_question_about_safety_is_a_usage_question(text):
    category, ctype, _reasons = read(text)
    assert (category, ctype) == (C.USAGE, "usage_question")


def test_a_question_about_safety_next_to_a_complaint_keeps_the_complaint():
    result = triage(text="衣服开线了，会不会有甲醛", channel=Channel.WEB_CHAT)
    assert (result.category, result.priority) == (C.QUALITY, Priority.NORMAL)
    assert result.reasons == ["质量问题：开线", "询问安全风险，未报告伤害：甲醛", "优先级：普通"]


@pytest.mark.parametrize(("text", "category"), [
    ("给住院的妈妈买的，什么时候能到", C.LOGISTICS),
    ("我在医院上班，能不能放驿站", C.LOGISTICS),
    ("快递能寄到医院吗", C.LOGISTICS),
])
def test_a_hospital_as_a_place_or_a_recipient_is_no_harm(text, category):
    result = triage(text=text, channel=Channel.WEB_CHAT)
    assert (result.category, result.priority) == (category, Priority.NORMAL)
    assert not any("q" in r for r in result.records)  # not a safety question either: just where, or for whom


REPORTS = [
    "孩子用了以后过敏了",
    "充电宝鼓包了",
    "吃了拉肚子",
    "宝宝用完起疹子，现在在医院",
    "用了之后起疹子了，怎么办？",
    "孩子吃了拉肚子，你们管不管？",
    "宝宝吃了过敏能退吗",
    "请问宝宝吃了过敏怎么办",
    "请问宝宝起疹子怎么处理",
    "孩子吃了你们的果冻，现在在医院",
    "喝了你们的奶粉住院了",
    "孩子被送到医院了",
    "这衣服甲醛超标吧，味道熏得头疼",
    "居然有甲醛！检测出来超标",
    "用了你们的面膜烂脸了，怎么赔？",
    "充电宝充电的时候鼓包了，会不会爆炸啊？",
    "是不是有毒啊？吃完一直呕吐",
    "我孩子吃了以后呕吐拉肚子，是不是你们食品有问题？",
    "打开就闻到刺鼻的味道，有甲醛吗？孩子用了眼睛红肿",
    "宝宝误吞了一个小零件！！怎么办",
    "可怕的是孩子全身过敏",
    "我在医院上班，用了你们的护手霜手上红肿",
]


@pytest.mark.parametrize("text", REPORTS)
def test_a_report_of_harm_stays_urgent_safety_question_mark_or_not(text):
    result = triage(text=text, channel=Channel.EMAIL)  # a slow channel: safety is urgent all the same
    assert (result.category, result.priority) == (C.SAFETY, Priority.URGENT)
    assert result.reasons[-1] == "优先级：安全问题优先（紧急）"
    assert not any("q" in r for r in result.records)


def test_the_safety_question_is_said_in_the_readers_language():
    records = triage(text="这款有甲醛吗", channel=Channel.WEB_CHAT).records
    with translation.override("en"):
        english = describe(records)
    assert english[1].endswith("甲醛")
    assert not CJK.search(" ".join(english).replace("甲醛", ""))
    with translation.override("zh-hans"):
        assert describe(records) == ["使用咨询", "询问安全风险，未报告伤害：甲醛", "优先级：普通"]


# --- nobody answers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "你们客服不理人，发了好几条消息了，退货申请被拒了",
    "发了好几条消息没人理，我要退货",
    "退款申请了三天，客服不回消息",
])
def test_a_customer_nobody_answers_is_a_service_complaint_with_its_type(text):
    result = triage(text=text, channel=Channel.WEB_CHAT)
    assert (result.category, result.complaint_type) == (C.SERVICE_COMPLAINT, "service_attitude")
    assert result.reasons[0].startswith("服务投诉：")


@pytest.mark.django_db
def test_the_unanswered_customers_ticket_is_offered_an_apology_first(shop):
    from shouhou.inbox.scripts import scripts_install_defaults, scripts_suggest
    from shouhou.inbox.services import message_receive

    scripts_install_defaults(shop=shop)
    ticket = message_receive(shop=shop, channel=Channel.WEB_CHAT, contact_handle="buyer-unanswered",
                             body="你们客服不理人，发了好几条消息了，退货申请被拒了").ticket
    ticket.refresh_from_db()
    assert (ticket.category, ticket.complaint_type) == (C.SERVICE_COMPLAINT, "service_attitude")
    assert scripts_suggest(ticket=ticket)[0].title == "服务态度：道歉并接手"
