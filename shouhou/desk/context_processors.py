from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from shouhou.accounts.access import current_shop_for_request, role_for_request
from shouhou.accounts.permissions import role_can
from shouhou.desk.nav import NAV_ITEMS


def _visible(who, role: str | None) -> bool:
    if who is None:
        return True
    if isinstance(who, frozenset):
        return role in who
    return role_can(role, who)


def nav_links(request):
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    shop = current_shop_for_request(request)
    role = role_for_request(request, shop) if shop is not None else None
    links = []
    for label, name, who in NAV_ITEMS:
        if not _visible(who, role):
            continue
        try:
            links.append({"label": label, "url": reverse(name)})
        except NoReverseMatch:
            continue
    return {"nav_links": links, "nav_role": role, "nav_admin": admin_link_useful(request)}


def admin_link_useful(request) -> bool:
    """The admin link only for whom the admin site lets in (its own test: active staff) AND who may see
    something there: a staff flag without model permissions opens an empty "no permission" page."""
    user = request.user
    return admin.site.has_permission(request) and (user.is_superuser or bool(user.get_all_permissions()))
