"""The case panel an agent decides on from the conversation: on the one-screen desk every open case of the
customer / order with its facts (amount, reason, the policy's explanation, the photos) and 同意 / 拒绝 by
fetch(); on the ticket page the same facts. Who may act is the case services' rule (a read-only role is
refused by them, not only by a hidden button)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from shouhou.accounts.actors import SYSTEM, CustomerActor
from shouhou.accounts.choices import Role
from shouhou.cases import services as case_svc
from shouhou.cases.choices import CaseStatus
from shouhou.cases.models import Case
from shouhou.cases.tests.factories import PNG, photo
from shouhou.core.testing.factories import CustomerFactory, MembershipFactory, OrderLineFactory, UserFactory
from shouhou.inbox.choices import Channel, TicketEventKind
from shouhou.inbox.models import TicketEvent
from shouhou.inbox.services import message_receive

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 6, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
FETCH = {"HTTP_X_DESK_FETCH": "1"}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _case(shop, customer, *, product="保湿面霜", photos=(), **kw):
    line = OrderLineFactory(order__shop=shop, order__customer=customer, product_name=product)
    case = case_svc.case_create(actor=SYSTEM, shop=shop, order_line=line, reason="quality", auto_approve=False,
                                description="瓶口漏液", **kw)
    for upload in photos:  # the customer's photos, from the follow page
        case_svc.case_add_evidence(case=case, upload=upload, actor=CustomerActor(case.pk))
    return case


@pytest.fixture
def conversation(shop):
    """A customer writing about an order that has a refund case with a photo, and a second open case on
    another of their orders; a finished case and another customer's case that the panel must not show."""
    customer = CustomerFactory(shop=shop, name="李女士")
    first = _case(shop, customer, photos=[photo(PNG, "leak.png")], kind="refund_only")
    second = _case(shop, customer, product="洁面乳", kind="exchange")
    done = _case(shop, customer, product="口红", kind="refund_only")
    case_svc.case_reject(case=done, actor=SYSTEM, reason="超出售后期")
    stranger = _case(shop, CustomerFactory(shop=shop), product="面膜", kind="refund_only")
    ticket = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="面霜漏了，能退款吗", customer=customer,
                             order=first.order).ticket
    return {"ticket": ticket, "first": first, "second": second, "done": done, "stranger": stranger}


def _analyst_client(client, shop):
    client.force_login(MembershipFactory(shop=shop, role=Role.ANALYST, user=UserFactory(username="analyst")).user)
    return client


def test_the_side_panel_shows_each_open_case_of_the_customer_with_what_to_decide_on(agent_client, conversation):
    first, second = conversation["first"], conversation["second"]
    ev = first.evidence.get()
    assert first.refund_amount > 0 and first.decision["explanation_zh"]
    html = agent_client.get(f"/desk/im/t/{conversation['ticket'].pk}/").content.decode()
    panel = html.split('data-testid="im-cases"')[1].split('id="im-case-status"')[0]
    assert panel.count('data-testid="im-case"') == 2
    assert first.number in panel and second.number in panel
    assert conversation["done"].number not in panel and conversation["stranger"].number not in panel
    assert "仅退款" in panel and "换货" in panel and "质量问题" in panel and "待审核" in panel
    assert f"¥{first.refund_amount}" in panel
    assert first.decision["explanation_zh"] in panel
    assert f'href="/cases/{first.pk}/evidence/{ev.pk}/"' in panel and f'src="/cases/{first.pk}/evidence/{ev.pk}/"' in panel
    # approving money asks first, naming the amount; an exchange pays nothing, so it does not ask
    assert f'data-ask="同意售后单 {first.number}，退款 ¥{first.refund_amount} 给顾客吗？"' in panel
    assert panel.count('data-testid="im-case-approve"') == 2 and panel.count("data-ask=") == 1
    assert panel.count('data-testid="im-case-reject"') == 2
    # the same panel on the desk page itself
    page = agent_client.get(f"/desk/im/?t={conversation['ticket'].pk}").content.decode()
    assert page.count('data-testid="im-case"') == 2


def test_the_explanation_is_in_the_readers_language(agent_client, conversation):
    agent_client.cookies["django_language"] = "en"
    html = agent_client.get(f"/desk/im/t/{conversation['ticket'].pk}/").content.decode()
    first = conversation["first"]
    assert first.decision["explanation_en"] in html and first.decision["explanation_zh"] not in html
    assert f'data-ask="Approve case {first.number} and refund ¥{first.refund_amount} to the customer?"' in html


def test_approve_from_the_panel_answers_json_and_the_panel_again(agent_client, agent, conversation):
    ticket, first = conversation["ticket"], conversation["first"]
    response = agent_client.post(f"/desk/im/t/{ticket.pk}/cases/{first.pk}/approve/", **FETCH)
    assert response.status_code == 200
    j = response.json()
    assert j["ok"] is True and j["message"] == f"已同意售后单 {first.number}"
    first.refresh_from_db()
    assert first.status == CaseStatus.APPROVED
    assert "已同意" in j["html"] and 'data-testid="im-cases"' in j["html"]
    assert list(TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.CASE_ACTION)
                .values_list("note", "actor")) == [(f"同意售后单 {first.number}", agent.pk)]
    # approved: no longer offered
    card = j["html"].split(f'data-case="{first.pk}"')[1].split("</article>")[0]
    assert 'data-testid="im-case-approve"' not in card


def test_reject_needs_a_reason_and_then_leaves_the_panel(agent_client, conversation):
    ticket, second = conversation["ticket"], conversation["second"]
    url = f"/desk/im/t/{ticket.pk}/cases/{second.pk}/reject/"
    empty = agent_client.post(url, {"reason": "  "}, **FETCH)
    assert empty.status_code == 400 and empty.json() == {"ok": False, "error": "拒绝售后单必须填写原因。"}
    assert Case.objects.get(pk=second.pk).status == CaseStatus.REQUESTED
    done = agent_client.post(url, {"reason": "商品已使用，影响二次销售"}, **FETCH).json()
    assert done["ok"] is True and Case.objects.get(pk=second.pk).status == CaseStatus.REJECTED
    assert second.number not in done["html"] and conversation["first"].number in done["html"]


def test_a_read_only_role_sees_the_panel_without_buttons_and_the_service_refuses_its_post(client, shop, conversation):
    ticket, first = conversation["ticket"], conversation["first"]
    analyst = _analyst_client(client, shop)
    html = analyst.get(f"/desk/im/t/{ticket.pk}/").content.decode()
    assert first.number in html and first.decision["explanation_zh"] in html
    assert "data-case-act" not in html and 'data-testid="im-case-reason"' not in html

    approve = analyst.post(f"/desk/im/t/{ticket.pk}/cases/{first.pk}/approve/", **FETCH)
    reject = analyst.post(f"/desk/im/t/{ticket.pk}/cases/{first.pk}/reject/", {"reason": "不符合"}, **FETCH)
    assert approve.status_code == reject.status_code == 403
    assert approve.json() == {"ok": False, "error": "当前角色无权执行：审核售后单"}
    assert Case.objects.get(pk=first.pk).status == CaseStatus.REQUESTED
    assert not TicketEvent.objects.filter(ticket=ticket, kind=TicketEventKind.CASE_ACTION).exists()


def test_only_this_conversations_open_cases_can_be_acted_on(agent_client, conversation, other_shop):
    ticket = conversation["ticket"]
    for case in (conversation["stranger"], conversation["done"]):
        response = agent_client.post(f"/desk/im/t/{ticket.pk}/cases/{case.pk}/approve/", **FETCH)
        assert response.status_code == 404 and response.json()["ok"] is False
    assert Case.objects.get(pk=conversation["stranger"].pk).status == CaseStatus.REQUESTED
    assert agent_client.post(f"/desk/im/t/{ticket.pk}/cases/{conversation['first'].pk}/delete/", **FETCH) \
        .status_code == 404
    assert agent_client.get(f"/desk/im/t/{ticket.pk}/cases/{conversation['first'].pk}/approve/").status_code == 405


def test_the_ticket_page_case_panel_shows_amount_reason_explanation_and_photos(agent_client, conversation):
    ticket, first = conversation["ticket"], conversation["first"]
    ev = first.evidence.get()
    html = agent_client.get(f"/desk/t/{ticket.pk}/").content.decode()
    panel = html.split('data-testid="case-panel"')[1].split("</aside>")[0]
    assert first.number in panel and "仅退款" in panel and "质量问题" in panel and "待审核" in panel
    assert f"¥{first.refund_amount}" in panel and first.decision["explanation_zh"] in panel
    assert f'src="/cases/{first.pk}/evidence/{ev.pk}/"' in panel
    assert f'data-confirm="同意售后单 {first.number}，退款 ¥{first.refund_amount} 给顾客吗？"' in panel
    assert 'data-testid="im-cases"' not in html  # the one-screen desk's list is not on this page
