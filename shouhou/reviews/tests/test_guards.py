"""Compliance guard (no reward for reviews) and quality inspection of agents' replies."""

from __future__ import annotations

from decimal import Decimal

import pytest

from shouhou.reviews.guards import guard_outgoing, inspect_reply
from shouhou.reviews.scripts import EXPLANATION_SCRIPTS, PUBLIC_REPLY_SCRIPTS

BLOCKED = [
    # plain offers for a good review / five stars
    ("好评返现", "好评"),
    ("亲，五星好评送红包哦~", "好评"),
    ("收到货给个五星好评，联系客服领取5元红包", "好评"),
    ("全五星好评截图发客服返3元", "好评"),
    ("晒图评价领取小礼品一份", "好评"),
    ("带图评价满20字，返2元现金", "好评"),
    ("好评后私聊客服领优惠券", "好评"),
    ("给个好评，下次下单送积分", "好评"),
    ("默认好评的亲们可以找客服领红包哦", "好评"),
    ("🧧等你拿，只需五星好评", "好评"),
    ("给个⭐⭐⭐⭐⭐就返5元", "好评"),
    ("好评有礼！", "好评"),
    ("5星好评返现金", "好评"),
    ("感谢亲的好评，送您一张10元券", "好评"),
    ("好评截图找客服，有小惊喜哦", "好评"),
    ("五星好评可返", "好评"),
    # deleting / changing a bad review
    ("删差评返现10元", "删除或修改差评"),
    ("麻烦您把差评改一下，我们给您补偿20元红包", "删除或修改差评"),
    ("亲，能否帮忙删除评价，我们给您退5块钱", "删除或修改差评"),
    ("中评改成好评的话，给您返10元", "删除或修改差评"),
    ("撤销差评后我们立刻转账给您", "删除或修改差评"),
    # appending
    ("追评有礼", "追评"),
    ("追加评价晒图，再送一份赠品", "追评"),
    # pinyin, abbreviations, homophones, spacing, symbols, traditional, full width
    ("hp返x", "好评"),
    ("HP返现", "好评"),
    ("haoping fanxian", "好评"),
    ("hǎo píng fǎn xiàn", "好评"),
    ("好平返现", "好评"),
    ("好 评 返 现", "好评"),
    ("好*评*返*现", "好评"),
    ("好-评-送-红-包", "好评"),
    ("好評返現", "好评"),
    ("五星好評送紅包", "好评"),
    ("ｈｐ返ｘ", "好评"),
    ("好评返hb", "好评"),
    ("删cp返现", "删除或修改差评"),
    ("shan差评fx", "删除或修改差评"),
]

ALLOWED = [
    "感谢您的好评！期待您再次光临～",
    "非常抱歉，我们为您补发一件并补偿5元红包",
    "给您补偿一张10元优惠券，与评价无关，不需要您修改评价",
    "无论您是否修改评价，补偿都会照常发放",
    "这次的问题是我们的责任，已为您申请10元无门槛券，您的评价请按真实感受填写即可，不影响补偿",
    "我们店铺绝不搞好评返现，请放心购买",
    "包裹已送达，感谢好评",
    "关于差评中提到的破损问题，给您补偿10元红包",
    "您的包裹明天送到，请注意查收",
    "会员积分已到账，下单可抵扣",
    "双十一下单送运费险",
    "亲，收到商品后有任何问题随时联系我们",
    "HP打印机墨盒已为您补发",
    "收到好评我们很开心，返厂维修的件已经寄出",
    "",
]


@pytest.mark.parametrize("text, reason_word", BLOCKED)
def test_guard_blocks_reward_for_review(text, reason_word):
    result = guard_outgoing(text)
    assert result.allowed is False
    assert len(result.reasons) >= 1
    assert reason_word in result.reasons[0]
    assert "不得以" in result.reasons[0]


@pytest.mark.parametrize("text", ALLOWED)
def test_guard_allows_compensation_that_does_not_depend_on_a_review(text):
    assert guard_outgoing(text).allowed is True
    assert guard_outgoing(text).reasons == []


def test_guard_reason_names_the_reward_kind():
    assert "红包" in guard_outgoing("五星好评送红包").reasons[0]
    assert "优惠券" in guard_outgoing("好评领优惠券").reasons[0]
    assert "积分" in guard_outgoing("好评送积分").reasons[0]
    assert "返现或金钱" in guard_outgoing("好评返现").reasons[0]


@pytest.mark.parametrize("script", [s for scripts in PUBLIC_REPLY_SCRIPTS.values() for s in scripts]
                         + list(EXPLANATION_SCRIPTS.values()))
def test_our_own_scripts_pass_both_guards(script):
    assert guard_outgoing(script).allowed
    assert inspect_reply(script, limit=Decimal("50")) == []


FLAGGED = [
    ("我管不了，你找平台吧", "blame_shifting"),
    ("这不是我的问题", "blame_shifting"),
    ("这是快递的问题，跟我们没关系", "blame_shifting"),
    ("这属于快递的责任，您去找快递", "blame_shifting"),
    ("你自己去找快递公司处理吧", "blame_shifting"),
    ("我只是个客服，我也没办法", "blame_shifting"),
    ("质量问题那是厂家的事", "blame_shifting"),
    ("您自己没看详情页吗？", "arguing"),
    ("明明写了不支持七天无理由", "arguing"),
    ("我都说了多少遍了", "arguing"),
    ("是您自己洗错了才缩水的", "arguing"),
    ("不满意你可以去投诉", "arguing"),
    ("爱买不买", "arguing"),
    ("你这种顾客我见多了", "arguing"),
    ("你是在无理取闹", "arguing"),
    ("滚", "rude"),
    ("你有病吧", "rude"),
    ("脑子进水了吗", "rude"),
    ("烦不烦啊", "rude"),
    ("穷就别买", "rude"),
    ("保证明天到", "over_promise"),
    ("肯定今天就能送达", "over_promise"),
    ("48小时内保证到货", "over_promise"),
    ("我们双倍赔偿", "over_promise"),
    ("假一赔十", "over_promise"),
    ("一定给您全额退款", "over_promise"),
    ("不用退货直接退款给您", "over_promise"),
    ("终身保修", "over_promise"),
    ("好评返现", "forbidden_offer"),
]


@pytest.mark.parametrize("text, category", FLAGGED)
def test_inspect_reply_flags(text, category):
    flags = inspect_reply(text)
    if category is None:
        assert flags == []
    else:
        assert category in {f.category for f in flags}
        flag = next(f for f in flags if f.category == category)
        assert flag.reason and flag.match


CLEAN = [
    "非常抱歉给您带来不便，我们马上为您补发",
    "这不是您的问题，是我们发错了，马上为您换货",
    "快递那边我们来联系，核实后第一时间告诉您",
    "预计明天送达，具体以物流信息为准",
    "详情页的尺码表可能不够清楚，我帮您再核对一下",
    "我们会按售后政策为您办理退款",
    "滚筒洗衣机请选择轻柔模式",
    "理解您的心情，这件事我来跟进到底",
    "七天无理由退货，运费由我们承担",
]


@pytest.mark.parametrize("text", CLEAN)
def test_inspect_reply_leaves_good_replies_alone(text):
    assert inspect_reply(text, limit=Decimal("50")) == []


def test_inspect_reply_flags_money_promised_beyond_the_agents_limit():
    flags = inspect_reply("给您补偿80元", limit=Decimal("50"))
    assert [f.category for f in flags] == ["over_promise"]
    assert "80 元超过您的审批额度 50" in flags[0].reason
    assert inspect_reply("给您补偿30元", limit=Decimal("50")) == []
    assert inspect_reply("给您补偿80元") == []  # no limit given: not checked
