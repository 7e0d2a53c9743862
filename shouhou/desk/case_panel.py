"""The after-sales facts an agent decides on from a conversation (the one-screen desk's case panel and the
ticket page's case panel): number, kind, reason, status, the refund, the policy's explanation in the reader's
language and the customer's photos, with the operations the role and the case's state allow
(`cases.services.case_operations_allowed`; the services refuse anything else)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import get_language

from shouhou.cases.choices import CaseKind
from shouhou.cases.models import Case, CaseEvidence
from shouhou.cases.selectors import case_open_list
from shouhou.cases.services import case_operations_allowed

# Kinds whose approval pays the customer money (the refund amount): approving them asks first, naming it.
MONEY_KINDS = frozenset({CaseKind.REFUND_ONLY, CaseKind.RETURN_REFUND, CaseKind.PRICE_PROTECT,
                         CaseKind.COMPENSATION})


@dataclass(frozen=True)
class CaseCard:
    case: Case
    ops: frozenset[str]
    explanation: str
    photos: tuple[CaseEvidence, ...]
    money: Decimal | None  # what approving pays out, when it pays anything

    @property
    def can_approve(self) -> bool:
        return "approve" in self.ops

    @property
    def can_reject(self) -> bool:
        return "reject" in self.ops


def _explanation(case: Case) -> str:
    decision = case.decision or {}
    zh = str(decision.get("explanation_zh") or "")
    if (get_language() or "").startswith("en"):
        return str(decision.get("explanation_en") or "") or zh
    return zh


def case_card(*, case: Case, user) -> CaseCard:
    amount = Decimal(case.refund_amount or 0)
    return CaseCard(
        case=case,
        ops=frozenset(case_operations_allowed(case=case, actor=user)),
        explanation=_explanation(case),
        photos=tuple(ev for ev in case.evidence.all() if ev.file),  # prefetched by case_open_list
        money=amount if case.kind in MONEY_KINDS and amount > 0 else None,
    )


def ticket_case_cards(*, ticket, user) -> list[CaseCard]:
    """Every open case of the ticket's customer or order (and the ticket's own case), oldest first."""
    cases = case_open_list(shop=ticket.shop_id, customer_id=ticket.customer_id, order_id=ticket.order_id,
                           case_id=ticket.case_id)
    return [case_card(case=c, user=user) for c in cases]


def ticket_open_case(*, ticket, case_id: int) -> Case | None:
    """One case of the ticket's panel (None: not this conversation's, another shop's, or no longer open)."""
    return case_open_list(shop=ticket.shop_id, customer_id=ticket.customer_id, order_id=ticket.order_id,
                          case_id=ticket.case_id).filter(pk=case_id).first()
