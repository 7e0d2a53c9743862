"""Pages: the shop switcher and the audit log (shop admins)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_POST

from shouhou.accounts import selectors, services
from shouhou.accounts.access import current_shop_for_request, require_action, shops_for_user
from shouhou.accounts.permissions import AUDIT_VIEW
from shouhou.core.audit_display import ACTION_GROUPS, audit_rows
from shouhou.core.redirects import redirect_next


@login_required
@require_POST
def switch_shop(request):
    services.shop_switch(request=request, shop_id=request.POST.get("shop_id", ""))
    return redirect_next(request)


@login_required
def audit_log(request):
    shop = current_shop_for_request(request)
    if shop is None:
        raise PermissionDenied("您不属于任何店铺")
    require_action(request.user, shop, AUDIT_VIEW)
    events = selectors.audit_list(shop=shop, action=request.GET.get("action", "").strip())
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/audit_log.html", {
        "shop": shop, "page_obj": page, "rows": audit_rows(page.object_list), "groups": ACTION_GROUPS,
        "action": request.GET.get("action", ""),
        "shops": shops_for_user(request.user).order_by("pk"),
    })


def login_locked_out(request, credentials=None, *args, **kwargs):
    """django-axes calls this when an account or a client address has failed too often (staff login and
    the admin's): the login page again with a plain message and 429, never an error code alone."""
    from django.conf import settings
    from django.contrib.auth.forms import AuthenticationForm
    from django.utils.translation import gettext as _

    minutes = round(float(settings.AXES_COOLOFF_TIME) * 60)
    form = AuthenticationForm(request)
    message = _("登录失败次数过多，请 %(minutes)s 分钟后再试。") % {"minutes": minutes}
    return render(request, "registration/login.html", {"form": form, "locked_out": message}, status=429)
