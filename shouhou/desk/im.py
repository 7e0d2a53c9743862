"""The one-screen desk (IM style, as agents know it from 飞鸽 and 七鱼): the conversation list, the open
conversation and the customer / orders / cases / tracking panel side by side. Lists and the open
conversation are swapped in as server-rendered partials; actions post to workbench.ticket_action with
fetch() (JSON answer); the live push (shouhou.live) says when to refresh what. Script: desk/im.js."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET

from shouhou.core.clock import now
from shouhou.desk.workbench import Desk, _live_seq, _ticket_context, _ticket_or_404
from shouhou.inbox import selectors as sel


def _scope(request: HttpRequest) -> str:
    scope = request.GET.get("scope", "mine")
    return scope if scope in sel.DESK_SCOPES else "mine"


def _list_context(desk: Desk, scope: str) -> dict:
    at = now()
    return {"rows": sel.desk_conversations(shop=desk.shop, user=desk.user, scope=scope, at=at), "server_now": at,
            "scope": scope}


@login_required
@require_GET
def im_page(request: HttpRequest) -> HttpResponse:
    desk = Desk(request)
    live_seq = _live_seq(desk)  # before the data: whatever is stored after it is replayed to the page
    scope = _scope(request)
    context = {**_list_context(desk, scope), "live_seq": live_seq, "me": request.user.pk}
    ticket_id = request.GET.get("t", "")
    if ticket_id.isdigit():
        ticket = _ticket_or_404(desk, int(ticket_id))
        context.update(_ticket_context(request, desk, ticket))
        context["open_ticket"] = ticket
    return render(request, "desk/im.html", context)


@login_required
@require_GET
def im_list(request: HttpRequest) -> JsonResponse:
    desk = Desk(request)
    context = _list_context(desk, _scope(request))
    html = render_to_string("desk/_im_list.html", {**context, "open_id": request.GET.get("t", "")}, request=request)
    return JsonResponse({"html": html, "now": context["server_now"].isoformat()})


@login_required
@require_GET
def im_pane(request: HttpRequest, pk: int) -> HttpResponse:
    desk = Desk(request)
    ticket = _ticket_or_404(desk, pk)
    return render(request, "desk/_im_pane.html", _ticket_context(request, desk, ticket))
