"""PIPL retention: after a shop's retention period, anonymise the personal data of closed cases.

Covers orders (receiver, phone, address), customers (name, phone, WeChat id, email), chat messages
(phone numbers in the text), proactive messages (recipient, variables, name and phones in the text),
review author nicknames, and files: the evidence photos of the expired cases and the chat attachments of
anonymised customers (a parcel label in a photo carries a name, phone and address). A file's row stays
(the case keeps its history) with the file emptied; the stored file is deleted once the transaction
commits.

Set-based (ids read once, then one UPDATE per table per chunk of 2,000 ids, plus bulk_updates of the
messages whose text must be rewritten),
audited (one `pii.retention` event per shop and run, with the counts) and idempotent (rows already
anonymised are not selected again, so a second run changes nothing and writes no event).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q

from shouhou.accounts.services import shop_retention_days
from shouhou.cases.choices import CaseStatus
from shouhou.cases.models import Case
from shouhou.commerce.models import Customer, Order, Shop
from shouhou.core.audit import audit_record
from shouhou.core.clock import now
from shouhou.core.pii import ANONYMISED, PHONE_IN_TEXT, scrub_phones
from shouhou.inbox.models import Message
from shouhou.notifications.models import ContactOptOut, OptOutRequest, OutboundMessage
from shouhou.reviews.models import Review

CLOSED = (CaseStatus.RESOLVED, CaseStatus.REJECTED, CaseStatus.CANCELLED)
PHONE_REGEX = r"1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}"


@dataclass(frozen=True)
class RetentionResult:
    shop_id: int
    orders: int
    customers: int
    messages: int
    outbound: int = 0  # proactive messages (notifications): recipient, name and phones in the text
    reviews: int = 0  # review author nicknames
    files: int = 0  # evidence photos and chat attachments deleted

    @property
    def total(self) -> int:
        return self.orders + self.customers + self.messages + self.outbound + self.reviews + self.files


def _closed_before(shop: Shop, cutoff):
    return Case.objects.filter(shop=shop, status__in=CLOSED).filter(
        Q(resolved_at__lt=cutoff) | Q(resolved_at__isnull=True, updated_at__lt=cutoff))


def _chunks(ids: list[int], size: int = 2000):
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def shop_anonymise_expired(*, shop: Shop, at=None) -> RetentionResult:
    at = at or now()
    days = shop_retention_days(shop)
    cutoff = at - timedelta(days=days)
    with transaction.atomic():
        # Ids first (a handful of set-based reads), then one UPDATE per chunk of ids: no nested subqueries.
        expired_rows = list(_closed_before(shop, cutoff).values_list("pk", "order_id", "customer_id"))
        expired = [(o, c) for _, o, c in expired_rows]
        open_rows = list(Case.objects.filter(shop=shop).exclude(status__in=CLOSED)
                         .values_list("order_id", "customer_id"))
        open_orders = {o for o, _ in open_rows}
        open_customers = {c for _, c in open_rows if c}
        order_ids = sorted({o for o, _ in expired} - open_orders)
        order_count = 0
        for chunk in _chunks(order_ids):
            order_count += (Order.objects.filter(shop=shop, pk__in=chunk)
                            .exclude(receiver_name=ANONYMISED, receiver_phone="", address="")
                            .update(receiver_name=ANONYMISED, receiver_phone="", address="", updated_at=at))

        candidates = sorted({c for _, c in expired if c} - open_customers)
        recent = set()
        for chunk in _chunks(candidates):
            recent |= set(Order.objects.filter(shop=shop, customer_id__in=chunk).filter(
                Q(placed_at__gte=cutoff) | Q(placed_at__isnull=True, created_at__gte=cutoff))
                .values_list("customer_id", flat=True))
        customer_ids = [c for c in candidates if c not in recent]
        names = dict(Customer.objects.filter(shop=shop, pk__in=customer_ids).exclude(name=ANONYMISED)
                     .values_list("pk", "name")) if customer_ids else {}
        customer_count = 0
        for chunk in _chunks(customer_ids):
            customer_count += (Customer.objects.filter(shop=shop, pk__in=chunk)
                               .exclude(name=ANONYMISED, phone="", wechat_id="", email="")
                               .update(name=ANONYMISED, phone="", phone_last4="", wechat_id="", email="",
                                       updated_at=at))

        changed = []
        for chunk in _chunks(customer_ids):
            for msg in Message.objects.filter(shop=shop, conversation__customer_id__in=chunk,
                                              body__regex=PHONE_REGEX).only("pk", "body"):
                if PHONE_IN_TEXT.search(msg.body):
                    msg.body = scrub_phones(msg.body)
                    changed.append(msg)
        Message.objects.bulk_update(changed, ["body"], batch_size=500)
        outbound = _outbound_anonymise(shop=shop, customer_ids=customer_ids, names=names)
        _opt_outs_anonymise(shop=shop, customer_ids=customer_ids)
        review_count = 0
        for chunk in _chunks(customer_ids):
            review_count += (Review.objects.filter(shop=shop, customer_id__in=chunk)
                             .exclude(author_name__in=["", ANONYMISED]).update(author_name=ANONYMISED))

        files = _files_remove(shop=shop, case_ids=[pk for pk, _, _ in expired_rows], customer_ids=customer_ids)

        result = RetentionResult(shop.pk, order_count, customer_count, len(changed), outbound, review_count, files)
        if result.total:
            audit_record(action="pii.retention", obj=shop, shop=shop,
                         after={"orders": order_count, "customers": customer_count, "messages": len(changed),
                                "outbound": outbound, "reviews": review_count, "files": files,
                                "retention_days": days, "cutoff": cutoff.isoformat()},
                         note="超过保留期的已结案个人信息已匿名化")
    return result


def _files_remove(*, shop: Shop, case_ids: list[int], customer_ids: list[int]) -> int:
    """Empty the file fields (rows stay) and delete the stored files after commit; returns how many."""
    from shouhou.cases.models import CaseEvidence

    names: list[tuple] = []
    for chunk in _chunks(case_ids):
        rows = CaseEvidence.objects.filter(case__shop=shop, case_id__in=chunk).exclude(file="")
        names += [(CaseEvidence, n) for n in rows.values_list("file", flat=True)]
        rows.update(file="", note="（超过保留期，图片已删除）")
    for chunk in _chunks(customer_ids):
        rows = Message.objects.filter(shop=shop, conversation__customer_id__in=chunk).exclude(attachment="")
        names += [(Message, n) for n in rows.values_list("attachment", flat=True)]
        rows.update(attachment="")

    def _delete_stored() -> None:
        for model, name in names:
            field = model._meta.get_field("file" if model is not Message else "attachment")
            field.storage.delete(name)

    transaction.on_commit(_delete_stored)
    return len(names)


def _outbound_anonymise(*, shop: Shop, customer_ids: list[int], names: dict[int, str]) -> int:
    """Proactive messages to anonymised customers keep their place on the timeline (trigger, time,
    status) but lose the recipient address, the variables and the customer's name and phone in the text."""
    changed = []
    for chunk in _chunks(customer_ids):
        for msg in (OutboundMessage.objects.filter(shop=shop, customer_id__in=chunk)
                    .exclude(recipient="", context={}).only("pk", "customer_id", "body", "recipient", "context")):
            body = scrub_phones(msg.body)
            name = names.get(msg.customer_id, "")
            if name and name != ANONYMISED:
                body = body.replace(name, ANONYMISED)
            msg.body, msg.recipient, msg.context = body, "", {}
            changed.append(msg)
    OutboundMessage.objects.bulk_update(changed, ["body", "recipient", "context"], batch_size=500)
    return len(changed)


def _opt_outs_anonymise(*, shop: Shop, customer_ids: list[int]) -> None:
    """An opt-out stays on record (who asked, when, by which channel and with what scope: proof that the shop honoured
    it) but loses the phone or handle and the phones in the words; an SMS provider's block of the number is removed
    with the number (the customer row no longer holds one, so nothing is sent to it)."""
    for chunk in _chunks(customer_ids):
        rows = list(OptOutRequest.objects.filter(shop=shop, customer_id__in=chunk).exclude(contact_handle="", text="")
                    .only("pk", "contact_handle", "text"))
        for row in rows:
            row.contact_handle, row.text = "", scrub_phones(row.text)
        OptOutRequest.objects.bulk_update(rows, ["contact_handle", "text"], batch_size=500)
        ContactOptOut.objects.filter(shop=shop, customer_id__in=chunk).exclude(phone="").delete()


def pii_retention_sweep() -> list[RetentionResult]:
    """The periodic task: every shop, in pk order."""
    return [shop_anonymise_expired(shop=shop) for shop in Shop.objects.order_by("pk")]
