"""Pages: the shop switcher and the audit log (shop admins)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from shouhou.accounts import selectors, services
from shouhou.accounts.access import current_shop_for_request, require_action, shops_for_user
from shouhou.accounts.permissions import AUDIT_VIEW


@login_required
@require_POST
def switch_shop(request):
    services.shop_switch(request=request, shop_id=request.POST.get("shop_id", ""))
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)


@login_required
def audit_log(request):
    shop = current_shop_for_request(request)
    if shop is None:
        raise PermissionDenied("您不属于任何店铺")
    require_action(request.user, shop, AUDIT_VIEW)
    events = selectors.audit_list(shop=shop, action=request.GET.get("action", "").strip())
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/audit_log.html", {
        "shop": shop, "page_obj": page, "action": request.GET.get("action", ""),
        "shops": shops_for_user(request.user).order_by("pk"),
    })
