"""The one-screen desk (IM style, as agents know it from 飞鸽 and 七鱼): the conversation list, the open
conversation and the customer / orders / cases / tracking panel side by side. Lists and the open
conversation are swapped in as server-rendered partials; actions post to workbench.ticket_action with
fetch() (JSON answer); the live push (shouhou.live) says when to refresh what. Script: desk/im.js."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shouhou.accounts.permissions import REPLY
from shouhou.core.clock import now
from shouhou.desk import services as desk_svc
from shouhou.desk.case_panel import ticket_case_cards, ticket_open_case
from shouhou.desk.workbench import Desk, _live_seq, _ticket_context, _ticket_or_404
from shouhou.inbox import selectors as sel


def _scope(request: HttpRequest) -> str:
    scope = request.GET.get("scope", "mine")
    return scope if scope in sel.DESK_SCOPES else "mine"


def _kept(request: HttpRequest) -> dict:
    """What the list must show even past its cut: the open conversation (`t`, a ticket id) and those the page
    was just alerted to (`keep`, comma-separated conversation ids, the newest first); the selector checks them
    against the list (this shop, open, the scope)."""
    return {"keep": [request.GET.get("t", "")], "keep_conversations": request.GET.get("keep", "").split(",")}


def _list_context(desk: Desk, scope: str, kept: dict | None = None) -> dict:
    at = now()
    rows = sel.desk_conversations(shop=desk.shop, user=desk.user, scope=scope, at=at, **(kept or {}))
    return {"rows": rows, "server_now": at, "scope": scope, **_reply_context(desk, rows, scope=scope, at=at)}


def _reply_context(desk: Desk, rows, *, scope: str, at) -> dict:
    """The per-message reply clocks on the one screen (docs/metrics.md, 回复率): each row's oldest counted buyer
    message still waiting for a person, counting down to the platform's first target (飞鸽: 3 minutes; a row whose
    waiting messages were all sent outside the counted hours is marked as not counted), and today's rates (mine,
    the team's) with the nudge for the messages about to cross the line — mine and the unassigned ones, or all in the 全部未结 scope."""
    from shouhou.sla.reply_rules import reply_rule_for

    rule = reply_rule_for(desk.shop.platform)
    clocks = sel.conversation_reply_clocks(shop=desk.shop,
                                           conversation_ids=[r.ticket.conversation_id for r in rows
                                                             if r.ticket.conversation_id])
    for row in rows:
        clock = clocks.get(row.ticket.conversation_id)
        row.reply_clock = clock
        row.reply_counted = clock is not None and clock.counted
    board = sel.reply_board(shop=desk.shop, user=desk.user, at=at)
    me = desk.user.pk
    if scope != "all":
        board.forecast = [w for w in board.forecast if w.agent_id in (None, me)]
    mine = board.mine
    return {"board": board, "reply_line": rule.clock_seconds, "reply_minutes": rule.clock_seconds // 60,
            "reply_next": sel.reply_next(shop=desk.shop, at=at),
            "reply_rates": [(r, mine.rate(r.seconds) if mine else None) for r in board.team.rates]}


@login_required
@require_GET
def im_page(request: HttpRequest) -> HttpResponse:
    desk = Desk(request)
    live_seq = _live_seq(desk)  # before the data: whatever is stored after it is replayed to the page
    scope = _scope(request)
    context = {**_list_context(desk, scope, _kept(request)), "live_seq": live_seq, "me": request.user.pk,
               "desk_shop": desk.shop.pk, "can_take": desk.can(REPLY)}
    ticket_id = request.GET.get("t", "")
    if ticket_id.isascii() and ticket_id.isdigit() and len(ticket_id) <= 18:  # not 「²」
        ticket = _ticket_or_404(desk, int(ticket_id))
        context.update(_pane_context(request, desk, ticket))
        context["open_ticket"] = ticket
    return render(request, "desk/im.html", context)


@login_required
@require_GET
def im_list(request: HttpRequest) -> JsonResponse:
    desk = Desk(request)
    context = _list_context(desk, _scope(request), _kept(request))
    html = render_to_string("desk/_im_list.html", {**context, "open_id": request.GET.get("t", "")}, request=request)
    rows = context["rows"]
    return JsonResponse({"html": html, "now": context["server_now"].isoformat(), "total": rows.total,
                         "shown": len(rows),
                         "reply_html": render_to_string("desk/_im_reply.html", context, request=request)})


@login_required
@require_GET
def im_pane(request: HttpRequest, pk: int) -> HttpResponse:
    desk = Desk(request)
    ticket = _ticket_or_404(desk, pk)
    return render(request, "desk/_im_pane.html", _pane_context(request, desk, ticket))


@login_required
@require_GET
def im_cases(request: HttpRequest, pk: int) -> JsonResponse:
    """The side panel's cases alone, rendered again: the desk asks for it when the live push says a case of
    this conversation's customer or order changed elsewhere (desk/live.py)."""
    desk = Desk(request)
    ticket = _ticket_or_404(desk, pk)
    html = render_to_string("desk/_im_cases.html", {**_cases_context(desk, ticket), "ticket": ticket},
                            request=request)
    return JsonResponse({"html": html})


def _pane_context(request: HttpRequest, desk: Desk, ticket) -> dict:
    return {**_ticket_context(request, desk, ticket), **_cases_context(desk, ticket)}


def _cases_context(desk: Desk, ticket) -> dict:
    """The side panel's open cases of this conversation's customer / order (desk/_im_cases.html)."""
    return {"im_case_panel": True, "case_cards": ticket_case_cards(ticket=ticket, user=desk.user)}


@login_required
@require_POST
def im_case_action(request: HttpRequest, pk: int, case_id: int, action: str) -> JsonResponse:
    """同意 / 拒绝 one of the conversation's open cases from the side panel, with fetch(): JSON with the panel
    rendered again, or the refusal (the case services decide who may, and what the case's state allows)."""
    desk = Desk(request)
    ticket = _ticket_or_404(desk, pk)
    if action not in {"approve", "reject"}:
        raise Http404(_("未知操作"))
    case = ticket_open_case(ticket=ticket, case_id=case_id)
    if case is None:
        return JsonResponse({"ok": False, "error": _("这个售后单已不在处理中，请刷新后再看")}, status=404)
    p, user = request.POST, request.user
    try:
        if action == "approve":
            case = desk_svc.ticket_case_approve(ticket=ticket, actor=user, note=p.get("note", "").strip(), case=case)
            message = _("已同意售后单 %(number)s") % {"number": case.number}
        else:
            case = desk_svc.ticket_case_reject(ticket=ticket, actor=user, reason=p.get("reason", "").strip(),
                                               case=case)
            message = _("已拒绝售后单 %(number)s") % {"number": case.number}
    except PermissionDenied as exc:
        return JsonResponse({"ok": False, "error": str(exc)}, status=403)
    except desk_svc.CaseError as exc:
        return JsonResponse({"ok": False, "error": str(exc)}, status=400)
    html = render_to_string("desk/_im_cases.html", {**_cases_context(desk, ticket), "ticket": ticket},
                            request=request)
    return JsonResponse({"ok": True, "message": message, "html": html})
