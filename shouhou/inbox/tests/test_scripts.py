"""话术 (scripts): the default library, its tone, validation, rendering from a ticket and suggestions.

Every default is rendered with a real ticket (customer, order, product, shipment, a case with a remedy) and
must pass the compliance guard and the reply quality inspection an agent's own reply goes through.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from shouhou.cases.models import Case
from shouhou.core.testing.factories import (
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    ShipmentFactory,
    UserFactory,
)
from shouhou.inbox.choices import Channel, Direction, ScriptScenario, TicketCategory
from shouhou.inbox.models import Conversation, Message, Script, Ticket
from shouhou.inbox.scripts import (
    CLASSIC_SCENARIOS,
    DEFAULT_SCRIPTS,
    VARIABLES,
    ScriptError,
    script_render,
    script_save,
    script_variables,
    scripts_install_defaults,
    scripts_suggest,
)
from shouhou.reviews.guards import guard_outgoing, inspect_reply
from shouhou.sla.calendar import SHANGHAI

pytestmark = pytest.mark.django_db
S = ScriptScenario
C = TicketCategory

APOLOGY = re.compile(r"抱歉|对不起|不好意思")
CHOICE = re.compile(r"(换货|退差价|继续为您发货)[^。？]{0,20}还是退款？")
BLAME = re.compile(r"您自己|你自己|不是我们的问题|快递的问题|仓库的问题|我管不了|不关我们")
_number = iter(range(1, 10_000))


def make_ticket(shop, *, category=C.QUALITY, case_kind: str | None = "exchange", with_order: bool = True,
                order_no: str = "") -> Ticket:
    customer = CustomerFactory(shop=shop, name="王小丫")
    order = line = case = None
    if with_order:
        order = OrderFactory(shop=shop, customer=customer, order_no=order_no or f"OD2026{next(_number):07d}")
        line = OrderLineFactory(order=order, product=ProductFactory(shop=shop), product_name="羊毛双面大衣")
        ShipmentFactory(order=order, carrier="SF", tracking_no=f"SF{order.order_no}",
                        shipped_at=dt.datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI))
        if case_kind:
            case = Case.objects.create(shop=shop, number=f"SH{next(_number):06d}", order=order, order_line=line,
                                       customer=customer, kind=case_kind,
                                       deadline_at=dt.datetime(2026, 11, 20, 18, 0, tzinfo=SHANGHAI))
    assignee = UserFactory(username=f"kefu{next(_number)}", first_name="小鹿")
    return Ticket.objects.create(shop=shop, number=f"T{next(_number):08d}", customer=customer, order=order, case=case,
                                 channel=Channel.WEB_CHAT, category=category, assignee=assignee)


def first_sentence(text: str) -> str:
    return re.split(r"[。？！]", text, maxsplit=1)[0]


# --- the default library ------------------------------------------------------------------------------

def test_each_classic_scenario_has_a_default_that_apologises_first_and_offers_the_choice():
    by_scenario = {d.scenario: d for d in DEFAULT_SCRIPTS}
    assert set(CLASSIC_SCENARIOS) == {S.SMALL_DEFECT, S.QUALITY_PROBLEM, S.PRICE_DROP, S.LATE_SHIPMENT, S.WRONG_ITEM,
                                      S.NO_REASON_RETURN, S.REPEATED_EXCHANGE, S.LOGISTICS_DAMAGE}
    for scenario in CLASSIC_SCENARIOS:
        assert scenario in by_scenario, f"no default script for {scenario}"
        for d in (x for x in DEFAULT_SCRIPTS if x.scenario == scenario):
            assert APOLOGY.search(first_sentence(d.body)), f"{d.title}: the first sentence does not apologise"
            assert CHOICE.search(d.body), f"{d.title}: does not ask exchange or refund"
            assert not BLAME.search(d.body), f"{d.title}: blames someone"
            assert d.categories, f"{d.title}: not suggested for any ticket category"


def test_every_default_renders_with_a_real_ticket_and_passes_the_guards(shop):
    scripts_install_defaults(shop=shop)
    ticket = make_ticket(shop, order_no="OD20261101001")
    rendered = {}
    for script in Script.objects.filter(shop=shop):
        text = script_render(script=script, ticket=ticket)
        rendered[script.title] = text
        assert "{" not in text and "}" not in text, f"{script.title}: unfilled variable in {text}"
        guard = guard_outgoing(text)
        assert guard.allowed, f"{script.title}: compliance guard refused: {guard.reasons}"
        assert inspect_reply(text, limit=None) == [], f"{script.title}: quality inspection flags {text}"
    assert len(rendered) == len(DEFAULT_SCRIPTS)
    quality = rendered["质量问题：按政策办理"]
    assert quality.startswith("王小丫您好，抱歉让您遇到这样的问题。")
    assert "订单OD20261101001可以为您办理换货" in quality
    assert "羊毛双面大衣有小瑕疵" in rendered["小瑕疵：道歉并给选择"]
    assert "由顺丰速运配送，运单号SFOD20261101001" in rendered["物流慢：查件并跟进"]
    assert "我是小鹿直播旗舰店的售后客服小鹿" in rendered["首次接待"]


def test_render_without_order_or_case_writes_the_polite_fallbacks(shop):
    scripts_install_defaults(shop=shop)
    ticket = make_ticket(shop, with_order=False)
    ticket.customer.name = ""
    ticket.customer.save()
    script = Script.objects.get(shop=shop, title="质量问题：按政策办理")
    text = script_render(script=script, ticket=ticket)
    assert text.startswith("亲您好")
    assert "您的订单可以为您办理合适的售后方案" in text
    # an explicit value wins over the ticket's
    assert script_render(script=script, ticket=ticket, extra={"remedy": "退货退款", "nope": "x"}).count("退货退款") == 1


def test_the_remedy_follows_the_case_kind(shop):
    script = script_save(shop=shop, scenario=S.QUALITY_PROBLEM, title="方案", body="为您办理{remedy}，截止{deadline}",
                         categories=[C.QUALITY])
    ticket = make_ticket(shop, case_kind="return_refund")
    assert script_render(script=script, ticket=ticket) == "为您办理退货退款，截止11月20日 18:00"


# --- validation ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "field", "message"), [
    ({"body": "{customer}您好，{coupon}已发放"}, "body", "未知变量 {coupon}"),
    ({"body": "{customer您好"}, "body", "花括号不成对"),
    ({"body": "您好}"}, "body", "花括号不成对"),
    ({"body": "您好 {}"}, "body", "空变量"),
    ({"body": "{customer!r}"}, "body", "不支持格式说明"),
    ({"body": "   "}, "body", "请填写话术内容"),
    ({"title": " "}, "title", "请填写话术标题"),
    ({"scenario": "haggling"}, "scenario", "未知的场景：haggling"),
    ({"categories": ["quality", "weather"]}, "categories", "未知的工单分类：weather"),
])
def test_invalid_scripts_are_refused_naming_the_field(shop, kwargs, field, message):
    args = {"shop": shop, "scenario": S.SMALL_DEFECT, "title": "自定义", "body": "{customer}您好",
            "categories": [C.QUALITY], **kwargs}
    with pytest.raises(ScriptError, match=re.escape(message)) as err:
        script_save(**args)
    assert err.value.field == field
    assert Script.objects.count() == 0


def test_duplicate_title_in_a_scenario_names_the_title(shop, other_shop):
    first = script_save(shop=shop, scenario=S.SMALL_DEFECT, title="小瑕疵", body="抱歉")
    with pytest.raises(ScriptError, match="同一场景下已有标题为「小瑕疵」的话术") as err:
        script_save(shop=shop, scenario=S.SMALL_DEFECT, title="小瑕疵", body="另一个")
    assert err.value.field == "title"
    # the same title in another scenario or another shop is fine; saving the script itself is fine
    script_save(shop=shop, scenario=S.QUALITY_PROBLEM, title="小瑕疵", body="抱歉")
    script_save(shop=other_shop, scenario=S.SMALL_DEFECT, title="小瑕疵", body="抱歉")
    again = script_save(shop=shop, scenario=S.SMALL_DEFECT, title="小瑕疵", body="非常抱歉", script=first)
    assert again.pk == first.pk and Script.objects.get(pk=first.pk).body == "非常抱歉"


def test_script_variables_lists_each_once_in_order():
    assert script_variables("{customer}您好，{order_no}的{product}，{customer}，{{原样}}") == [
        "customer", "order_no", "product"]
    assert set(VARIABLES) >= {"customer", "product", "order_no", "remedy"}


# --- installing the defaults --------------------------------------------------------------------------

def test_install_defaults_is_idempotent_and_keeps_the_shops_edits(shop):
    assert scripts_install_defaults(shop=shop) == len(DEFAULT_SCRIPTS)
    edited = Script.objects.get(shop=shop, title="小瑕疵：道歉并给选择")
    script_save(shop=shop, scenario=edited.scenario, title=edited.title, body="{customer}您好，抱歉，我们的改写版。",
                categories=[C.QUALITY], is_active=False, script=edited)
    Script.objects.filter(shop=shop, title="结束语").delete()
    # when installed again
    assert scripts_install_defaults(shop=shop) == 1  # only the deleted one comes back
    assert scripts_install_defaults(shop=shop) == 0
    edited.refresh_from_db()
    assert (edited.body, edited.is_active) == ("{customer}您好，抱歉，我们的改写版。", False)
    assert Script.objects.filter(shop=shop).count() == len(DEFAULT_SCRIPTS)


# --- suggestions --------------------------------------------------------------------------------------

def titles(scripts) -> list[str]:
    return [s.title for s in scripts]


def test_suggestions_follow_the_ticket_category(shop):
    scripts_install_defaults(shop=shop)
    quality = make_ticket(shop, category=C.QUALITY)
    assert titles(scripts_suggest(ticket=quality)) == [
        "质量问题：优先处理", "质量问题：按政策办理", "小瑕疵：道歉并给选择", "多次换货仍不满意：专人跟进", "误会：先认同再说明"]
    logistics = make_ticket(shop, category=C.LOGISTICS)
    assert titles(scripts_suggest(ticket=logistics)) == [
        "物流慢：查件并跟进", "发货延迟：催仓并给选择", "运输破损：我们来处理", "首次接待", "让顾客久等"]
    assert titles(scripts_suggest(ticket=make_ticket(shop, category=C.PRICE_CHANGE), limit=3)) == [
        "买完降价：价保退差", "首次接待", "让顾客久等"]
    # a category without its own scripts gets the generic ones: greetings first, then the closing
    assert titles(scripts_suggest(ticket=make_ticket(shop, category=C.OTHER))) == ["首次接待", "让顾客久等", "结束语"]


def test_position_then_usage_breaks_ties_and_inactive_scripts_are_not_suggested(shop):
    a = script_save(shop=shop, scenario=S.WRONG_ITEM, title="A", body="抱歉A", categories=[C.WRONG_MISSING], position=2)
    b = script_save(shop=shop, scenario=S.WRONG_ITEM, title="B", body="抱歉B", categories=[C.WRONG_MISSING], position=1)
    c = script_save(shop=shop, scenario=S.WRONG_ITEM, title="C", body="抱歉C", categories=[C.WRONG_MISSING], position=2)
    Script.objects.filter(pk=c.pk).update(usage_count=9)
    script_save(shop=shop, scenario=S.WRONG_ITEM, title="D", body="抱歉D", categories=[C.WRONG_MISSING],
                is_active=False)
    ticket = make_ticket(shop, category=C.WRONG_MISSING)
    assert [s.pk for s in scripts_suggest(ticket=ticket)] == [b.pk, c.pk, a.pk]


def test_suggestions_never_cross_shops(shop, other_shop):
    scripts_install_defaults(shop=other_shop)
    mine = script_save(shop=shop, scenario=S.QUALITY_PROBLEM, title="本店", body="抱歉", categories=[C.QUALITY])
    suggested = scripts_suggest(ticket=make_ticket(shop, category=C.QUALITY))
    assert [s.pk for s in suggested] == [mine.pk]
    assert all(s.shop_id == shop.pk for s in scripts_suggest(ticket=make_ticket(shop, category=C.OTHER)))


def ticket_saying(shop, text: str, *, category) -> Ticket:
    """A ticket whose conversation opened with the customer's `text` (what triage read)."""
    ticket = make_ticket(shop, category=category, case_kind=None)
    conversation = Conversation.objects.create(shop=shop, customer=ticket.customer, channel=Channel.WEB_CHAT)
    Message.objects.create(shop=shop, conversation=conversation, direction=Direction.INBOUND, body=text)
    ticket.conversation = conversation
    ticket.save(update_fields=["conversation"])
    return ticket


def test_suggestions_fit_the_complaint_type_triage_read(shop):
    """A counterfeit, a refused return and a missing live-room gift each get their own script first; a fake is
    never offered as a 「小瑕疵」 to keep, a missing gift never as a wrong item to send back."""
    scripts_install_defaults(shop=shop)
    fake = titles(scripts_suggest(ticket=ticket_saying(shop, "这是假货吧，防伪码查不到，根本不是正品", category=C.QUALITY)))
    assert fake[0] == "假货疑虑：核实并退款"
    assert "小瑕疵：道歉并给选择" not in fake
    refused = titles(scripts_suggest(ticket=ticket_saying(shop, "申请退货三次都被拒绝，客服说不给退，七天无理由都不给",
                                                          category=C.RETURN_REQUEST)))
    assert refused[0] == "售后没办好：我来接手"
    gift = titles(scripts_suggest(ticket=ticket_saying(shop, "直播间说好的送赠品，到现在也没收到赠品",
                                                       category=C.WRONG_MISSING)))
    assert gift[0] == "承诺未兑现：核对后补上"
    assert "发错货/漏发：补发或退款" not in gift
    packaging = titles(scripts_suggest(ticket=ticket_saying(shop, "包装太简陋了，连个泡沫都没有，盒子都压扁了",
                                                            category=C.LOGISTICS)))
    assert packaging[0] == "运输破损：我们来处理"
    # the type-only scripts stay out of plain tickets of the same category
    plain = titles(scripts_suggest(ticket=ticket_saying(shop, "衣服第一次穿就开线了", category=C.QUALITY)))
    assert plain[0] == "质量问题：优先处理" and "假货疑虑：核实并退款" not in plain
    wrong = titles(scripts_suggest(ticket=ticket_saying(shop, "我买的黑色M码，发来的是白色L码，发错货了",
                                                        category=C.WRONG_MISSING)))
    assert wrong[0] == "发错货/漏发：补发或退款" and "承诺未兑现：核对后补上" not in wrong
    # an agent who moved the ticket to another category decides: the type read for the old one is dropped
    moved = ticket_saying(shop, "这是假货吧，防伪码查不到，根本不是正品", category=C.RETURN_REQUEST)
    assert "假货疑虑：核实并退款" not in titles(scripts_suggest(ticket=moved))


# --- the complaint type triage read, kept on the ticket ------------------------------------------------------

def received(shop, text: str, *, handle: str = "buyer-1", conversation=None):
    from shouhou.inbox.services import message_receive

    return message_receive(shop=shop, channel=Channel.WEB_CHAT, body=text, contact_handle=handle,
                           conversation=conversation)


def test_the_type_triage_read_is_kept_on_the_ticket_and_suggestions_read_it_back(shop, monkeypatch,
                                                                                  django_assert_num_queries):
    """Triage stores the type it read when it opens the ticket; showing the suggestions then reads neither the
    messages nor the model again (it did both on every view: one query and one model call)."""
    scripts_install_defaults(shop=shop)
    ticket = received(shop, "这是假货吧，防伪码查不到，根本不是正品").ticket
    ticket.refresh_from_db()
    assert (ticket.category, ticket.complaint_type) == (C.QUALITY, "counterfeit")
    # a message with no complaint type stores "" (read, none found), not NULL (never read)
    greeting = received(shop, "你好，在吗", handle="buyer-2").ticket
    greeting.refresh_from_db()
    assert greeting.complaint_type == ""
    import shouhou.inbox.triage as triage_module

    def no_reading(*args, **kwargs):
        raise AssertionError("triage read the messages again")

    monkeypatch.setattr(triage_module, "read", no_reading)
    with django_assert_num_queries(1):  # the shop's scripts, nothing else
        suggested = titles(scripts_suggest(ticket=ticket))
    assert suggested[0] == "假货疑虑：核实并退款" and "小瑕疵：道歉并给选择" not in suggested


def test_a_later_ticket_in_the_same_conversation_keeps_its_own_type(shop):
    """A customer whose counterfeit ticket was closed writes again in the same web chat about a seam that split:
    the new ticket is a plain quality problem (its own first message), not the old counterfeit read again from the
    conversation's start."""
    from shouhou.accounts.actors import SYSTEM
    from shouhou.inbox.choices import TicketStatus
    from shouhou.inbox.services import ticket_set_status

    scripts_install_defaults(shop=shop)
    first = received(shop, "这是假货吧，防伪码查不到，根本不是正品").ticket
    ticket_set_status(ticket=first, status=TicketStatus.CLOSED, actor=SYSTEM)
    later = received(shop, "衣服第一次穿就开线了", conversation=first.conversation).ticket
    assert later.pk != first.pk and later.conversation_id == first.conversation_id
    later.refresh_from_db()
    assert (later.category, later.complaint_type) == (C.QUALITY, "quality_defect")
    suggested = titles(scripts_suggest(ticket=later))
    assert suggested[0] == "质量问题：优先处理" and "假货疑虑：核实并退款" not in suggested


def test_a_stored_type_that_no_longer_fits_the_category_is_dropped_and_old_tickets_are_read(shop):
    scripts_install_defaults(shop=shop)
    ticket = received(shop, "这是假货吧，防伪码查不到，根本不是正品").ticket
    Ticket.objects.filter(pk=ticket.pk).update(category=C.RETURN_REQUEST)  # moved by an agent (admin)
    ticket.refresh_from_db()
    assert "假货疑虑：核实并退款" not in titles(scripts_suggest(ticket=ticket))
    # a ticket from before the stored type (NULL) is read from its messages, as before
    Ticket.objects.filter(pk=ticket.pk).update(category=C.QUALITY, complaint_type=None)
    ticket.refresh_from_db()
    assert titles(scripts_suggest(ticket=ticket))[0] == "假货疑虑：核实并退款"


def test_a_counterfeit_is_offered_a_refund_never_an_exchange_or_a_compensation_to_keep_it(shop):
    """The remedy policy allows a counterfeit return & refund or refund (reviews.scripts.REMEDY_POLICY, as the review
    recovery task enforces); the desk suggested the quality scripts that ask 「换货还是退款？」 next to the
    counterfeit one."""
    from shouhou.reviews.scripts import REMEDY_POLICY

    assert "exchange" not in REMEDY_POLICY["counterfeit"]
    scripts_install_defaults(shop=shop)
    ticket = ticket_saying(shop, "收到的是假货，防伪码查不到，跟专柜的完全不一样", category=C.QUALITY)
    suggested = scripts_suggest(ticket=ticket)
    assert suggested[0].title == "假货疑虑：核实并退款"
    offers = [s.title for s in suggested if re.search(r"换货|补偿|换一", s.body)]
    assert offers == []


def test_a_complaint_about_the_staff_is_offered_an_apology_first_not_an_explanation(shop):
    """A rude or ignoring agent (service_attitude) had no script of its own: the desk's first suggestion was
    「误会：先认同再说明」 (「给您说明一下」) — the review recovery task answers the same complaint with an apology."""
    scripts_install_defaults(shop=shop)
    ticket = received(shop, "你们客服态度太差了，问了三遍都不耐烦，还骂人").ticket
    ticket.refresh_from_db()
    assert (ticket.category, ticket.complaint_type) == (C.SERVICE_COMPLAINT, "service_attitude")
    suggested = scripts_suggest(ticket=ticket)
    assert suggested[0].title == "服务态度：道歉并接手"
    assert APOLOGY.search(first_sentence(suggested[0].body))


def test_a_script_is_filled_in_chinese_whatever_language_the_agent_reads(shop):
    # an agent on the English desk picks a script naming the carrier: the customer reads 顺丰速运, not "SF Express"
    from django.utils import translation

    from shouhou.inbox.scripts import script_render

    ticket = make_ticket(shop)
    script = Script.objects.create(shop=shop, title="物流", body="您的包裹由{carrier}配送，运单号{tracking_no}。")
    with translation.override("en"):
        text = script_render(script=script, ticket=ticket)
    assert text == f"您的包裹由顺丰速运配送，运单号SF{ticket.order.order_no}。"
