"""Workbench writes that join two domains: case actions taken from a ticket.

The case itself is changed only by shouhou.cases.services; here the new case is linked to the ticket
and its conversation, and each action leaves a CASE_ACTION event on the ticket's timeline."""

from __future__ import annotations

from django.db import transaction

from shouhou.cases import services as case_svc
from shouhou.cases.choices import ClaimReason
from shouhou.cases.models import Case
from shouhou.cases.selectors import claim_line
from shouhou.commerce.models import OrderLine
from shouhou.inbox.choices import TicketEventKind
from shouhou.inbox.models import Ticket, TicketEvent

CaseError = case_svc.CaseError


def _event(ticket: Ticket, *, actor, to_value: str, note: str) -> None:
    TicketEvent.objects.create(shop_id=ticket.shop_id, ticket=ticket, kind=TicketEventKind.CASE_ACTION,
                               actor=actor, to_value=to_value[:100], note=note[:500])


@transaction.atomic
def ticket_case_create(*, ticket: Ticket, actor, order_line_id: int | None, reason: str, kind: str | None = None,
                       description: str = "") -> Case:
    """Open a case on the ticket's order (one of its lines) and link it to the ticket. The policy decides as of
    when the customer wrote (the ticket opened with their message): a return asked for on day 7 and taken up by
    an agent on day 8 is in time (CRPL art. 25)."""
    if ticket.order_id is None:
        raise CaseError("工单没有关联订单，无法创建售后单。")
    lines = OrderLine.objects.filter(shop_id=ticket.shop_id, order_id=ticket.order_id).select_related("order")
    line = claim_line(lines, order_line_id)
    if line is None:
        raise CaseError("订单中没有这个商品行。")
    if reason not in ClaimReason.values:
        raise CaseError(f"未知的售后原因：{reason}")
    case = case_svc.case_create(shop=ticket.shop, order_line=line, reason=reason, kind=kind or None,
                                description=description, actor=actor, channel="inbox", requested_at=ticket.created_at)
    Ticket.objects.filter(pk=ticket.pk).update(case=case)
    ticket.case = case
    if ticket.conversation_id:
        ticket.conversation.cases.add(case)
    _event(ticket, actor=actor, to_value=case.number,
           note=f"创建售后单 {case.number}（{case.get_kind_display()} · {case.get_status_display()}）")
    return case


@transaction.atomic
def ticket_case_approve(*, ticket: Ticket, actor, note: str = "", case: Case | None = None) -> Case:
    """Approve `case` (one of the conversation's open cases, desk.case_panel), else the ticket's linked case."""
    case = case or _case_of(ticket)
    case = case_svc.case_approve(case=case, actor=actor, note=note)
    _event(ticket, actor=actor, to_value=case.number, note=f"同意售后单 {case.number}")
    return case


@transaction.atomic
def ticket_case_reject(*, ticket: Ticket, actor, reason: str, case: Case | None = None) -> Case:
    case = case or _case_of(ticket)
    case = case_svc.case_reject(case=case, actor=actor, reason=reason)
    _event(ticket, actor=actor, to_value=case.number, note=f"拒绝售后单 {case.number}：{reason}")
    return case


def ticket_linked_case(*, ticket: Ticket) -> Case | None:
    """The ticket's case, else the newest case on the ticket's order (e.g. filed on the consumer page)."""
    cases = Case.objects.select_related("order", "order_line", "customer", "shop").filter(shop_id=ticket.shop_id)
    if ticket.case_id:
        return cases.filter(pk=ticket.case_id).first()
    if ticket.order_id:
        return cases.filter(order_id=ticket.order_id).order_by("-created_at", "-id").first()
    return None


def _case_of(ticket: Ticket) -> Case:
    case = ticket_linked_case(ticket=ticket)
    if case is None:
        raise CaseError("工单没有关联售后单。")
    return case
