from __future__ import annotations

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema

from shouhou.api.errors import DomainError
from shouhou.api.params import FilterId
from shouhou.commerce.models import Customer
from shouhou.notifications.models import MessageTemplate
from shouhou.notifications.selectors import customer_timeline, message_list, opt_out_requests
from shouhou.notifications.services import template_save
from shouhou.notifications.templates_text import DEFAULTS, MAX_BODY, VARIABLES, TemplateError

router = Router(tags=["主动关怀"])


class TemplateIn(Schema):
    trigger: str = Field(max_length=40)
    channel: str = Field(max_length=16)
    # A body of megabytes was stored and copied into every message row (templates_text.MAX_BODY).
    body: str = Field(min_length=1, max_length=MAX_BODY)
    provider_template_code: str = Field("", max_length=64)


class TemplateOut(Schema):
    trigger: str
    channel: str
    body: str
    variables: list[str]
    is_default: bool


class MessageOut(Schema):
    id: int
    customer_id: int | None
    trigger: str
    channel: str
    status: str
    body: str
    suppressed_reason: str
    last_error: str = Field("", description="why it was not sent: the provider's error, or the compliance guard's reason")
    attempts: int
    send_after: datetime | None
    sent_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime


@router.get("/templates", response=list[TemplateOut])
def templates(request):
    shop = request.auth.shop
    own = {(t.trigger, t.channel): t for t in MessageTemplate.objects.filter(shop=shop, active=True)}
    out = [TemplateOut(trigger=t.trigger, channel=t.channel, body=t.body, variables=list(VARIABLES[t.trigger]),
                       is_default=False) for t in own.values()]
    out += [TemplateOut(trigger=str(trig), channel="*", body=body, variables=list(VARIABLES[trig]), is_default=True)
            for trig, body in DEFAULTS.items()]
    return out


@router.put("/templates", response=TemplateOut)
def template_put(request, payload: TemplateIn):
    if not request.auth.can("policy.edit"):
        raise DomainError("当前角色无权修改消息模板", status=403)
    try:
        t = template_save(shop=request.auth.shop, trigger=payload.trigger, channel=payload.channel, body=payload.body,
                          provider_template_code=payload.provider_template_code, actor=request.auth)
    except TemplateError as exc:
        raise DomainError(str(exc), field=f"body.{exc.variable}" if exc.variable else "body") from exc
    return TemplateOut(trigger=t.trigger, channel=t.channel, body=t.body, variables=list(VARIABLES[t.trigger]),
                       is_default=False)


@router.get("/messages", response=list[MessageOut])
def messages(request, status: str | None = None, trigger: str | None = None):
    return list(message_list(shop=request.auth.shop, status=status, trigger=trigger))


@router.get("/customers/{customer_id}/timeline", response=list[MessageOut])
def timeline(request, customer_id: int):
    get_object_or_404(Customer, shop=request.auth.shop, pk=customer_id)  # 404 for another shop's customer
    return list(customer_timeline(shop=request.auth.shop, customer_id=customer_id))


class OptOutOut(Schema):
    id: int
    customer_id: int | None
    source: str = Field(description="sms_reply, or the chat channel it was said in (web_chat, wechat_kf …)")
    text: str = Field(description="the customer's own words")
    outcome: str = Field(description="opted_out | already | no_customer (a person must find the customer) | "
                                     "question (asked about 退订; not opted out) | resubscribed | not_opted_out")
    scope: str = Field(description="care (care and marketing messages: 「退订」) | all (every message, case notices "
                                   "too: 「全部退订」) | sms (SMS to this number: the SMS provider's block list) | "
                                   "'' (a question or a resubscription)")
    received_at: datetime


@router.get("/opt-outs", response=list[OptOutOut])
def opt_outs(request, customer_id: FilterId = None, outcome: str | None = None, scope: str | None = None):
    return list(opt_out_requests(shop=request.auth.shop, customer_id=customer_id, outcome=outcome, scope=scope))
