"""Consumer access: order number + phone last 4, with a guessing limit per IP and per order number."""

from __future__ import annotations

from django.core import signing
from django.core.cache import cache
from django.db.models import Q

from shouhou.commerce.models import Order

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60
SALT = "shouhou.portal.case"


class TooManyAttempts(Exception):
    pass


class AmbiguousOrder(Exception):
    """The same order number and phone tail match orders of two shops: the customer must come through
    the shop's own link (/p/s/<shop code>/), so we never guess which customer they are."""


def _keys(ip: str, order_no: str) -> list[str]:
    return [f"portal:fail:ip:{ip}", f"portal:fail:order:{order_no.strip().upper()}"]


def portal_order_lookup(*, order_no: str, last4: str, ip: str, shop=None,
                        raise_ambiguous: bool = False) -> Order | None:
    """The order when the pair matches; None for any mismatch (one neutral answer). Raises TooManyAttempts.
    When orders of two shops match (no `shop` given), the answer is None, or AmbiguousOrder with
    raise_ambiguous=True so the caller can point to the shop's own link."""
    keys = _keys(ip, order_no)
    if any((cache.get(k) or 0) >= MAX_FAILURES for k in keys):
        raise TooManyAttempts
    order = None
    order_no, last4 = order_no.strip(), last4.strip()
    if order_no and len(last4) == 4 and last4.isdigit():
        qs = (Order.objects.filter(order_no=order_no)
              .filter(Q(customer__phone_last4=last4) | Q(receiver_phone__endswith=last4))
              .select_related("shop", "customer").order_by("pk"))
        if shop is not None:
            qs = qs.filter(shop=shop)
        found = list(qs[:2])
        if len(found) > 1 and raise_ambiguous:
            raise AmbiguousOrder
        order = found[0] if len(found) == 1 else None
    if order is None:
        for k in keys:
            cache.add(k, 0, WINDOW_SECONDS)
            try:
                cache.incr(k)
            except ValueError:
                cache.set(k, 1, WINDOW_SECONDS)
    return order


def follow_token(case_id: int) -> str:
    return signing.dumps({"c": case_id}, salt=SALT)


def case_id_from_token(token: str) -> int | None:
    try:
        return int(signing.loads(token, salt=SALT)["c"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
