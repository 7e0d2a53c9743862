"""/api/inbox/: conversations, inbound messages, tickets (queue, detail, reply, note, assign, status,
priority, escalations), scripts, agents and shifts. Every query is filtered by request.auth.shop;
reads need VIEW, agent actions REPLY, team configuration TEAM_MANAGE."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from ninja import Field, Path, Query, Router, Schema, Status

from shouhou.accounts.permissions import REPLY, TEAM_MANAGE, VIEW, role_can
from shouhou.api.errors import DomainError
from shouhou.commerce.models import Customer, Order
from shouhou.core.phones import PhoneError, mask_phone, normalize_phone
from shouhou.desk import team as team_svc
from shouhou.inbox import scripts as scripts_svc
from shouhou.inbox import selectors as sel
from shouhou.inbox import services as svc
from shouhou.inbox.channels import phone as phone_channel
from shouhou.inbox.choices import Channel, EscalationStatus, Team, TicketEventKind, TicketStatus
from shouhou.inbox.models import AgentProfile, Conversation, Escalation, Message, Script, Shift, Ticket

router = Router(tags=["会话与工单"])

Id = Annotated[int, Path(ge=1, le=2_147_483_647)]
MAX_BODY = 5000
PHONE_LIKE = re.compile(r"[\d+\-\s()]+")
DEPARTMENTS = [t for t in Team.values if t != Team.SERVICE]


# --- schemas ------------------------------------------------------------------------------------

class InboxClockOut(Schema):
    target: str = Field(description="first_response / next_response / resolution；空表示没有运行中的时钟")
    due_at: dt.datetime | None
    remaining_seconds: int | None
    paused: bool
    breached: bool
    warning: bool


class InboxMessageOut(Schema):
    id: int
    direction: str
    body: str
    author: str | None
    is_bot: bool
    external_id: str
    delivery_status: str = Field(description='"" (not sent through a channel), "sent" or "failed"')
    delivery_error: str
    delivery_attempts: int
    delivery_retry_at: dt.datetime | None = Field(description="next automatic retry of a failed send; null when final")
    script_id: int | None
    attachment: str
    attachment_name: str = Field(description="the file's name as the sender gave it (a label, never a path); "
                                             '"" when none')
    created_at: dt.datetime


class InboxTicketEventOut(Schema):
    id: int
    kind: str
    actor: str | None
    from_value: str
    to_value: str
    note: str
    visible_to_customer: bool
    created_at: dt.datetime


class InboxEscalationUpdateOut(Schema):
    id: int
    note: str
    author: str | None
    visible_to_customer: bool
    created_at: dt.datetime


class InboxEscalationOut(Schema):
    id: int
    ticket_id: int
    department: str
    status: str
    owner: str | None
    requested_by: str | None
    request: str
    due_at: dt.datetime
    resolved_at: dt.datetime | None
    created_at: dt.datetime
    updates: list[InboxEscalationUpdateOut]


class InboxTicketOut(Schema):
    id: int
    number: str
    subject: str
    channel: str
    category: str
    complaint_type: str = Field("", description="售后问题类型（评价分类体系的代码，如 counterfeit）；未识别时为空")
    complaint_type_label: str = Field("", description="问题类型名称，随请求语言")
    priority: int
    status: str
    team: str
    assignee: str | None
    customer_id: int | None
    customer_name: str
    customer_phone: str = Field(description="脱敏手机号（138****5678）")
    customer_tier: str
    conversation_id: int | None
    order_no: str | None
    case_id: int | None
    sla_breached: bool
    first_response_due_at: dt.datetime | None
    next_response_due_at: dt.datetime | None
    resolution_due_at: dt.datetime | None
    first_responded_at: dt.datetime | None
    resolved_at: dt.datetime | None
    created_at: dt.datetime
    clock: InboxClockOut


class InboxQueueOut(Schema):
    total: int
    page: int
    pages: int
    per_page: int
    items: list[InboxTicketOut]


class InboxProgressOut(Schema):
    kind: str
    note: str
    created_at: dt.datetime


PAGE_DOC = ("最新的 200 条消息（或 `before` 之前的 200 条），按时间从早到晚；更早的消息用 `earlier` 作为 `before` "
            "再请求（docs/workbench.md, \"Long conversations in the API\"）")


class InboxTicketDetailOut(InboxTicketOut):
    messages: list[InboxMessageOut] = Field(description=PAGE_DOC)
    has_earlier: bool = Field(description="是否还有更早的消息")
    earlier: int | None = Field(description="读更早一页时作为 `before` 传入的消息编号（本页最早的一条）；没有更早的消息时为 null")
    events: list[InboxTicketEventOut] = Field(description="本页消息时间范围内的工单记录（每条记录只出现在一页）")
    escalations: list[InboxEscalationOut]
    customer_progress: list[InboxProgressOut] = Field(
        description="顾客可见的进展（转交部门、部门进展、已解决/已关闭），不含内部备注与不公开的进展")


class InboxConversationOut(Schema):
    id: int
    channel: str
    subject: str
    customer_id: int | None
    customer_name: str
    contact: str = Field(description="渠道联系人（手机号脱敏）")
    bot_active: bool
    last_message_at: dt.datetime | None
    created_at: dt.datetime


class InboxConversationDetailOut(InboxConversationOut):
    messages: list[InboxMessageOut] = Field(description=PAGE_DOC)
    has_earlier: bool = Field(description="是否还有更早的消息")
    earlier: int | None = Field(description="读更早一页时作为 `before` 传入的消息编号（本页最早的一条）；没有更早的消息时为 null")
    ticket_ids: list[int]


class InboxInboundIn(Schema):
    channel: str = Field(description="渠道：web_chat / wechat / wecom / email / social_dm …")
    body: str = Field(min_length=1, max_length=MAX_BODY)
    external_id: str = Field("", max_length=128, description="渠道消息 ID：同一 ID 只保存一次（幂等）")
    customer_id: int | None = None
    contact_handle: str = Field("", max_length=200)
    order_no: str = Field("", max_length=64)
    subject: str = Field("", max_length=200)


class InboxReceivedOut(Schema):
    message_id: int
    conversation_id: int
    ticket_id: int | None
    ticket_number: str | None
    duplicate: bool


class InboxReplyIn(Schema):
    body: str = Field(min_length=1, max_length=MAX_BODY)
    script_id: int | None = None


class InboxTicketNoteIn(Schema):
    body: str = Field(min_length=1, max_length=MAX_BODY)


class InboxTicketAssignIn(Schema):
    username: str | None = Field(None, max_length=150, description="本店铺成员的用户名；null 表示退回队列")


class InboxTicketStatusIn(Schema):
    status: str = Field(description="open / pending_customer / resolved / closed")
    note: str = Field("", max_length=500)


class InboxPriorityIn(Schema):
    priority: int = Field(ge=1, le=4, description="1 紧急 … 4 低")


class InboxEscalateIn(Schema):
    department: str = Field(description="warehouse / quality / logistics / production / rnd")
    request: str = Field(min_length=1, max_length=MAX_BODY)
    owner: str | None = Field(None, max_length=150, description="负责人用户名（本店铺成员）")
    due_at: dt.datetime | None = Field(None, description="留空按部门时限计算")


class InboxEscalationUpdateIn(Schema):
    note: str = Field(min_length=1, max_length=MAX_BODY)
    visible_to_customer: bool = True


class InboxEscalationCloseIn(Schema):
    note: str = Field("", max_length=MAX_BODY)
    status: str = Field(EscalationStatus.DONE, description="done / cancelled")


class InboxCallIn(Schema):
    summary: str = Field(min_length=1, max_length=2000, description="通话内容摘要")
    phone: str = Field("", max_length=32, description="顾客电话（未选顾客时必填）")
    customer_id: int | None = Field(None, ge=1, le=2_147_483_647)
    order_no: str = Field("", max_length=64)
    direction: str = Field("inbound", description="inbound 顾客来电 / outbound 客服去电")
    duration_seconds: int = Field(0, ge=0, le=86_400)


class InboxScriptOut(Schema):
    id: int
    scenario: str
    categories: list[str]
    title: str
    body: str
    is_active: bool
    position: int
    usage_count: int


class InboxRenderIn(Schema):
    ticket_id: int | None = None
    extra: dict[str, str] = Field(default_factory=dict, description="额外变量，如 {\"remedy\": \"补发\"}")


class InboxRenderOut(Schema):
    script_id: int
    text: str


class InboxAgentOut(Schema):
    id: int
    username: str
    skills: list[str]
    channels: list[str]
    capacity: int
    accepting: bool


class InboxAgentIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    skills: list[str] = Field(default_factory=list, max_length=50, description="商品类目：clothing / cosmetics …")
    channels: list[str] = Field(default_factory=list, max_length=20, description="空表示全部渠道")
    capacity: int = Field(8, ge=1, le=200)
    accepting: bool = True


class InboxShiftOut(Schema):
    id: int
    agent_profile_id: int
    username: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    label: str


class InboxShiftIn(Schema):
    agent_profile_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    label: str = Field("", max_length=30)


class InboxAgentLoadOut(Schema):
    username: str
    on_duty: bool
    shift_label: str
    accepting: bool
    open: int
    capacity: int
    breached: int
    due_soon: int
    first_response_median_seconds: int | None
    answered_today: int


# --- helpers ------------------------------------------------------------------------------------

def _need(request, action: str) -> None:
    # The token's scope (`inbox`, `inbox:read`, `*`) was checked against this router's domain by
    # api.auth.guard_request; Principal.can() would test it again against the action's own prefix
    # ("view", "reply", "team.") and refuse every `inbox`-scoped token, so only the role is asked here.
    if not role_can(request.auth.role, action):
        raise DomainError("无权执行此操作。", status=403)


def _run(fn, **kwargs):
    try:
        return fn(**kwargs)
    except svc.ReplyBlocked as exc:
        raise DomainError(str(exc), status=422, field="body") from exc
    except svc.TicketError as exc:
        raise DomainError(str(exc), status=409) from exc
    except scripts_svc.ScriptError as exc:
        raise DomainError(str(exc), status=400, field="extra") from exc
    except team_svc.ConfigError as exc:
        raise DomainError(str(exc), status=400, field=exc.field) from exc
    except PermissionDenied as exc:
        raise DomainError(str(exc) or "无权执行此操作。", status=403) from exc


def _name(user) -> str | None:
    return user.get_username() if user is not None else None


def _member(request, username: str | None, *, field: str):
    if not username:
        return None
    user = get_user_model().objects.filter(username=username, memberships__shop=request.auth.shop).first()
    if user is None:
        raise DomainError(f"「{username}」不是本店铺的成员", status=400, field=field)
    return user


def _ticket(request, ticket_id: int) -> Ticket:
    ticket = sel.ticket_get(shop=request.auth.shop, ticket_id=ticket_id)
    if ticket is None:
        raise DomainError("工单不存在", status=404, field="ticket_id")
    return ticket


def _message_out(m: Message) -> dict:
    return {"id": m.pk, "direction": m.direction, "body": m.body, "author": _name(m.author), "is_bot": m.is_bot,
            "external_id": m.external_id, "delivery_status": m.delivery_status, "delivery_error": m.delivery_error,
            "delivery_attempts": m.delivery_attempts, "delivery_retry_at": m.delivery_retry_at, "script_id": m.script_id,
            "attachment": m.attachment.url if m.attachment else "", "attachment_name": m.attachment_name,
            "created_at": m.created_at}


def _clock_out(t: Ticket) -> dict:
    c = sel.ticket_queue_clock(t)
    return {"target": c.target, "due_at": c.due_at, "remaining_seconds": c.remaining_seconds, "paused": c.paused,
            "breached": c.breached, "warning": c.warning}


def _ticket_out(t: Ticket) -> dict:
    from shouhou.reviews.classifier.taxonomy import ComplaintType

    customer = t.customer if t.customer_id else None
    ctype = t.complaint_type or ""  # as triage stored it (NULL on older tickets: none named)
    return {
        "id": t.pk, "number": t.number, "subject": t.subject, "channel": t.channel, "category": t.category,
        "complaint_type": ctype,
        "complaint_type_label": str(ComplaintType(ctype).label) if ctype in ComplaintType.values else "",
        "priority": t.priority, "status": t.status, "team": t.team, "assignee": _name(t.assignee),
        "customer_id": t.customer_id, "customer_name": customer.name if customer else "",
        "customer_phone": mask_phone(customer.phone) if customer else "",
        "customer_tier": customer.tier if customer else "", "conversation_id": t.conversation_id,
        "order_no": t.order.order_no if t.order_id else None, "case_id": t.case_id, "sla_breached": t.sla_breached,
        "first_response_due_at": t.first_response_due_at, "next_response_due_at": t.next_response_due_at,
        "resolution_due_at": t.resolution_due_at, "first_responded_at": t.first_responded_at,
        "resolved_at": t.resolved_at, "created_at": t.created_at, "clock": _clock_out(t),
    }


def _escalation_out(x: Escalation, updates=None) -> dict:
    updates = list(x.updates.all()) if updates is None else updates
    return {"id": x.pk, "ticket_id": x.ticket_id, "department": x.department, "status": x.status,
            "owner": _name(x.owner), "requested_by": _name(x.requested_by), "request": x.request, "due_at": x.due_at,
            "resolved_at": x.resolved_at, "created_at": x.created_at,
            "updates": [{"id": u.pk, "note": u.note, "author": _name(u.author),
                         "visible_to_customer": u.visible_to_customer, "created_at": u.created_at} for u in updates]}


def _progress_note(e) -> str:
    if e.note:
        return e.note_label
    if e.kind == TicketEventKind.STATUS:
        try:
            return f"工单{TicketStatus(e.to_value).label}"
        except ValueError:
            return e.to_value
    return ""


def _message_page(request, conversation_id: int | None, before: int | None) -> sel.MessagePage:
    page = sel.conversation_message_page(shop_id=request.auth.shop.pk, conversation_id=conversation_id,
                                         before_message_id=before)
    if page is None:
        raise DomainError("before 不是这个会话的消息编号", status=400, field="before")
    return page


def _page_out(page: sel.MessagePage) -> dict:
    return {"messages": [_message_out(m) for m in page.messages], "has_earlier": page.earlier is not None,
            "earlier": page.earlier}


def _ticket_detail(request, ticket_id: int, before: int | None = None) -> dict:
    t = _ticket(request, ticket_id)
    page = _message_page(request, t.conversation_id, before)
    events = list(t.events.filter(page.span).select_related("actor").order_by("created_at", "id"))
    # Replies reach the customer as messages; the rest of what the customer is shown is listed here (whole, on
    # every page: it is short, and it is the ticket's state rather than its timeline).
    progress = [{"kind": e.kind, "note": _progress_note(e), "created_at": e.created_at}
                for e in t.events.filter(visible_to_customer=True).exclude(kind=TicketEventKind.REPLIED)
                .order_by("created_at", "id")]
    return {**_ticket_out(t), **_page_out(page),
            "events": [{"id": e.pk, "kind": e.kind, "actor": _name(e.actor), "from_value": e.from_value,
                        "to_value": e.to_value, "note": e.note_label, "visible_to_customer": e.visible_to_customer,
                        "created_at": e.created_at} for e in events],
            "escalations": [_escalation_out(x) for x in sel.ticket_escalations(ticket=t)],
            "customer_progress": progress}


def _masked_contact(contact: str) -> str:
    """A phone-like handle (13912345678, +86 139-1234-5678 …) masked; other handles (e-mail, open ids) as
    they are."""
    digits = re.sub(r"\D", "", contact)
    if len(digits) >= 7 and PHONE_LIKE.fullmatch(contact):
        try:
            digits = normalize_phone(contact)
        except PhoneError:
            pass
        return mask_phone(digits.lstrip("+"))
    return contact


def _conversation_out(c: Conversation) -> dict:
    contact = _masked_contact(c.contact_handle)
    return {"id": c.pk, "channel": c.channel, "subject": c.subject, "customer_id": c.customer_id,
            "customer_name": c.customer.name if c.customer_id else "", "contact": contact,
            "bot_active": c.bot_active, "last_message_at": c.last_message_at, "created_at": c.created_at}


# --- conversations and inbound messages ----------------------------------------------------------

@router.get("/conversations", response=list[InboxConversationOut], summary="会话列表（最近消息在前）")
def conversations(request, channel: str = "", customer_id: int | None = Query(None, ge=1, le=2_147_483_647),
                  limit: int = Query(50, ge=1, le=200), offset: int = Query(0, ge=0, le=10_000_000)):
    _need(request, VIEW)
    rows = sel.conversation_list(shop=request.auth.shop, channel=channel, customer_id=customer_id)
    return [_conversation_out(c) for c in rows[offset:offset + limit]]


Before = Query(None, ge=1, le=2**62, description="读更早的消息：上一页返回的 `earlier`（该页最早一条消息的编号）")


@router.get("/conversations/{conversation_id}", response=InboxConversationDetailOut,
            summary="会话详情（最新 200 条消息，`before` 读更早的）")
def conversation(request, conversation_id: Id, before: int | None = Before):
    _need(request, VIEW)
    c = get_object_or_404(Conversation.objects.select_related("customer"), shop=request.auth.shop,
                          pk=conversation_id)
    return {**_conversation_out(c), **_page_out(_message_page(request, c.pk, before)),
            "ticket_ids": list(c.tickets.filter(shop=request.auth.shop).order_by("pk").values_list("pk", flat=True))}


@router.post("/messages", response={200: InboxReceivedOut, 201: InboxReceivedOut},
             summary="接收顾客消息（按 external_id 幂等：重复推送只保存一次，返回 200 与 duplicate=true）")
def inbound(request, payload: InboxInboundIn):
    _need(request, REPLY)
    shop = request.auth.shop
    if payload.channel not in Channel.values:
        raise DomainError(f"未知的渠道：{payload.channel}", status=400, field="channel")
    customer = None
    if payload.customer_id is not None:
        customer = Customer.objects.filter(shop=shop, pk=payload.customer_id).first()
        if customer is None:
            raise DomainError("顾客不存在", status=404, field="customer_id")
    order = None
    if payload.order_no:
        order = Order.objects.filter(shop=shop, order_no=payload.order_no).first()
        if order is None:
            raise DomainError("订单不存在", status=404, field="order_no")
        if customer is not None and order.customer_id not in (None, customer.pk):
            raise DomainError(f"订单 {order.order_no} 不属于该顾客", status=400, field="order_no")
        customer = customer or order.customer
    received = _run(svc.message_receive, shop=shop, channel=payload.channel, body=payload.body, customer=customer,
                    contact_handle=payload.contact_handle, external_id=payload.external_id, order=order,
                    subject=payload.subject)
    out = {"message_id": received.message.pk, "conversation_id": received.conversation.pk,
           "ticket_id": received.ticket.pk if received.ticket else None,
           "ticket_number": received.ticket.number if received.ticket else None, "duplicate": received.duplicate}
    return Status(200 if received.duplicate else 201, out)


@router.post("/calls", response={201: InboxTicketDetailOut},
             summary="记录一通电话（电话即时接通：通话本身就是首次响应；打开或续接该顾客的电话工单）")
def call_log(request, payload: InboxCallIn):
    _need(request, REPLY)
    shop = request.auth.shop
    customer = order = None
    if payload.customer_id is not None:
        customer = Customer.objects.filter(shop=shop, pk=payload.customer_id).first()
        if customer is None:
            raise DomainError("顾客不存在", status=404, field="customer_id")
    if payload.order_no:
        order = Order.objects.filter(shop=shop, order_no=payload.order_no).first()
        if order is None:
            raise DomainError("订单不存在", status=404, field="order_no")
        if customer is not None and order.customer_id not in (None, customer.pk):
            raise DomainError(f"订单 {order.order_no} 不属于该顾客", status=400, field="order_no")
        customer = customer or order.customer
    try:
        ticket = phone_channel.phone_call_log(shop=shop, agent=request.auth, summary=payload.summary,
                                              customer=customer, phone=payload.phone, direction=payload.direction,
                                              duration_seconds=payload.duration_seconds, order=order)
    except phone_channel.CallLogError as exc:
        raise DomainError(str(exc), status=400, field=exc.field or None) from exc
    return Status(201, _ticket_detail(request, ticket.pk))


# --- tickets ------------------------------------------------------------------------------------

@router.get("/tickets", response=InboxQueueOut, summary="工单队列（按优先级与 SLA 到期时间排序，可筛选）")
def tickets(request, scope: str = Query("all", description="all / mine / unassigned / team"),
            status: str = Query("", description="留空为未结工单；all 为全部"), channel: str = "", category: str = "",
            team: str = "", priority: int | None = Query(None, ge=1, le=4), breached: bool = False,
            due_within: int | None = Query(None, ge=0, le=10080, description="多少分钟内到期"), vip: bool = False,
            q: str = Query("", max_length=64, description="工单号 / 订单号 / 手机尾号"),
            page: int = Query(1, ge=1, le=100_000), per_page: int = Query(50, ge=1, le=200)):
    _need(request, VIEW)
    raw = {"scope": scope, "status": status, "channel": channel, "category": category, "team": team,
           "priority": "" if priority is None else str(priority), "breached": "1" if breached else "",
           "due_within": "" if due_within is None else str(due_within), "vip": "1" if vip else "", "q": q,
           "page": str(page), "per_page": str(per_page)}
    try:
        filters = sel.QueueFilters.from_mapping(raw)
    except sel.FilterError as exc:
        raise DomainError(str(exc), status=400, field=exc.field) from exc
    result = sel.ticket_queue(shop=request.auth.shop, user=request.auth.actor, filters=filters)
    return {"total": result.total, "page": result.page, "pages": result.pages, "per_page": result.per_page,
            "items": [_ticket_out(row.ticket) for row in result.rows]}


@router.get("/tickets/{ticket_id}", response=InboxTicketDetailOut,
            summary="工单详情（最新 200 条消息及同一时段的记录，`before` 读更早的；部门升级）")
def ticket_detail(request, ticket_id: Id, before: int | None = Before):
    _need(request, VIEW)
    return _ticket_detail(request, ticket_id, before)


@router.post("/tickets/{ticket_id}/reply", response={201: InboxMessageOut},
             summary="回复顾客（合规检查不通过返回 422，说明原因；停止首响/再响时钟）")
def reply(request, ticket_id: Id, payload: InboxReplyIn):
    _need(request, REPLY)
    t = _ticket(request, ticket_id)
    script = None
    if payload.script_id is not None:
        script = Script.objects.filter(shop=request.auth.shop, pk=payload.script_id).first()
        if script is None:
            raise DomainError("话术不存在", status=404, field="script_id")
    msg = _run(svc.ticket_reply, ticket=t, author=request.auth, body=payload.body, script=script)
    return Status(201, _message_out(msg))


@router.post("/tickets/{ticket_id}/notes", response={201: InboxMessageOut}, summary="内部备注（顾客不可见）")
def note(request, ticket_id: Id, payload: InboxTicketNoteIn):
    _need(request, REPLY)
    msg = _run(svc.ticket_note, ticket=_ticket(request, ticket_id), author=request.auth, body=payload.body)
    return Status(201, _message_out(msg))


@router.post("/tickets/{ticket_id}/assign", response=InboxTicketDetailOut, summary="分配处理人（null 退回队列）")
def assign(request, ticket_id: Id, payload: InboxTicketAssignIn):
    _need(request, REPLY)
    t = _ticket(request, ticket_id)
    _run(svc.ticket_assign, ticket=t, agent=_member(request, payload.username, field="username"),
         actor=request.auth)
    return _ticket_detail(request, ticket_id)


@router.post("/tickets/{ticket_id}/status", response=InboxTicketDetailOut,
             summary="变更状态（等待顾客暂停时钟；已解决停止解决时钟）")
def set_status(request, ticket_id: Id, payload: InboxTicketStatusIn):
    _need(request, REPLY)
    t = _ticket(request, ticket_id)
    if payload.status not in TicketStatus.values:
        raise DomainError(f"未知的工单状态：{payload.status}（可选：{'、'.join(TicketStatus.values)}）", status=400,
                          field="status")
    _run(svc.ticket_set_status, ticket=t, status=payload.status, actor=request.auth,
         note=payload.note)
    return _ticket_detail(request, ticket_id)


@router.post("/tickets/{ticket_id}/priority", response=InboxTicketDetailOut, summary="变更优先级")
def set_priority(request, ticket_id: Id, payload: InboxPriorityIn):
    _need(request, REPLY)
    _run(svc.ticket_set_priority, ticket=_ticket(request, ticket_id), priority=payload.priority,
         actor=request.auth)
    return _ticket_detail(request, ticket_id)


@router.get("/tickets/{ticket_id}/escalations", response=list[InboxEscalationOut], summary="工单的部门升级")
def escalations(request, ticket_id: Id):
    _need(request, VIEW)
    return [_escalation_out(x) for x in sel.ticket_escalations(ticket=_ticket(request, ticket_id))]


@router.post("/tickets/{ticket_id}/escalations", response={201: InboxEscalationOut},
             summary="升级到部门（仓库、质检、物流、生产、研发），带截止时间")
def escalate(request, ticket_id: Id, payload: InboxEscalateIn):
    _need(request, REPLY)
    t = _ticket(request, ticket_id)
    if payload.department not in DEPARTMENTS:
        raise DomainError(f"未知的部门：{payload.department}（可选：{'、'.join(DEPARTMENTS)}）", status=400,
                          field="department")
    if payload.due_at is not None and payload.due_at.tzinfo is None:
        raise DomainError("截止时间须带时区，如 2026-11-11T20:00:00+08:00", status=400, field="due_at")
    x = _run(svc.ticket_escalate, ticket=t, department=payload.department, request=payload.request,
             actor=request.auth, owner=_member(request, payload.owner, field="owner"), due_at=payload.due_at)
    return Status(201, _escalation_out(x, updates=[]))


def _escalation(request, escalation_id: int) -> Escalation:
    return get_object_or_404(Escalation.objects.select_related("owner", "requested_by"), shop=request.auth.shop,
                             pk=escalation_id)


@router.post("/escalations/{escalation_id}/updates", response={201: InboxEscalationOut},
             summary="记录部门处理进展（默认顾客可见）")
def escalation_update(request, escalation_id: Id, payload: InboxEscalationUpdateIn):
    _need(request, REPLY)
    x = _escalation(request, escalation_id)
    _run(svc.escalation_update_add, escalation=x, author=request.auth, note=payload.note,
         visible_to_customer=payload.visible_to_customer)
    return Status(201, _escalation_out(_escalation(request, escalation_id)))


@router.post("/escalations/{escalation_id}/close", response=InboxEscalationOut, summary="部门处理完毕 / 取消升级")
def escalation_close(request, escalation_id: Id, payload: InboxEscalationCloseIn):
    _need(request, REPLY)
    x = _escalation(request, escalation_id)
    if payload.status not in (EscalationStatus.DONE, EscalationStatus.CANCELLED):
        raise DomainError(f"关闭升级时状态只能是 done（已完成）或 cancelled（已取消），收到「{payload.status}」",
                          status=400, field="status")
    _run(svc.escalation_close, escalation=x, actor=request.auth, note=payload.note, status=payload.status)
    return _escalation_out(_escalation(request, escalation_id))


# --- scripts ------------------------------------------------------------------------------------

def _script_out(s: Script) -> dict:
    return {"id": s.pk, "scenario": s.scenario, "categories": list(s.categories or []), "title": s.title,
            "body": s.body, "is_active": s.is_active, "position": s.position, "usage_count": s.usage_count}


@router.get("/scripts", response=list[InboxScriptOut], summary="话术库")
def scripts(request, scenario: str = "", active_only: bool = True):
    _need(request, VIEW)
    rows = sel.script_list(shop=request.auth.shop, active_only=active_only)
    if scenario:
        rows = rows.filter(scenario=scenario)
    return [_script_out(s) for s in rows[:500]]


@router.get("/tickets/{ticket_id}/scripts", response=list[InboxScriptOut], summary="按工单分类推荐话术")
def scripts_for_ticket(request, ticket_id: Id, limit: int = Query(5, ge=1, le=20)):
    _need(request, VIEW)
    return [_script_out(s) for s in scripts_svc.scripts_suggest(ticket=_ticket(request, ticket_id), limit=limit)]


@router.post("/scripts/{script_id}/render", response=InboxRenderOut, summary="填入变量（{customer}、{order_no}…）")
def script_render(request, script_id: Id, payload: InboxRenderIn):
    _need(request, VIEW)
    script = get_object_or_404(Script, shop=request.auth.shop, pk=script_id)
    ticket = _ticket(request, payload.ticket_id) if payload.ticket_id is not None else None
    text = _run(scripts_svc.script_render, script=script, ticket=ticket, extra=payload.extra)
    return {"script_id": script.pk, "text": text}


# --- agents, shifts, team load ------------------------------------------------------------------

def _agent_out(p: AgentProfile) -> dict:
    return {"id": p.pk, "username": p.user.get_username(), "skills": list(p.skills or []),
            "channels": list(p.channels or []), "capacity": p.capacity, "accepting": p.accepting}


def _shift_out(s: Shift) -> dict:
    return {"id": s.pk, "agent_profile_id": s.agent_id, "username": s.agent.user.get_username(),
            "starts_at": s.starts_at, "ends_at": s.ends_at, "label": s.label}


@router.get("/agents", response=list[InboxAgentOut], summary="客服资料（技能、渠道、上限）")
def agents(request):
    _need(request, VIEW)
    rows = AgentProfile.objects.filter(shop=request.auth.shop).select_related("user").order_by("user__username")
    return [_agent_out(p) for p in rows]


@router.post("/agents", response={201: InboxAgentOut}, summary="添加客服资料（主管）")
def agent_create(request, payload: InboxAgentIn):
    _need(request, TEAM_MANAGE)
    user = _member(request, payload.username, field="username")
    profile = _run(team_svc.agent_profile_create, shop=request.auth.shop, user=user, skills=payload.skills,
                   channels=payload.channels, capacity=payload.capacity, accepting=payload.accepting,
                   actor=request.auth)
    return Status(201, _agent_out(profile))


@router.get("/shifts", response=list[InboxShiftOut], summary="排班（可按时间段、客服筛选）")
def shifts(request, start: dt.datetime | None = None, end: dt.datetime | None = None,
           agent_profile_id: int | None = Query(None, ge=1, le=2_147_483_647),
           limit: int = Query(200, ge=1, le=1000)):
    _need(request, VIEW)
    for name, value in (("start", start), ("end", end)):
        if value is not None and value.tzinfo is None:
            raise DomainError(f"{name}: 时间须带时区，如 2026-11-11T22:00:00+08:00", status=400, field=name)
    rows = Shift.objects.filter(shop=request.auth.shop).select_related("agent__user")
    if start is not None:
        rows = rows.filter(ends_at__gt=start)
    if end is not None:
        rows = rows.filter(starts_at__lt=end)
    if agent_profile_id is not None:
        rows = rows.filter(agent_id=agent_profile_id)
    return [_shift_out(s) for s in rows.order_by("starts_at", "id")[:limit]]


@router.post("/shifts", response={201: InboxShiftOut}, summary="添加班次（夜班可跨午夜，最长 24 小时）")
def shift_create(request, payload: InboxShiftIn):
    _need(request, TEAM_MANAGE)
    agent = AgentProfile.objects.filter(shop=request.auth.shop, pk=payload.agent_profile_id).first()
    if agent is None:
        raise DomainError("客服资料不存在", status=404, field="agent_profile_id")
    shift = _run(team_svc.shift_create, shop=request.auth.shop, agent=agent, starts_at=payload.starts_at,
                 ends_at=payload.ends_at, label=payload.label, actor=request.auth)
    return Status(201, _shift_out(Shift.objects.select_related("agent__user").get(pk=shift.pk)))


@router.get("/team-load", response=list[InboxAgentLoadOut], summary="团队负载（在岗、处理中、上限、超时、即将到期、今日首响中位数）")
def team_load(request):
    _need(request, VIEW)
    return [{"username": a.user.get_username(), "on_duty": a.on_duty, "shift_label": a.shift_label,
             "accepting": a.accepting, "open": a.open, "capacity": a.capacity, "breached": a.breached,
             "due_soon": a.due_soon, "first_response_median_seconds": a.first_response_median_seconds,
             "answered_today": a.answered_today} for a in sel.team_load(shop=request.auth.shop)]


_: Any = None  # keep the module's public names explicit for readers
