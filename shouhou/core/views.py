"""Staff page actions of the core app: revoke a customer's links (case follow, web chat)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shouhou.accounts.access import current_shop_for_request
from shouhou.core.links import Kind, link_revoke
from shouhou.core.redirects import redirect_next


def _object_of_shop(kind: str, object_id: str, shop):
    from shouhou.cases.models import Case
    from shouhou.inbox.models import Conversation

    model = Case if kind == Kind.CASE_FOLLOW else Conversation if kind == Kind.WEB_CHAT else None
    if model is None or not (str(object_id).isascii() and str(object_id).isdigit() and len(str(object_id)) <= 18):
        raise Http404  # 「²」 passes str.isdigit() but not int(): it was a 500
    found = model.objects.filter(shop=shop, pk=int(object_id)).first()
    if found is None:
        raise Http404  # another shop's object is not found
    return found


@login_required
@require_POST
def link_revoke_page(request):
    shop = current_shop_for_request(request)
    if shop is None:
        raise Http404
    kind = request.POST.get("kind", "")
    obj = _object_of_shop(kind, request.POST.get("object_id", ""), shop)
    link_revoke(shop=shop, kind=kind, object_id=obj.pk, actor=request.user, reason=request.POST.get("reason", ""))
    messages.success(request, _("已收回顾客手中的链接；顾客重新查询订单后可获得新链接。"))
    return redirect_next(request)


def csrf_failure(request, reason: str = ""):
    """A form sent without its valid CSRF token (a page left open for hours on a phone, another site posting to
    ours): the product's page in the reader's language with a way back, never Django's bare page (which names
    DEBUG and the failure's reason). The reason goes to the log only."""
    from django.shortcuts import render

    customer = request.path.startswith(("/p/", "/inbox/chat/"))
    back = "/p/" if customer else "/"
    return render(request, "core/csrf_failure.html", {"back": back, "customer": customer}, status=403)
