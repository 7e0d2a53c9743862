"""A staff member reading English moves a case along: the notes the system writes for those steps were stored with
the choice's label in the staff member's language (「已送Warehouse inspection」, 「已完结：Refund」: everyone read a
mixed history), and the customer's message carried the English label (「处理结果：Refund」 in a Chinese SMS). Now the
notes and messages are stored in the source language, the step's codes kept in the event, and staff pages say each
step in the reader's language."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from shouhou.accounts.actors import SYSTEM
from shouhou.cases import services as svc
from shouhou.cases.selectors import case_event_note
from shouhou.notifications.models import OutboundMessage

pytestmark = pytest.mark.django_db
LATIN_WORD = re.compile(r"[A-Za-z]{3,}")


def _walk(line, agent, *, english: bool):
    case = svc.case_create(shop=line.order.shop, order_line=line, reason="quality", actor=SYSTEM)
    with translation.override("en" if english else "zh-hans"):
        case = svc.case_approve(case=case, actor=agent)
        case = svc.case_return_shipped(case=case, actor=agent, carrier="SF", tracking_no="SF1234567890")
        case = svc.case_return_correct(case=case, actor=agent, carrier="ZTO", tracking_no="78912345678901")
        case = svc.case_mark_received(case=case, actor=agent)
        case = svc.case_start_inspection(case=case, actor=agent)
        case = svc.case_record_inspection(case=case, actor=agent, result="refund")
        return svc.case_resolve(case=case, actor=agent)


SYSTEM_STEPS = ("买家已寄回：", "寄回信息已更正：", "已送", "检测结论：", "检测完成，安排", "已完结：")


def test_steps_written_while_reading_english_are_stored_in_chinese(line, agent):
    case = _walk(line, agent, english=True)
    notes = [e.note for e in case.events.order_by("at", "id")]
    written = [n for n in notes if n.startswith(SYSTEM_STEPS)]
    assert len(written) == 6, notes
    for note in written:
        assert not LATIN_WORD.search(note.replace("SF1234567890", "")), note
    assert "已完结：退款" in notes and "已送仓库质检" in notes, notes


def test_the_customers_messages_carry_chinese_labels_whoever_acted(line, agent):
    _walk(line, agent, english=True)
    contexts = list(OutboundMessage.objects.values_list("context", flat=True))
    assert contexts, "the case's progress sent no message"
    for context in contexts:
        for key in ("status", "resolution", "result", "progress", "outcome"):
            value = str(context.get(key) or "")
            assert not LATIN_WORD.search(value), (key, value)


@pytest.mark.parametrize("acted_in_english", [True, False])
def test_staff_read_each_step_in_their_own_language(line, agent, acted_in_english):
    case = _walk(line, agent, english=acted_in_english)
    events = list(case.events.order_by("at", "id"))
    with translation.override("en"):
        english = [case_event_note(e, case) for e in events]
    with translation.override("zh-hans"):
        chinese = [case_event_note(e, case) for e in events]
    assert "Resolved: Refund" in english and "Sent for Warehouse inspection" in english, english
    assert any(n.startswith("Sent back by the buyer: SF Express SF1234567890") for n in english), english
    assert any(n.startswith("Return parcel details corrected: ZTO Express 78912345678901") for n in english), english
    assert "已完结：退款" in chinese and "已送仓库质检" in chinese, chinese
    assert not any(n.startswith(("买家已寄回", "已完结", "已送", "检测")) for n in english), english
