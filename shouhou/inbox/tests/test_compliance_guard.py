"""Scripts are checked by the compliance guard when saved; department progress the customer sees on the
chat page is checked like an agent's reply (no 好评返现 / 删差评返现)."""

from __future__ import annotations

import pytest

from shouhou.core.testing.factories import CustomerFactory
from shouhou.inbox.choices import Channel
from shouhou.inbox.models import EscalationUpdate, Script
from shouhou.inbox.scripts import ScriptError, script_save
from shouhou.inbox.services import (
    TicketError,
    escalation_close,
    escalation_update_add,
    message_receive,
    ticket_escalate,
)
from shouhou.sla.services import sla_defaults_install
from shouhou.sla.tests.helpers import frozen

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("body", "words"), [
    ("亲，确认收货后给个五星好评，截图发客服领取2元红包哦~", "红包"),
    ("{customer}您好，差评删除后我们这边给您返现10元", "删除或修改差评"),
    ("追评有礼：追加评价送精美小礼品", "追评"),
])
def test_script_offering_something_for_a_review_is_refused(shop, body, words):
    with pytest.raises(ScriptError) as info:
        script_save(shop=shop, scenario="closing", title="结束语", body=body)
    assert info.value.field == "body"
    assert str(info.value).startswith("「话术内容」未通过合规检查：") and words in str(info.value)
    assert not Script.objects.filter(shop=shop).exists()


def test_plain_script_is_saved(shop):
    body = "{customer}您好，收到货有问题请联系我们，给您换新，补偿与您的评价无关。"
    assert script_save(shop=shop, scenario="quality_problem", title="换新", body=body).body == body


@pytest.fixture
def escalation(shop, agent):
    sla_defaults_install(shop=shop)
    customer = CustomerFactory(shop=shop, name="赵先生")
    with frozen("2026-11-23 10:00"):
        ticket = message_receive(shop=shop, channel=Channel.WEB_CHAT, body="衣服开线了", customer=customer).ticket
        return ticket_escalate(ticket=ticket, department="warehouse", request="核对批次", actor=agent)


def test_department_progress_shown_to_the_customer_is_guarded(escalation, agent):
    with frozen("2026-11-23 11:00"):
        with pytest.raises(TicketError, match="「处理进展」未通过合规检查：.*好评"):
            escalation_update_add(escalation=escalation, author=agent, note="已补发，麻烦给个好评，返您5元")
        assert not EscalationUpdate.objects.exists()
        # an internal note is not an outgoing message
        escalation_update_add(escalation=escalation, author=agent, note="顾客要求好评返现，已拒绝",
                              visible_to_customer=False)
        shown = escalation_update_add(escalation=escalation, author=agent, note="仓库已找到您的包裹，今天补发")
    assert shown.visible_to_customer is True
    assert EscalationUpdate.objects.count() == 2


def test_closing_note_is_guarded(escalation, agent):
    with frozen("2026-11-23 12:00"), pytest.raises(TicketError, match="「处理结果说明」"):
        escalation_close(escalation=escalation, actor=agent, note="已处理，删差评返现10元")
    escalation.refresh_from_db()
    assert escalation.status == "open"
