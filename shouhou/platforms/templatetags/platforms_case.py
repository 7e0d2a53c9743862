"""{% platform_case_panel case user as pa %}: what the case page offers when a platform request is behind the
case — the platform's reject reasons (cached per connection, read when stale), the case's evidence photos to
attach, the exchange's and the 补寄 shipping forms, arbitration evidence (or the back-office link where the
platform publishes no API for it), more time to take in a return and a refund instead (抖店)."""

from __future__ import annotations

from django import template

from shouhou.cases.choices import CaseKind, CaseStatus
from shouhou.cases.services import REFUND_KINDS
from shouhou.commerce.choices import Carrier
from shouhou.platforms import actback
from shouhou.platforms.models import PlatformAftersale

register = template.Library()


@register.simple_tag
def platform_case_panel(case, ops) -> dict:
    link = PlatformAftersale.objects.select_related("connection").filter(case=case).first()
    if link is None:
        return {}
    panel: dict = {"link": link, "evidence": list(case.evidence.all())}
    if "reject" in (ops or ()):
        panel["reasons"] = actback.reject_reasons_for(link)
    carriers = [(v, label) for v, label in Carrier.choices if v != Carrier.OTHER]
    if case.kind == CaseKind.EXCHANGE and case.status in actback.SHIP_STATUSES and ops:  # the service checks the role
        panel["ship"] = True
        panel["carriers"] = carriers
    if case.kind == CaseKind.RESEND and case.status in actback.RESEND_STATUSES and ops:
        panel["resend"] = actback.resend_supported(link)  # False: the page says where to do it by hand
        panel["carriers"] = carriers
    if ops and case.status not in (CaseStatus.RESOLVED, CaseStatus.CANCELLED):
        panel["arbitration"] = actback.arbitration_evidence_limit(link)  # 0: no API, the back-office link instead
    if ops and case.status in actback.OPEN_STATUSES:  # the services check the role and say why when refused
        panel["time_extend"] = actback.time_extend_offered(link)  # True: the form; None/False: nothing to offer
        panel["refund_instead"] = actback.refund_instead_offered(link)  # the platform's words (换货转退款…) or None
    return panel


@register.simple_tag
def platform_amount_gap(case) -> dict:
    """A refund case on a platform request carries the platform's amount (what the buyer asked, what the platform
    refunds); when the policy decided another amount, the agent sees both: {"policy", "platform", "gap"} or {}."""
    from decimal import Decimal, InvalidOperation

    if case.kind not in REFUND_KINDS or not PlatformAftersale.objects.filter(case=case).exists():
        return {}
    try:
        policy = Decimal(str((case.decision or {}).get("refund_amount")))
    except (InvalidOperation, ValueError):
        return {}
    platform = Decimal(case.refund_amount or 0)
    if policy == platform:
        return {}
    return {"policy": policy, "platform": platform, "gap": abs(platform - policy)}


@register.simple_tag
def platform_receiver(case, user) -> dict:
    """The receiver of a case's order synced from a platform whose connection decrypts on reveal: the masked
    values, and whether this user may reveal them (the reveal asks the platform; platforms/decrypt.py)."""
    from shouhou.accounts.access import role_for
    from shouhou.accounts.permissions import PII_REVEAL, role_can
    from shouhou.core.phones import mask_phone
    from shouhou.core.pii import mask_address, mask_name
    from shouhou.platforms.decrypt import _connection_for

    order = case.order
    if order is None or _connection_for(order) is None:
        return {}
    phone = order.receiver_phone
    return {"order": order, "name": order.receiver_name if "*" in order.receiver_name else mask_name(order.receiver_name),
            "phone": phone if "*" in phone else mask_phone(phone),
            "address": order.address if "*" in order.address else mask_address(order.address),
            "can_reveal": role_can(role_for(user, case.shop), PII_REVEAL)}
