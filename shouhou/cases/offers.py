"""Which case actions the case's state allows now: one predicate per action, asked by the case page (through
`case_operations_allowed`, to offer the button) and by the service (to refuse with a clear reason), so a page
never offers what the service refuses. Who may act is the role check's business (accounts.actors).

Each `*_refusal` returns None when the state allows the action, else the sentence shown to the person.
"""

from __future__ import annotations

from shouhou.cases.choices import CaseStatus as S

# Compensation moves the case on to "fulfilling" (or to the supervisor when over the agent's limit); a case
# that waits for the buyer's parcel, or is in transit back, cannot move there, so it is refused there.
COMPENSATION_STATUSES = frozenset({S.REQUESTED, S.APPROVED, S.RECEIVED, S.INSPECTING, S.FULFILLING})


def _status_label(status: str) -> str:
    return str(S(status).label) if status in S.values else status


def compensation_refusal(case) -> str | None:
    if case.status == S.AWAITING_SUPERVISOR or case.pending_compensation:
        return f"售后单 {case.number} 已有一笔待主管审批的补偿，请等待主管审批后再操作。"
    if case.status not in COMPENSATION_STATUSES:
        return (f"售后单当前状态为「{_status_label(case.status)}」，不能发放补偿"
                + ("（请等买家寄回、仓库收货后再发放）。" if case.status in (S.AWAITING_RETURN, S.IN_TRANSIT_BACK)
                   else "。"))
    return None


def supervisor_decision_refusal(case) -> str | None:
    """Approve or decline the pending compensation: only while one is pending."""
    if case.status != S.AWAITING_SUPERVISOR:
        return f"售后单当前状态为「{_status_label(case.status)}」，没有待主管审批的补偿。"
    return None


def may_compensate(case) -> bool:
    return compensation_refusal(case) is None


def may_decide_as_supervisor(case) -> bool:
    return supervisor_decision_refusal(case) is None


# --- what the customer states themselves --------------------------------------------------------------

def needs_a_person_for_stated_facts(*, reason: str, from_customer: bool) -> bool:
    """A price the customer states on the self-service page (price protection: 「现在的价格」 with a screenshot)
    is never approved by the policy alone, whatever `auto_approve` says: a person checks the screenshot.
    Asked by `case_create` (the case goes to a person) and by the portal's preview (it promises no automatic
    approval). Staff and API clients state the price on their own responsibility: the policy decides."""
    from shouhou.cases.choices import ClaimReason

    return from_customer and reason == ClaimReason.PRICE_DROP
