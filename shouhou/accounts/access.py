"""Permission-checked access. Every read of shop data goes through the current user's shops."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext

from shouhou.accounts.models import Membership
from shouhou.accounts.permissions import action_refused_message, role_can
from shouhou.commerce.models import Shop


def shops_for_user(user) -> QuerySet[Shop]:
    if not getattr(user, "is_authenticated", False):
        return Shop.objects.none()
    if user.is_superuser:
        return Shop.objects.all()
    return Shop.objects.filter(memberships__user=user)


def shop_named(user, raw: str) -> Shop | None:
    """The shop a page or a socket names by id (`?shop=`, a header), when it is one of the user's; None for anything
    else — another shop's id, junk, 「²」 (a digit to str.isdigit that int() refuses), an id past any integer column."""
    raw = (raw or "").strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        return None
    return shops_for_user(user).filter(pk=int(raw)).first()


def membership_get(user, shop: Shop) -> Membership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.filter(user=user, shop=shop).first()


def role_for(user, shop: Shop) -> str | None:
    if getattr(user, "is_superuser", False):
        return "admin"
    membership = membership_get(user, shop)
    return membership.role if membership else None


def shop_pk(value) -> int | None:
    """A shop id as typed in a form or a header: ASCII digits only (「²」 is a digit to str.isdigit() but not to
    int(), and used to answer 500), at most 18 of them; None otherwise."""
    text = str(value if value is not None else "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def access_shop_for_user(user, shop_id: int | str) -> Shop:
    pk = shop_pk(shop_id)
    if pk is None:
        raise PermissionDenied(gettext("无权访问该店铺（店铺编号无效）"))
    shop = shops_for_user(user).filter(pk=pk).first()
    if shop is None:
        raise PermissionDenied(gettext("无权访问该店铺"))
    return shop


def require_action(user, shop: Shop, action: str) -> None:
    if not role_can(role_for(user, shop), action):
        raise PermissionDenied(action_refused_message(action))


def current_shop_for_request(request) -> Shop | None:
    """The shop chosen in the session, else the user's first shop. Looked up once per request (the view and
    each context processor of each template it renders ask again)."""
    chosen = request.session.get("shop_id") if hasattr(request, "session") else None
    key = (getattr(request.user, "pk", None), chosen)
    memo = getattr(request, "_shouhou_current_shop", None)
    if memo is not None and memo[0] == key:
        return memo[1]
    shops = shops_for_user(request.user)
    shop = shops.filter(pk=chosen).first() if chosen else None
    if shop is None:
        shop = shops.order_by("pk").first()
    try:
        request._shouhou_current_shop = (key, shop)
    except AttributeError:  # a request-like object without attributes
        pass
    return shop


def role_for_request(request, shop: Shop) -> str | None:
    """role_for, once per request and shop (the view and the navigation both ask)."""
    key = (getattr(request.user, "pk", None), shop.pk)
    memo = getattr(request, "_shouhou_roles", None)
    if memo is None:
        memo = {}
        try:
            request._shouhou_roles = memo
        except AttributeError:
            return role_for(request.user, shop)
    if key not in memo:
        memo[key] = role_for(request.user, shop)
    return memo[key]
