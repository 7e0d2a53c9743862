"""Agent workbench pages: the queue, the conversation view, the supervisor view, and the small JSON
endpoints the pages poll for live updates. Views translate input and output only: reads come from
shouhou.inbox.selectors, writes from shouhou.inbox.services (and cases through desk.services)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shouhou.accounts.access import current_shop_for_request, role_for_request, shop_named
from shouhou.accounts.choices import Role
from shouhou.accounts.permissions import CASE_APPROVE, CASE_CREATE, PII_REVEAL, REPLY, TEAM_MANAGE, role_can
from shouhou.cases.choices import CaseKind, ClaimReason
from shouhou.cases.services import TRANSITIONS as CASE_TRANSITIONS
from shouhou.core.clock import local_tz, now
from shouhou.core.uploads import file_response
from shouhou.desk import services as desk_svc
from shouhou.desk.case_panel import case_card
from shouhou.desk.queue_html import queue_rows_html
from shouhou.inbox import scripts as inbox_scripts
from shouhou.inbox import selectors as sel
from shouhou.inbox import services as inbox_svc
from shouhou.inbox.choices import (
    OPEN_TICKET_STATUSES,
    Channel,
    Priority,
    Team,
    TicketCategory,
    TicketStatus,
)
from shouhou.inbox.models import Escalation, Script
from shouhou.live.selectors import live_last_seq
from shouhou.live.services import desk_stream
from shouhou.logistics.selectors import order_tracking

POLL_SECONDS = 4


# --- access -------------------------------------------------------------------------------------

class Desk:
    """The current shop and what the user's role allows there."""

    def __init__(self, request: HttpRequest):
        named = _page_shop(request)
        shop = named or current_shop_for_request(request)
        if shop is None:
            raise PermissionDenied(_("没有可访问的店铺"))
        self.shop = shop
        self.named = named is not None  # the page named its shop: where it is sent next names it too
        # every form and link of a desk page names the shop it was drawn for (templates: request.desk_shop_id)
        request.desk_shop_id = shop.pk
        self.user = request.user
        self.role = role_for_request(request, shop)

    def can(self, action: str) -> bool:
        return role_can(self.role, action)

    def require(self, action: str) -> None:
        if not self.can(action):
            raise PermissionDenied(_("当前角色无权执行此操作"))

    @property
    def is_supervisor_view_allowed(self) -> bool:
        return self.can(TEAM_MANAGE) or self.role == Role.ANALYST


def _page_shop(request: HttpRequest):
    """The shop a desk page was drawn for, when its reads and actions name it (header X-Desk-Shop, or `shop` in
    the query: file links): an agent of two shops keeps one tab per shop, and choosing the other shop in one tab
    no longer turns the other tab's list, conversation and replies to that shop. Only a shop of the user's."""
    raw = request.headers.get("X-Desk-Shop") or request.GET.get("shop") or ""
    if not raw:
        return None
    shop = shop_named(request.user, raw)
    if shop is None:
        raise PermissionDenied(_("无权访问该店铺"))
    return shop


def _to_ticket(desk: Desk, pk: int) -> HttpResponse:
    """Back to the ticket page after a form's action, under the shop the form named (an agent of two shops with a
    tab per shop: the session's shop may be the other one by now)."""
    url = reverse("desk:ticket", args=[pk])
    return redirect(f"{url}?shop={desk.shop.pk}" if desk.named else url)


def _ticket_or_404(desk: Desk, pk: int):
    ticket = sel.ticket_get(shop=desk.shop, ticket_id=pk)
    if ticket is None:
        raise Http404(_("工单不存在"))
    return ticket


# --- the queue ----------------------------------------------------------------------------------

def _filters(request: HttpRequest) -> tuple[sel.QueueFilters, str]:
    try:
        return sel.QueueFilters.from_mapping(request.GET), ""
    except sel.FilterError as exc:
        return sel.QueueFilters(), str(exc)


def _live_seq(desk: Desk) -> int:
    """The desk stream's number, read before the page's data: the push replays what is stored after it."""
    return live_last_seq(desk_stream(desk.shop.pk))


def _queue_context(desk: Desk, filters: sel.QueueFilters) -> dict:
    live_seq = _live_seq(desk)
    page = sel.ticket_queue(shop=desk.shop, user=desk.user, filters=filters)
    return {"page": page, "counts": sel.queue_counts(shop=desk.shop, user=desk.user, at=page.at),
            "server_now": page.at, "board": sel.reply_board(shop=desk.shop, user=desk.user, at=page.at),
            "reply_next": sel.reply_next(shop=desk.shop, at=page.at), "live_seq": live_seq, "desk_shop": desk.shop.pk}


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    desk = Desk(request)
    filters, error = _filters(request)
    query = filters.as_query()
    context = {
        **_queue_context(desk, filters), "filters": filters, "filter_error": error,
        "query": urlencode(query), "query_without_page": urlencode({k: v for k, v in query.items() if k != "page"}),
        "scopes": sel.SCOPES.items(), "statuses": TicketStatus.choices, "channels": Channel.choices,
        "categories": TicketCategory.choices, "priorities": Priority.choices, "teams": Team.choices,
        "poll_seconds": POLL_SECONDS, "can_reply": desk.can(REPLY), "phone_call_log": _phone_call_log() is not None,
        # every form and link of the page names the shop it was drawn for (a tab per shop; the session's may differ)
        "shop_q": urlencode({"shop": desk.shop.pk}),
    }
    context["rows_html"] = queue_rows_html(context["page"], shop_id=desk.shop.pk)
    return render(request, "desk/queue.html", context)


@login_required
@require_GET
def queue_rows(request: HttpRequest) -> JsonResponse:
    """The live refresh of the queue: the table body as HTML and the badges."""
    desk = Desk(request)
    filters, error = _filters(request)
    context = _queue_context(desk, filters)
    page = context["page"]
    html = queue_rows_html(page, shop_id=desk.shop.pk)  # the template's rows, built without the template engine (desk/queue_html.py)
    return JsonResponse({"html": html, "counts": context["counts"], "total": page.total, "error": error,
                         "now": page.at.isoformat(),
                         "reply_html": render_to_string("desk/_reply_board.html", context, request=request)})


@login_required
@require_POST
def call_log(request: HttpRequest) -> HttpResponse:
    """Log a phone call from the queue page (a caller who has no open ticket yet)."""
    desk = Desk(request)
    desk.require(REPLY)
    phone = _phone_call_log()
    if phone is None:
        raise Http404(_("未启用电话记录"))
    p = request.POST
    try:
        ticket = phone.phone_call_log(shop=desk.shop, agent=request.user, summary=p.get("summary", ""),
                                      phone=p.get("phone", ""), direction=p.get("direction", "inbound"),
                                      duration_seconds=_int(p.get("duration_seconds")))
    except phone.CallLogError as exc:
        messages.error(request, str(exc))
        return redirect(f"{reverse('desk:queue')}?shop={desk.shop.pk}" if desk.named else "desk:queue")
    messages.success(request, _("已记录通话（工单 %(number)s）") % {"number": ticket.number})
    return _to_ticket(desk, ticket.pk)


# --- one ticket ---------------------------------------------------------------------------------

def _assignable(shop):
    users = get_user_model().objects.filter(
        memberships__shop=shop, memberships__role__in=[Role.AGENT, Role.SUPERVISOR, Role.ADMIN])
    return users.order_by("username").distinct()


def _ticket_context(request: HttpRequest, desk: Desk, ticket, *, draft: str = "", draft_script: str = "",
                    blocked: list[str] | None = None) -> dict:
    at = now()
    live_seq = _live_seq(desk)
    # the live refresh's cursors, read *before* the timeline (a row committed in between is read again, not skipped)
    cursors = sel.ticket_cursors(ticket=ticket)
    case = desk_svc.ticket_linked_case(ticket=ticket)
    suggestions = inbox_scripts.scripts_suggest(ticket=ticket) if desk.can(REPLY) else []
    customer = (sel.customer_360(shop=desk.shop, customer=ticket.customer, exclude_ticket_id=ticket.pk)
                if ticket.customer_id else None)
    tracked_order = ticket.order_id or (customer.orders[0].pk if customer and customer.orders else None)
    order_lines = list(ticket.order.lines.order_by("pk")) if ticket.order_id else []
    return {
        "ticket": ticket,
        "clock": sel.ticket_queue_clock(ticket, at=at),
        "server_now": at,
        "timeline": (page := sel.ticket_timeline_page(ticket=ticket)).items,  # the newest messages
        "timeline_earlier": page.earlier,
        "last_ids": cursors,
        "customer": customer,
        "tracking": order_tracking(shop=desk.shop, order_id=tracked_order) if tracked_order else [],
        "can_reveal": desk.can(PII_REVEAL),
        "can_reply": desk.can(REPLY),
        "can_case_create": desk.can(CASE_CREATE),
        "can_case_approve": desk.can(CASE_APPROVE),
        "suggestions": suggestions,
        "all_scripts": sel.script_list(shop=desk.shop).exclude(pk__in=[s.pk for s in suggestions])
        if desk.can(REPLY) else [],
        "assignable": _assignable(desk.shop) if desk.can(REPLY) else [],
        "priorities": Priority.choices,
        "departments": [(v, label) for v, label in Team.choices if v != Team.SERVICE],
        "is_open": ticket.status in OPEN_TICKET_STATUSES,
        "case": case,
        "case_card": case_card(case=case, user=desk.user) if case else None,
        "case_next": CASE_TRANSITIONS.get(case.status, set()) if case else set(),
        "claim_reasons": ClaimReason.choices,
        "case_kinds": CaseKind.choices,
        "order_lines": order_lines,
        "claimable_lines": [ln for ln in order_lines if ln.removed_at is None],  # not the lines the platform removed
        "escalations": sel.ticket_escalations(ticket=ticket),
        "draft": draft,
        "draft_script": draft_script,
        "blocked": blocked or [],
        "default_due": (at + dt.timedelta(days=1)).astimezone(local_tz()).strftime("%Y-%m-%dT%H:%M"),
        "phone_call_log": _phone_call_log() is not None,
        "needs_phone": ticket.customer_id is None,
        "poll_seconds": POLL_SECONDS,
        "live_seq": live_seq,
        "desk_shop": desk.shop.pk,
    }


@login_required
@require_GET
def ticket_view(request: HttpRequest, pk: int) -> HttpResponse:
    desk = Desk(request)
    ticket = _ticket_or_404(desk, pk)
    return render(request, "desk/ticket.html", _ticket_context(request, desk, ticket))


def _int(value, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@login_required
@require_GET
def ticket_poll(request: HttpRequest, pk: int) -> JsonResponse:
    """New timeline items since the ids the page has (m = message, e = event), and the clock."""
    desk = Desk(request)
    ticket = _ticket_or_404(desk, pk)
    # `m` and `e` are cursors that skip nothing a transaction commits late (inbox.selectors.Cursor, docs/live.md):
    # the items may repeat some the page has, which keeps one per data-key
    read = sel.ticket_refresh(ticket=ticket, after_message=sel.Cursor.parse(request.GET.get("m")),
                              after_event=sel.Cursor.parse(request.GET.get("e")))
    items = read.items
    at = now()
    clock = sel.ticket_queue_clock(ticket, at=at)
    html = render_to_string("desk/_timeline_items.html", {"timeline": items}, request=request)
    clock_html = render_to_string("desk/_clock.html", {"clock": clock, "ticket": ticket}, request=request)
    deliveries = {m.pk: render_to_string("desk/_delivery.html", {"m": m}, request=request)
                  for m in sel.ticket_deliveries(ticket=ticket)}
    return JsonResponse({"html": html, "count": len(items), "m": read.message.token(),
                         "deliveries": deliveries,
                         "e": read.event.token(), "clock_html": clock_html,
                         "status": ticket.status, "status_label": ticket.get_status_display(),
                         # who holds it now (a reply takes an unassigned conversation): the one-screen pane's header
                         "assignee_label": ticket.assignee.get_username() if ticket.assignee_id else _("未分配"),
                         "now": at.isoformat()})


@login_required
@require_GET
def ticket_earlier(request: HttpRequest, pk: int) -> JsonResponse:
    """「查看更早的消息」: the page of the timeline before the oldest message the page has (`before`, a message id),
    and the cursor of the page before it (null: the conversation's beginning is shown)."""
    desk = Desk(request)
    ticket = _ticket_or_404(desk, pk)
    before = _int(request.GET.get("before"))
    if before <= 0 or before > 2**62:
        return JsonResponse({"error": _("参数 before 应为消息编号")}, status=400)
    page = sel.ticket_timeline_page(ticket=ticket, before_message_id=before)
    html = render_to_string("desk/_timeline_items.html", {"timeline": page.items}, request=request)
    return JsonResponse({"html": html, "count": len(page.items), "earlier": page.earlier})


@login_required
@require_GET
def message_file(request: HttpRequest, message_id: int) -> HttpResponse:
    """A chat photo or file, for members of the message's shop only (uploads are never public)."""
    desk = Desk(request)
    message = sel.message_with_file(shop=desk.shop, message_id=message_id)
    if message is None:
        raise Http404(_("文件不存在"))
    return file_response(message.attachment, message.attachment_name)


@login_required
@require_GET
def script_render_view(request: HttpRequest, pk: int, script_id: int) -> JsonResponse:
    """The script filled in for this ticket: what a click in the composer puts in the text box."""
    desk = Desk(request)
    desk.require(REPLY)
    ticket = _ticket_or_404(desk, pk)
    script = Script.objects.filter(shop=desk.shop, pk=script_id, is_active=True).first()
    if script is None:
        raise Http404(_("话术不存在"))
    try:
        text = inbox_scripts.script_render(script=script, ticket=ticket)
    except inbox_scripts.ScriptError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"id": script.pk, "title": script.title, "text": text})


def _phone_call_log():
    """The CHANNELS helper's phone-call logger (shouhou.inbox.channels.phone) and its error class."""
    try:
        from shouhou.inbox.channels import phone  # noqa: PLC0415
    except ImportError:
        return None
    return phone if hasattr(phone, "phone_call_log") else None


def _due(value: str):
    parsed = parse_datetime(value or "")
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=local_tz())
    return parsed


@login_required
@require_POST
def ticket_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Reply, note, status, assign, priority, escalate, escalation progress, phone call."""
    desk = Desk(request)
    desk.require(REPLY)
    ticket = _ticket_or_404(desk, pk)
    p, user = request.POST, request.user
    try:
        if action == "reply":
            body = p.get("body", "").strip()
            upload = request.FILES.get("file")
            if not body and upload is None:
                raise inbox_svc.TicketError(_("回复内容不能为空"))
            script = Script.objects.filter(shop=desk.shop, pk=_int(p.get("script"))).first() if p.get("script") else None
            try:
                inbox_svc.ticket_reply(ticket=ticket, author=user, body=body, script=script, attachment=upload)
            except inbox_svc.ReplyBlocked as exc:
                if _wants_json(request):
                    return JsonResponse({"ok": False, "blocked": list(exc.reasons) or [str(exc)]}, status=422)
                context = _ticket_context(request, desk, ticket, draft=body, draft_script=p.get("script", ""),
                                          blocked=list(exc.reasons) or [str(exc)])
                return render(request, "desk/ticket.html", context, status=422)
            messages.success(request, _("已回复"))
        elif action == "note":
            body = p.get("body", "").strip()
            if not body:
                raise inbox_svc.TicketError(_("备注内容不能为空"))
            inbox_svc.ticket_note(ticket=ticket, author=user, body=body)
            messages.success(request, _("已添加内部备注"))
        elif action == "status":
            inbox_svc.ticket_set_status(ticket=ticket, status=p.get("status", ""), actor=user, note=p.get("note", ""))
            messages.success(request, _("状态已更新"))
        elif action == "assign":
            agent = _assignable(desk.shop).filter(pk=_int(p.get("agent"))).first()
            if agent is None:
                raise inbox_svc.TicketError(_("请选择本店铺的客服"))
            inbox_svc.ticket_assign(ticket=ticket, agent=agent, actor=user)
            messages.success(request, _("已分配给 %(name)s") % {"name": agent.get_username()})
        elif action == "priority":
            inbox_svc.ticket_set_priority(ticket=ticket, priority=_int(p.get("priority")), actor=user)
            messages.success(request, _("优先级已更新"))
        elif action == "escalate":
            due = _due(p.get("due_at", ""))
            if due is None:
                raise inbox_svc.TicketError(_("请填写升级的截止时间"))
            owner = _assignable(desk.shop).filter(pk=_int(p.get("owner"))).first() if p.get("owner") else None
            inbox_svc.ticket_escalate(ticket=ticket, department=p.get("department", ""),
                                      request=p.get("request", "").strip(), actor=user, owner=owner, due_at=due)
            messages.success(request, _("已升级到部门"))
        elif action in {"escalation_update", "escalation_close"}:
            escalation = Escalation.objects.filter(shop=desk.shop, ticket=ticket, pk=_int(p.get("escalation"))).first()
            if escalation is None:
                raise Http404(_("升级记录不存在"))
            if action == "escalation_update":
                inbox_svc.escalation_update_add(escalation=escalation, author=user, note=p.get("note", "").strip(),
                                                visible_to_customer=p.get("internal") != "1")
            else:
                inbox_svc.escalation_close(escalation=escalation, actor=user, note=p.get("note", "").strip())
            messages.success(request, _("已记录部门进展"))
        elif action == "call":
            phone = _phone_call_log()
            if phone is None:
                raise Http404(_("未启用电话记录"))
            try:
                called = phone.phone_call_log(
                    shop=desk.shop, agent=user, summary=p.get("summary", ""), customer=ticket.customer,
                    phone=p.get("phone", "") or ("" if ticket.customer_id else ticket.conversation.contact_handle
                                                 if ticket.conversation_id else ""),
                    direction=p.get("direction", "inbound"), duration_seconds=_int(p.get("duration_seconds")),
                    order=ticket.order)
            except phone.CallLogError as exc:
                raise inbox_svc.TicketError(str(exc)) from exc
            messages.success(request, _("已记录通话（工单 %(number)s）") % {"number": called.number})
            return _to_ticket(desk, called.pk)
        else:
            raise Http404(_("未知操作"))
    except (inbox_svc.TicketError, ValueError) as exc:
        if _wants_json(request):
            return JsonResponse({"ok": False, "error": str(exc)}, status=400)
        messages.error(request, str(exc))
    if _wants_json(request):
        return _json_done(request)
    return _to_ticket(desk, ticket.pk)


def _wants_json(request: HttpRequest) -> bool:
    """The one-screen desk posts actions with fetch() and reads a JSON answer instead of a redirect."""
    return request.headers.get("X-Desk-Fetch") == "1"


def _json_done(request: HttpRequest) -> JsonResponse:
    notes = [str(m) for m in messages.get_messages(request)]  # consumed here, not shown on the next page
    return JsonResponse({"ok": True, "message": "；".join(notes)})


@login_required
@require_POST
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One-click case actions for the ticket's order: create, approve, reject (with a reason)."""
    desk = Desk(request)
    ticket = _ticket_or_404(desk, pk)
    p, user = request.POST, request.user
    try:
        if action == "create":
            desk.require(CASE_CREATE)
            case = desk_svc.ticket_case_create(ticket=ticket, actor=user, order_line_id=_int(p.get("line")) or None,
                                               reason=p.get("reason", ""), kind=p.get("kind") or None,
                                               description=p.get("description", "").strip())
            messages.success(request, _("已创建售后单 %(number)s") % {"number": case.number})
        elif action == "approve":
            desk.require(CASE_APPROVE)
            case = desk_svc.ticket_case_approve(ticket=ticket, actor=user, note=p.get("note", ""))
            messages.success(request, _("已同意售后单 %(number)s") % {"number": case.number})
        elif action == "reject":
            desk.require(CASE_APPROVE)
            case = desk_svc.ticket_case_reject(ticket=ticket, actor=user, reason=p.get("reason", "").strip())
            messages.success(request, _("已拒绝售后单 %(number)s") % {"number": case.number})
        else:
            raise Http404(_("未知操作"))
    except desk_svc.CaseError as exc:
        messages.error(request, str(exc))
    return _to_ticket(desk, ticket.pk)


# --- the supervisor view ------------------------------------------------------------------------

def _team_context(desk: Desk) -> dict:
    live_seq = _live_seq(desk)
    at = now()
    breached = sel.ticket_queue(shop=desk.shop, user=desk.user, filters=sel.QueueFilters(breached=True, per_page=100),
                                at=at)
    return {"loads": sel.team_load(shop=desk.shop, at=at), "breached": breached,
            "escalations": list(sel.escalation_list(shop=desk.shop)[:100]), "server_now": at,
            "counts": sel.queue_counts(shop=desk.shop, user=desk.user, at=at), "poll_seconds": POLL_SECONDS * 3,
            "board": (board := sel.reply_board(shop=desk.shop, at=at)), "show_agents": True,
            "unassigned_rates": board.unassigned, "reply_next": sel.reply_next(shop=desk.shop, at=at),
            "live_seq": live_seq, "desk_shop": desk.shop.pk}


@login_required
@require_GET
def team(request: HttpRequest) -> HttpResponse:
    desk = Desk(request)
    if not desk.is_supervisor_view_allowed:
        raise PermissionDenied(_("团队看板仅主管、管理员与分析角色可见"))
    return render(request, "desk/team.html", _team_context(desk))


@login_required
@require_GET
def team_rows(request: HttpRequest) -> JsonResponse:
    desk = Desk(request)
    if not desk.is_supervisor_view_allowed:
        raise PermissionDenied(_("团队看板仅主管、管理员与分析角色可见"))
    context = _team_context(desk)
    return JsonResponse({"html": render_to_string("desk/_team_body.html", context, request=request),
                         "now": context["server_now"].isoformat()})
