"""Proactive messages. Contract used by other apps:

    notification_enqueue(shop=..., customer=..., trigger="case_approved", context={...},
                         idempotency_key="case:42:approved") -> OutboundMessage | None

Call it inside the transaction of the business change (outbox pattern): the row exists iff the change
committed; delivery is scheduled with transaction.on_commit. A repeated idempotency key returns the
existing row. Quiet hours move send_after; opt-out and frequency caps store a SUPPRESSED row with the
reason (so the timeline shows why nothing went out). So does the compliance guard (reason
"compliance", the guard's words in last_error): a message offering something for a good review, or for
deleting or changing a bad one, is never sent.
"""

from __future__ import annotations

import json
import logging
import re
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext

from shouhou.core.clock import local_tz, now
from shouhou.notifications.choices import MsgChannel, OptOutScope, SuppressedReason, Trigger
from shouhou.notifications.models import (
    ContactOptOut,
    DeliveryReceipt,
    MessageTemplate,
    OptOutRequest,
    OutboundMessage,
)
from shouhou.notifications.providers import provider_for_channel
from shouhou.notifications.providers.base import ProviderError
from shouhou.notifications.templates_text import (
    DEFAULTS,
    FREE_TEXT,
    PLACEHOLDER,
    REQUIRED,
    TEMPLATE_BODY,
    TemplateError,
    compliance_text,
    render,
    template_check,
    template_variables,
    unknown_trigger,
)
from shouhou.reviews.guards import guard_outgoing, guard_refusal

log = logging.getLogger(__name__)
S = OutboundMessage.Status

# Tunables (settings may override): quiet hours in local time, caps per customer per rolling 24h.
QUIET_START = 22
QUIET_END = 8
DAILY_CAP = 3
# The order-placed message thanks a buyer for an order just placed: only an order paid (or placed) within these
# hours, and not cancelled, gets it. A merchant's first import of last month's export must not text every buyer
# 「订单已收到」 weeks later (and pay the gateway for it). An order with neither time gets none.
ORDER_PLACED_WITHIN_HOURS = 48
MAX_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 60
# Transactional triggers the customer needs even when marketing-type caps are hit.
CAP_EXEMPT = {Trigger.ORDER_SHIPPED, Trigger.CASE_APPROVED, Trigger.CASE_RESOLVED, Trigger.CASE_REJECTED,
              Trigger.LOGISTICS_EXCEPTION, Trigger.DISPATCH_LATE, Trigger.RECALL}  # a safety recall above all
# What a 「退订」 (scope care) does not stop: notices of the customer's own after-sales case (accepted, approved with
# the return address, parcel received, inspection, refunded/resolved, rejected) and a safety recall. They are not
# commercial messages (通信短信息服务管理规定 art. 18 concerns those); 「全部退订」 (scope all) stops them too.
KEPT_AFTER_CARE_OPT_OUT = frozenset({
    Trigger.CASE_CREATED, Trigger.CASE_APPROVED, Trigger.CASE_RECEIVED, Trigger.CASE_INSPECTION_PROGRESS,
    Trigger.CASE_RESOLVED, Trigger.CASE_REJECTED, Trigger.RECALL})
# Nor does the daily cap: three care messages in a day used to drop the notice that the customer's own case was
# accepted, their parcel received or inspected.
CAP_EXEMPT = frozenset(CAP_EXEMPT | KEPT_AFTER_CARE_OPT_OUT)


def _conf(name: str, default):
    return getattr(settings, f"SHOUHOU_NOTIFY_{name}", default)


# --- templates ------------------------------------------------------------------------------------

def template_save(*, shop, trigger: str, channel: str, body: str, provider_template_code: str = "",
                  actor, active: bool = True) -> MessageTemplate:
    """Create or replace a shop's template (audited); raises TemplateError naming the bad variable. A template
    saved disabled is kept but not used (the shipped default is, until it is enabled)."""
    from shouhou.accounts.actors import require_role
    from shouhou.accounts.permissions import POLICY_EDIT
    from shouhou.core.audit import audit_record

    require_role(actor, shop, POLICY_EDIT)
    if channel not in MsgChannel.values:
        raise TemplateError(gettext("未知渠道：%(channel)s") % {"channel": channel})
    template_check(trigger, body)
    refusal = guard_refusal(compliance_text(body, {}), field=gettext(TEMPLATE_BODY))
    if refusal:
        raise TemplateError(refusal)
    with transaction.atomic():
        old = MessageTemplate.objects.filter(shop=shop, trigger=trigger, channel=channel, language="zh-hans").first()
        tpl, _ = MessageTemplate.objects.update_or_create(
            shop=shop, trigger=trigger, channel=channel, language="zh-hans",
            defaults={"body": body, "provider_template_code": provider_template_code, "active": active},
        )
        audit_record(action="notifications.template.save", obj=tpl, actor=actor,
                     before={"body": old.body, "provider_template_code": old.provider_template_code,
                             "active": old.active} if old else {},
                     after={"trigger": trigger, "channel": channel, "body": body,
                            "provider_template_code": provider_template_code, "active": active})
    return tpl


def template_set_active(*, shop, template_id: int, active: bool, actor) -> MessageTemplate:
    """Enable or disable one of the shop's templates (audited). A disabled template is kept; messages use the
    shipped default text meanwhile. Raises MessageTemplate.DoesNotExist for another shop's template."""
    from shouhou.accounts.actors import require_role
    from shouhou.accounts.permissions import POLICY_EDIT
    from shouhou.core.audit import audit_record

    require_role(actor, shop, POLICY_EDIT)
    with transaction.atomic():
        tpl = MessageTemplate.objects.select_for_update().get(shop=shop, pk=template_id)
        if tpl.active == active:
            return tpl
        tpl.active = active
        tpl.save(update_fields=["active", "updated_at"])
        audit_record(action="notifications.template.enable" if active else "notifications.template.disable",
                     obj=tpl, actor=actor, before={"active": not active}, after={"active": active})
    return tpl


def template_body(*, shop, trigger: str, channel: str) -> tuple[str, str]:
    tpl = MessageTemplate.objects.filter(shop=shop, trigger=trigger, channel=channel, active=True).first()
    if tpl:
        return tpl.body, tpl.provider_template_code
    if trigger not in DEFAULTS:
        raise unknown_trigger(trigger)
    return DEFAULTS[trigger], ""


def service_contact(shop) -> str:
    if shop.service_phone:
        return f"客服电话{shop.service_phone}，或在店铺首页点「联系客服」"
    return _conf("SERVICE_CONTACT", "") or "在店铺首页点「联系客服」"


# --- channel, quiet hours, caps -------------------------------------------------------------------

def channel_pick(customer, requested: str | None) -> tuple[str, str]:
    """(channel, recipient) from the customer's contact data; requested channel wins when usable."""
    options = []
    if customer is not None:
        if customer.phone:
            options.append((MsgChannel.SMS, customer.phone))
        if customer.wechat_id:
            options.append((MsgChannel.WECHAT_SUBSCRIBE, customer.wechat_id))
        if customer.email:
            options.append((MsgChannel.EMAIL, customer.email))
        options.append((MsgChannel.IN_APP, str(customer.pk)))
    else:
        options.append((MsgChannel.IN_APP, ""))
    if requested:
        for ch, rcpt in options:
            if ch == requested:
                return ch, rcpt
        return requested, ""
    return options[0]


def quiet_until(at: datetime) -> datetime | None:
    """If `at` falls in quiet hours (local time), the end of them; else None."""
    start, end = _conf("QUIET_START", QUIET_START), _conf("QUIET_END", QUIET_END)
    local = at.astimezone(local_tz())
    if start == end:  # no quiet hours
        return None
    # 22–8 crosses midnight (quiet from 22:00 or before 08:00); 0–7 does not (quiet from 00:00 until 07:00):
    # read as the first, every hour of 0–7 was quiet, and a message at noon waited for tomorrow 07:00.
    quiet = (start <= local.hour or local.hour < end) if start > end else (start <= local.hour < end)
    if quiet:
        day = local.date() if local.hour < end else local.date() + timedelta(days=1)
        return datetime(day.year, day.month, day.day, end, 0, tzinfo=local_tz())
    return None


# What the frequency cap does not count: messages that never reached the customer (not sent, or failed: a bad
# number, an unapproved template, a value missing). Three failures used to silence the customer's next 24 hours.
NOT_RECEIVED = (S.SUPPRESSED, S.FAILED)


def opt_out_scope(customer) -> str:
    """The scope of the customer's opt-out in force: "" (none), OptOutScope.CARE or OptOutScope.ALL. No consent, or
    an opted_out_at with no recorded scope (set before scopes existed, by an import or by hand), is ALL."""
    if customer is None:
        return ""
    if not customer.contact_consent:
        return OptOutScope.ALL
    if customer.opted_out_at is None:
        return ""
    scope = ContactOptOut.objects.filter(customer=customer, channel="").values_list("scope", flat=True).first()
    return OptOutScope.CARE if scope == OptOutScope.CARE else OptOutScope.ALL


def opt_out_scope_label(customer) -> str:
    """The scope of the customer's opt-out in force, as staff read it (the timeline's badge)."""
    scope = opt_out_scope(customer)
    return str(OptOutScope(scope).label) if scope else ""


def opt_out_stops(customer, trigger: str) -> bool:
    """Whether the customer's opt-out stops a message of this trigger (a query only for an opted-out customer)."""
    if customer is None or (customer.opted_out_at is None and customer.contact_consent):
        return False
    return not (trigger in KEPT_AFTER_CARE_OPT_OUT and opt_out_scope(customer) == OptOutScope.CARE)


def sms_blocked(*, shop_id: int, channel: str, recipient: str) -> bool:
    """The SMS provider refuses this number (recorded from its PhoneNumberInBlacklist answer): do not try again."""
    return (channel == MsgChannel.SMS and bool(recipient)
            and ContactOptOut.objects.filter(shop_id=shop_id, channel=MsgChannel.SMS, phone=recipient).exists())


def _suppression(customer, trigger: str, *, shop_id: int | None = None, channel: str = "", recipient: str = "") -> str:
    if shop_id is not None and sms_blocked(shop_id=shop_id, channel=channel, recipient=recipient):
        return SuppressedReason.SMS_BLOCKED
    if customer is None:
        return ""
    if opt_out_stops(customer, trigger):
        return "opted_out"
    if trigger not in CAP_EXEMPT:
        since = now() - timedelta(hours=24)
        count = OutboundMessage.objects.filter(customer=customer, created_at__gte=since).exclude(
            status__in=NOT_RECEIVED).count()
        if count >= _conf("DAILY_CAP", DAILY_CAP):
            return "frequency_cap"
    return ""


# --- links in variables ---------------------------------------------------------------------------
# An SMS goes out under the shop's signature; a link in it is the shop's word. The only variable made for a link is
# the survey's (the shop's own address); a link in any other value — a buyer's nickname from a platform or an
# import, a note typed by staff — is refused here (and Aliyun/Tencent refuse a URL in a template variable anyway:
# isv.PARAM_NOT_SUPPORT_URL, ProhibitedUseUrlInTemplateParameter). The shop's own values are not checked.
LINK_VARIABLES = frozenset({"survey_url"})
SHOP_VALUES = frozenset({"shop_name", "service_contact"})
LINK = re.compile(r"(?i)(?:https?://|www\.|(?<![a-z0-9-])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:cn|com|net|org|top|xyz|"
                  r"cc|me|io|vip|shop|club|ly|co|info|link|site|online|tk|ink|fun|icu|wang|ren|pub|la|gl|gd|im|tv|so)"
                  r"(?![a-z0-9]))", re.ASCII)


# The same test in SQL (notify_orders_placed): PostgreSQL's regular expressions have no \b, so the end of a domain
# is "not a letter or digit"; SQLite runs Python's re through Django's REGEXP function.
LINK_SQL = (r"(https?://|www\.|[a-z0-9-]+(\.[a-z0-9-]+)*\.(cn|com|net|org|top|xyz|cc|me|io|vip|shop|club|ly|co|info|"
            r"link|site|online|tk|ink|fun|icu|wang|ren|pub|la|gl|gd|im|tv|so)([^a-z0-9]|$))")


def _link_refusal(channel: str, ctx: dict[str, Any], body_tpl: str) -> str:
    """For an SMS: a customer name with a link becomes 「亲」 (ctx changed in place); "" or the failure text naming the
    first other variable the template uses whose value carries a link."""
    if channel != MsgChannel.SMS:
        return ""
    if LINK.search(str(ctx.get("customer_name") or "")):
        ctx["customer_name"] = "亲"
    for name in template_variables(body_tpl):
        if name in LINK_VARIABLES or name in SHOP_VALUES or name == "customer_name":
            continue
        if LINK.search(str(ctx.get(name) or "")):
            return f"模板变量 {{{{{name}}}}} 含网址或短链接，短信不能带它（只有问卷链接可以），未发送"
    return ""


# --- compliance -----------------------------------------------------------------------------------

COMPLIANCE = "compliance"  # suppressed_reason of a message the compliance guard stopped


class _Compliance:
    """The compliance guard's verdict on rendered messages, kept per distinct (template, free-text
    values): a bulk batch whose variables are all identifiers is guarded once per template, not once
    per message. Templates were guarded at save time; this also covers the shipped defaults and the
    variables people type (a remedy, a rejection reason, a progress note)."""

    def __init__(self) -> None:
        self._free: dict[str, tuple[str, ...]] = {}
        self._verdicts: dict[tuple[str, ...], str] = {}

    def refusal(self, body_tpl: str, ctx: dict[str, Any]) -> str:
        free = self._free.get(body_tpl)
        if free is None:
            free = self._free[body_tpl] = tuple(n for n in template_variables(body_tpl) if n in FREE_TEXT)
        key = (body_tpl, *(str(ctx.get(n, "") or "") for n in free))
        if key not in self._verdicts:
            reasons = guard_outgoing(compliance_text(body_tpl, ctx)).reasons
            self._verdicts[key] = ("合规拦截，未发送：" + "；".join(reasons)) if reasons else ""
        return self._verdicts[key]


# --- enqueue ---------------------------------------------------------------------------------------

def missing_values(trigger: str, body_tpl: str, ctx: dict[str, Any]) -> str:
    """The failure text when a variable the message cannot do without (templates_text.REQUIRED) has no value:
    「运单号。」 or 「原因：。」 told the customer nothing, and an SMS gateway refuses an empty template variable
    anyway (isv.TEMPLATE_MISSING_PARAMETERS). "" when every required variable the template uses has one."""
    used = set(template_variables(body_tpl))
    missing = [n for n in REQUIRED.get(trigger, ()) if n in used and not str(ctx.get(n) or "").strip()]
    if not missing:
        return ""
    names = "、".join(f"{{{{{n}}}}}" for n in missing)
    return f"模板变量 {names} 没有值，未发送（请检查触发这条消息的操作是否填写了它）"


def notification_enqueue(
    *,
    shop,
    customer,
    trigger: str,
    context: dict[str, Any],
    idempotency_key: str,
    channel: str | None = None,
) -> OutboundMessage | None:
    existing = OutboundMessage.objects.filter(idempotency_key=idempotency_key).first()
    if existing:
        return existing
    ch, recipient = channel_pick(customer, channel)
    body_tpl, code = template_body(shop=shop, trigger=trigger, channel=ch)
    ctx = {"shop_name": shop.name, "customer_name": getattr(customer, "name", "") or "亲",
           "service_contact": service_contact(shop)}
    ctx.update({k: "" if v is None else str(v) for k, v in context.items()})  # never the text "None"
    if code:
        ctx["_template_code"] = code
    blocked = _Compliance().refusal(body_tpl, ctx)
    if blocked:
        log.warning("notification %s blocked by the compliance guard: %s", idempotency_key, blocked)
    reason = COMPLIANCE if blocked else _suppression(customer, trigger, shop_id=shop.pk, channel=ch,
                                                      recipient=recipient)
    missing = "" if reason else (missing_values(trigger, body_tpl, ctx) or _link_refusal(ch, ctx, body_tpl))
    if missing:
        log.warning("notification %s not sent: %s", idempotency_key, missing)
    at = now()
    row = OutboundMessage(
        shop=shop, customer=customer, channel=ch, trigger=trigger, recipient=recipient,
        body=render(body_tpl, ctx), context=ctx, idempotency_key=idempotency_key,
        status=S.SUPPRESSED if reason else S.FAILED if missing else S.QUEUED, suppressed_reason=reason,
        last_error=blocked or missing, send_after=None if reason or missing else quiet_until(at),
    )
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        return OutboundMessage.objects.get(idempotency_key=idempotency_key)
    if row.status == S.QUEUED and row.send_after is None:
        transaction.on_commit(lambda: _schedule_dispatch(row.pk))
    return row


def _sync() -> bool:
    """django-q2 reads Q_CLUSTER once at import; read it per call so test settings apply."""
    return bool(settings.Q_CLUSTER.get("sync", False))


def _schedule_dispatch(pk: int) -> None:
    from django_q.tasks import async_task

    async_task("shouhou.notifications.tasks.message_send_task", pk, sync=_sync())


def _bulk_enqueue(*, shop, trigger: str, rows: list[tuple[Any, str, dict[str, str]]]) -> int:
    """rows: (customer, idempotency_key, context). One render pass, one bulk insert, no query per row."""
    if not rows:
        return 0
    templates: dict[str, tuple[str, str]] = {}
    at = now()
    send_after = quiet_until(at)
    since = at - timedelta(hours=24)
    cust_ids = {c.pk for c, _, _ in rows if c is not None}
    from django.db.models import Count

    recent = dict(OutboundMessage.objects.filter(customer_id__in=cust_ids, created_at__gte=since)
                  .exclude(status__in=NOT_RECEIVED).values("customer_id").annotate(n=Count("id"))
                  .values_list("customer_id", "n")) if cust_ids else {}
    cap = _conf("DAILY_CAP", DAILY_CAP)
    base = {"shop_name": shop.name, "service_contact": service_contact(shop)}
    compliance = _Compliance()
    # opt-outs and SMS blocks of the batch in two queries, not one per row
    care_only = set(ContactOptOut.objects.filter(
        customer_id__in=[c.pk for c, _, _ in rows if c is not None and c.opted_out_at is not None],
        channel="", scope=OptOutScope.CARE).values_list("customer_id", flat=True)) \
        if trigger in KEPT_AFTER_CARE_OPT_OUT else set()
    blocked_phones = set(ContactOptOut.objects.filter(
        shop=shop, channel=MsgChannel.SMS, phone__in={c.phone for c, _, _ in rows if c is not None and c.phone})
        .values_list("phone", flat=True))
    objs = []
    for customer, key, context in rows:
        ch, rcpt = channel_pick(customer, None)
        if ch not in templates:
            templates[ch] = template_body(shop=shop, trigger=trigger, channel=ch)
        body_tpl, code = templates[ch]
        ctx = {**base, "customer_name": getattr(customer, "name", "") or "亲", **context}
        if code:
            ctx["_template_code"] = code
        blocked = compliance.refusal(body_tpl, ctx)
        reason = ""
        if blocked:
            reason = COMPLIANCE
        elif customer is not None and (not customer.contact_consent or (
                customer.opted_out_at is not None and customer.pk not in care_only)):
            reason = "opted_out"
        elif ch == MsgChannel.SMS and rcpt in blocked_phones:
            reason = SuppressedReason.SMS_BLOCKED
        elif customer is not None and trigger not in CAP_EXEMPT and recent.get(customer.pk, 0) >= cap:
            reason = "frequency_cap"
        missing = "" if reason else (missing_values(trigger, body_tpl, ctx) or _link_refusal(ch, ctx, body_tpl))
        if customer is not None and not reason and not missing:
            recent[customer.pk] = recent.get(customer.pk, 0) + 1  # the cap counts this batch's messages too
        objs.append(OutboundMessage(
            shop=shop, customer=customer, channel=ch, trigger=trigger, recipient=rcpt,
            body=render(body_tpl, ctx), context=ctx, idempotency_key=key,
            status=S.SUPPRESSED if reason else S.FAILED if missing else S.QUEUED, suppressed_reason=reason,
            last_error=blocked or missing, send_after=None if reason or missing else send_after,
        ))
    OutboundMessage.objects.bulk_create(objs, batch_size=2000, ignore_conflicts=True)
    transaction.on_commit(_schedule_drain)
    return len(objs)


def _schedule_drain() -> None:
    from django_q.tasks import async_task

    async_task("shouhou.notifications.tasks.outbox_dispatch_task", sync=_sync())


def _placed_body_sql(body_tpl: str, constants: dict[str, str]) -> tuple[str, list[str]]:
    """A template as one SQL text expression: literal parts and constant variables as parameters, the
    per-row variables (customer_name, order_no) as columns of `b`; an unknown variable renders empty, as
    render() does."""
    per_row = {"customer_name": "b.customer_name", "order_no": "b.order_no"}
    parts, params, at = [], [], 0
    for m in PLACEHOLDER.finditer(body_tpl):
        if m.start() > at:
            parts.append("CAST(%s AS text)")
            params.append(body_tpl[at:m.start()])
        name = m.group(1)
        if name in per_row:
            parts.append(per_row[name])
        elif constants.get(name):
            parts.append("CAST(%s AS text)")
            params.append(constants[name])
        at = m.end()
    if at < len(body_tpl) or not parts:
        parts.append("CAST(%s AS text)")
        params.append(body_tpl[at:])
    return " || ".join(parts), params


@dataclass(frozen=True)
class PlacedNotices:
    """What notify_orders_placed did with a batch of new orders: messages written (queued, or stored suppressed
    for an opt-out, the cap or the compliance guard; 0 on a repeat) and orders left without one because they are
    not recent (paid longer ago than ORDER_PLACED_WITHIN_HOURS, no time at all) or cancelled."""

    written: int = 0
    not_recent: int = 0
    within_hours: int = ORDER_PLACED_WITHIN_HOURS


def notify_orders_placed(*, shop, order_ids: list[int]) -> int:
    """The order-placed messages of new orders; returns how many were written (see orders_placed_notices)."""
    return orders_placed_notices(shop=shop, order_ids=order_ids).written


def orders_placed_notices(*, shop, order_ids: list[int]) -> PlacedNotices:
    """The order-placed message of each new, recent order, in one INSERT … SELECT (no row through Python): the
    same channel choice, template, quiet hours, opt-out, frequency cap (this batch's messages count too,
    in order id order), compliance verdict (once per template of a channel the batch uses) and
    idempotency key as notification_enqueue. Orders that are not recent get nothing (ORDER_PLACED_WITHIN_HOURS)."""
    from django.db import connection

    from shouhou.commerce.choices import OrderStatus

    if not order_ids:
        return PlacedNotices()
    trigger = Trigger.ORDER_PLACED
    vendor = connection.vendor
    ids_sql = "= ANY(CAST(%s AS bigint[]))" if vendor == "postgresql" else "IN (SELECT value FROM json_each(%s))"
    ids_param = list(order_ids) if vendor == "postgresql" else json.dumps(list(order_ids))
    channel_sql = ("CASE WHEN c.id IS NULL THEN 'in_app' WHEN c.phone <> '' THEN 'sms' "
                   "WHEN c.wechat_id <> '' THEN 'wechat_subscribe' WHEN c.email <> '' THEN 'email' ELSE 'in_app' END")
    at = now()
    adapt = connection.ops.adapt_datetimefield_value
    ts = "CAST(%s AS timestamptz)" if vendor == "postgresql" else "%s"
    recent = f"coalesce(o.paid_at, o.placed_at) >= {ts} AND o.status <> %s"
    source = (f"FROM commerce_order o LEFT JOIN commerce_customer c ON c.id = o.customer_id "  # noqa: S608
              f"WHERE o.shop_id = %s AND o.id {ids_sql} AND {recent}")
    hours = _conf("ORDER_PLACED_WITHIN_HOURS", ORDER_PLACED_WITHIN_HOURS)
    source_params = [shop.pk, ids_param, adapt(at - timedelta(hours=hours)), OrderStatus.CANCELLED]
    with connection.cursor() as cur:
        cur.execute(f"SELECT {channel_sql} AS ch, count(*) {source} GROUP BY ch", source_params)  # noqa: S608
        counted = dict(cur.fetchall())
    channels = sorted(counted)
    not_recent = len(set(order_ids)) - sum(counted.values())
    if not channels:
        return PlacedNotices(0, not_recent, hours)
    own: dict[str, tuple[str, str]] = {}
    for tpl in MessageTemplate.objects.filter(shop=shop, trigger=trigger, active=True).order_by("-pk"):
        own[tpl.channel] = (tpl.body, tpl.provider_template_code)
    constants = {"shop_name": shop.name, "service_contact": service_contact(shop)}
    compliance = _Compliance()
    body_cases, code_cases, blocked_cases, params_body, params_code, params_blocked = [], [], [], [], [], []
    for ch in channels:
        body_tpl, code = own.get(ch) or (DEFAULTS[trigger], "")
        sql, params = _placed_body_sql(body_tpl, constants)
        body_cases.append(f"WHEN %s THEN {sql}")
        params_body += [ch, *params]
        if code:
            code_cases.append("WHEN %s THEN CAST(%s AS text)")
            params_code += [ch, code]
        blocked = compliance.refusal(body_tpl, {**constants, "customer_name": "", "order_no": ""})
        if blocked:
            log.warning("order-placed messages on %s blocked by the compliance guard: %s", ch, blocked)
            blocked_cases.append("WHEN %s THEN CAST(%s AS text)")
            params_blocked += [ch, blocked]
    body_sql = f"CASE b.channel {' '.join(body_cases)} END"
    blocked_sql = f"CASE b.channel {' '.join(blocked_cases)} ELSE '' END" if blocked_cases else "''"
    code_sql = f"CASE b.channel {' '.join(code_cases)} END" if code_cases else "NULL"
    if vendor == "postgresql":
        ctx_sql = ("jsonb_strip_nulls(jsonb_build_object('shop_name', CAST(%s AS text), 'service_contact', "
                   f"CAST(%s AS text), 'customer_name', b.customer_name, 'order_no', b.order_no, '_template_code', {code_sql}))")
    else:
        ctx_sql = ("json_patch(json_object('shop_name', %s, 'service_contact', %s, 'customer_name', b.customer_name, "
                   f"'order_no', b.order_no), json_object('_template_code', {code_sql}))")
    quiet = quiet_until(at)
    cap_sql = ("b.customer_id IS NOT NULL AND coalesce(r.n, 0) + row_number() OVER "
               "(PARTITION BY b.customer_id ORDER BY b.order_id) > %s") if trigger not in CAP_EXEMPT else "false"
    cap_params = [_conf("DAILY_CAP", DAILY_CAP)] if trigger not in CAP_EXEMPT else []
    link_op = "~*" if vendor == "postgresql" else "REGEXP"  # a link in a buyer's name never goes out (_link_refusal)
    sql = f"""
        WITH b AS (
            SELECT o.id AS order_id, o.order_no, c.id AS customer_id,
                   CASE WHEN c.phone <> '' AND c.name {link_op} %s THEN CAST(%s AS text)
                        ELSE coalesce(nullif(c.name, ''), CAST(%s AS text)) END AS customer_name,
                   {channel_sql} AS channel,
                   CASE WHEN c.id IS NULL THEN '' WHEN c.phone <> '' THEN c.phone WHEN c.wechat_id <> '' THEN c.wechat_id
                        WHEN c.email <> '' THEN c.email ELSE CAST(c.id AS text) END AS recipient,
                   CASE WHEN c.id IS NOT NULL AND (c.opted_out_at IS NOT NULL OR NOT c.contact_consent)
                        THEN 1 ELSE 0 END AS opted_out,
                   CASE WHEN c.phone <> '' AND EXISTS (SELECT 1 FROM notifications_contactoptout k
                        WHERE k.shop_id = o.shop_id AND k.channel = 'sms' AND k.phone = c.phone)
                        THEN 1 ELSE 0 END AS sms_blocked
            {source}),
        r AS (SELECT m.customer_id, count(*) AS n FROM notifications_outboundmessage m
              WHERE m.customer_id IN (SELECT customer_id FROM b) AND m.created_at >= %s AND m.status NOT IN (%s, %s)
              GROUP BY m.customer_id),
        x AS (SELECT b.*, {blocked_sql} AS blocked,
                     CASE WHEN {blocked_sql} <> '' THEN %s WHEN b.opted_out = 1 THEN 'opted_out'
                          WHEN b.sms_blocked = 1 AND b.channel = 'sms' THEN 'sms_blocked'
                          WHEN {cap_sql} THEN 'frequency_cap' ELSE '' END AS reason
              FROM b LEFT JOIN r ON r.customer_id = b.customer_id)
        INSERT INTO notifications_outboundmessage (shop_id, customer_id, channel, trigger, recipient, body, context,
            idempotency_key, status, send_after, attempts, provider, provider_message_id, last_error,
            suppressed_reason, created_at, updated_at)
        SELECT %s, x.customer_id, x.channel, %s, x.recipient, {body_sql.replace("b.", "x.")},
               {ctx_sql.replace("b.", "x.")},
               'order:' || CAST(x.order_id AS text) || ':placed',
               CASE WHEN x.reason <> '' THEN %s ELSE %s END, CASE WHEN x.reason <> '' THEN NULL ELSE {ts} END,
               0, '', '', x.blocked, x.reason, %s, %s
        FROM x WHERE true
        ON CONFLICT (idempotency_key) DO NOTHING"""  # noqa: S608
    params = [LINK_SQL if vendor == "postgresql" else "(?i)" + LINK_SQL, "亲", "亲", *source_params, adapt(at - timedelta(hours=24)), *NOT_RECEIVED,
              *params_blocked, *params_blocked, COMPLIANCE, *cap_params,
              shop.pk, trigger, *params_body, *constants.values(), *params_code,
              S.SUPPRESSED, S.QUEUED, adapt(quiet) if quiet else None, adapt(at), adapt(at)]
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params)
        written = cur.rowcount
        if vendor == "sqlite":  # its rowcount is -1 for a statement that starts with WITH
            cur.execute("SELECT changes()")
            written = cur.fetchone()[0]
    if written:
        transaction.on_commit(_schedule_drain)
    return PlacedNotices(written, not_recent, hours)


def notify_orders_shipped(*, shop, shipment_ids: list[int]) -> int:
    from shouhou.commerce.models import Shipment

    ships = Shipment.objects.filter(shop=shop, pk__in=shipment_ids, is_return=False).select_related(
        "order", "order__customer")
    rows = [(s.order.customer, f"shipment:{s.pk}:shipped",
             {"order_no": s.order.order_no, "carrier": s.get_carrier_display(), "tracking_no": s.tracking_no})
            for s in ships.iterator(2000)]
    return _bulk_enqueue(shop=shop, trigger=Trigger.ORDER_SHIPPED, rows=rows)


# --- opt-out and receipts --------------------------------------------------------------------------

OPT_OUT_WORDS = {"TD", "T", "退订", "N", "取消订阅"}
# Words that opt out wherever they stand in the reply: 「退订谢谢」, 「请帮我退订」, 「不要再发了，退订！」. Not 拒收:
# in after-sales it is refusing a parcel (「我拒收了快递，退款呢」), a customer who needs the next message.
OPT_OUT_PHRASES = ("退订", "取消订阅")
# 「全部退订」, 「所有消息都退订」, 「退订全部」: every message, the customer's own case notices too (scope all).
_ALL_SCOPE = re.compile(r"(全部|所有|一切)的?(消息|通知|短信|信息)?(都|也)?(要|给我)?(退订|取消订阅)|退订(全部|所有)")


def _bare(text: str) -> str:
    folded = unicodedata.normalize("NFKC", str(text or ""))
    return "".join(ch for ch in folded if not ch.isspace() and unicodedata.category(ch)[0] not in "PS").upper()


def is_opt_out_reply(text: str) -> bool:
    """An SMS reply that asks for no more messages. Compared after NFKC (full-width 「ＴＤ」 is TD), without
    spaces and punctuation (「TD。」, 「退订!」), case-insensitively; the short codes (TD, T, N) only as the
    whole reply, the Chinese phrases anywhere in it. A doubtful reply counts as a refusal: messaging someone
    who said 退订 is the mistake that must not happen."""
    bare = _bare(text)
    return bare in OPT_OUT_WORDS or any(phrase in bare for phrase in OPT_OUT_PHRASES)


def opt_out_reply_scope(text: str) -> str:
    """The scope an opt-out's words ask for: OptOutScope.ALL for 「全部退订」 and the like, else CARE."""
    return OptOutScope.ALL if _ALL_SCOPE.search(_bare(text)) else OptOutScope.CARE


def _suppress_queued(customers, scope: str) -> int:
    """Messages already waiting for these customers (quiet hours, retries) that the opt-out stops show as not sent
    at once; the send checks the opt-out again anyway. A care opt-out leaves the case notices queued."""
    waiting = OutboundMessage.objects.filter(customer__in=customers, status=S.QUEUED)
    if scope == OptOutScope.CARE:
        waiting = waiting.exclude(trigger__in=KEPT_AFTER_CARE_OPT_OUT)
    return waiting.update(status=S.SUPPRESSED, suppressed_reason="opted_out")


def _customer_opt_out(customer, *, scope: str, source: str, at: datetime) -> str:
    """Opt a locked customer row out with this scope. Returns OptOutRequest.Outcome OPTED_OUT, or ALREADY when an
    opt-out at least as wide is in force (a 「全部退订」 after a 「退订」 widens it: OPTED_OUT)."""
    Out = OptOutRequest.Outcome
    current = opt_out_scope(customer)
    if current == OptOutScope.ALL or current == scope:
        _suppress_queued([customer], current)
        return Out.ALREADY
    if customer.opted_out_at is None:
        type(customer).objects.filter(pk=customer.pk).update(opted_out_at=at)
        customer.opted_out_at = at
    ContactOptOut.objects.update_or_create(customer=customer, channel="", defaults={
        "shop_id": customer.shop_id, "scope": scope, "source": source[:32]})
    _suppress_queued([customer], scope)
    return Out.OPTED_OUT


def _customer_resubscribe(customer) -> str:
    """Undo the customer's opt-out (「恢复订阅」). Returns RESUBSCRIBED, or NOT_OPTED_OUT when there was none. An SMS
    provider's block of the number stays: only the person can lift it at the carrier or provider."""
    Out = OptOutRequest.Outcome
    if customer.opted_out_at is None:
        return Out.NOT_OPTED_OUT
    type(customer).objects.filter(pk=customer.pk).update(opted_out_at=None)
    customer.opted_out_at = None
    ContactOptOut.objects.filter(customer=customer, channel="").delete()
    return Out.RESUBSCRIBED


def customer_opt_out_from_reply(*, phone: str, text: str, reply_id: str = "") -> int:
    """An inbound SMS reply; returns how many customer rows were opted out (one per shop with that phone). 「TD」
    stops care and marketing messages, 「全部退订」 every message (docs/notifications.md). Each is recorded
    (OptOutRequest: who, when, the words, the scope). Raises PhoneError for a phone that is not one."""
    from shouhou.commerce.models import Customer
    from shouhou.core.phones import normalize_phone

    # 「取消退订」 / 「恢复订阅」 contain 退订 but ask for the messages back (it opted the customer out before)
    resubscribe = bool(_RESUBSCRIBE.fullmatch(_bare(text)))
    if not resubscribe and not is_opt_out_reply(text):
        return 0
    scope = opt_out_reply_scope(text)
    at = now()
    changed = 0
    with transaction.atomic():
        customers = list(Customer.objects.select_for_update().filter(phone=normalize_phone(phone)).order_by("pk"))
        key = reply_id or f"{normalize_phone(phone)}:{at.isoformat()}"
        for c in customers:
            source_key = f"sms:{key}:{c.pk}"[:200]
            if OptOutRequest.objects.filter(source_key=source_key).exists():
                continue
            outcome = (_customer_resubscribe(c) if resubscribe
                       else _customer_opt_out(c, scope=scope, source="sms_reply", at=at))
            changed += outcome == OptOutRequest.Outcome.OPTED_OUT
            OptOutRequest.objects.create(shop_id=c.shop_id, customer=c, source="sms_reply", contact_handle=c.phone,
                                         text=text[:2000], outcome=outcome, scope=opt_out_scope(c),
                                         source_key=source_key, received_at=at)
    return changed


def sms_block_record(*, message: OutboundMessage, provider: str, detail: str) -> bool:
    """The SMS provider refused the message's number as blocked (Tencent FailedOperation.PhoneNumberInBlacklist: the
    person unsubscribed or blocked at the carrier or provider): record an SMS opt-out of that number for the shop
    (source: the provider), on the customer's timeline, and stop the SMS waiting for it. True when newly recorded."""
    phone = message.recipient
    if message.channel != MsgChannel.SMS or not phone:
        return False
    with transaction.atomic():
        block, created = ContactOptOut.objects.get_or_create(
            shop_id=message.shop_id, phone=phone, channel=MsgChannel.SMS,
            defaults={"customer_id": message.customer_id, "scope": OptOutScope.SMS, "source": provider[:32]})
        if not created:
            return False
        record = OptOutRequest.objects.create(
            shop_id=message.shop_id, customer_id=message.customer_id, source=provider[:24], contact_handle=phone,
            text=detail[:2000], outcome=OptOutRequest.Outcome.OPTED_OUT, scope=OptOutScope.SMS,
            source_key=f"provider:{provider}:{message.pk}"[:200], received_at=now())
        ContactOptOut.objects.filter(pk=block.pk).update(request=record)
        OutboundMessage.objects.filter(shop_id=message.shop_id, channel=MsgChannel.SMS, recipient=phone,
                                       status=S.QUEUED).exclude(pk=message.pk).update(
            status=S.SUPPRESSED, suppressed_reason=SuppressedReason.SMS_BLOCKED)
    return True


# --- opt-out said in a chat ------------------------------------------------------------------------
# 个人信息保护法 art. 15 (withdrawing consent as easy as giving it) and 通信短信息服务管理规定 art. 18–19: a customer
# who writes 「退订」 or 「别再给我发短信了」 in web chat, 微信客服 or a platform IM is opted out like an SMS reply.
# A chat is not an SMS reply, so the words are read more carefully: 「我要退货」, 「退订单」 (退 + 订单), 「退订金」
# (a deposit) and a question about 退订 (「怎么退订？」 — answered with how to) opt nobody out.

CHAT_OPT_OUT, CHAT_OPT_OUT_ALL, CHAT_OPT_OUT_QUESTION, CHAT_RESUBSCRIBE = (
    "opt_out", "opt_out_all", "question", "resubscribe")
CHAT_WHOLE = {"TD", "退订", "取消订阅", "STOP", "UNSUBSCRIBE"}
# 「恢复订阅」, 「重新订阅」, 「取消退订」, 「恢复」 as the whole message: the customer wants the messages back.
_RESUBSCRIBE = re.compile(r"(我要|我想|请|麻烦|帮我|请帮我)*(恢复(订阅|接收)?|重新(订阅|接收)|取消退订)(消息|通知|短信)?"
                          r"(吧|谢谢)?|RESUBSCRIBE")
# 退订 followed by one of these is another word: 退订单 (an order), 退订金/定金 (a deposit), 退订购的… (what was
# ordered), 退订房/票/餐/位/座/车 (a booking).
_NOT_UNSUBSCRIBE_AFTER = frozenset("单金购货房票餐位座车")
_NEGATED_BEFORE = re.compile(r"(不|没|别|未|勿|莫)(想|要|用|是|有|会|能|说|需要)?(给我|帮我|替我)?$")
# 「回TD退订」, 「回复T退订」: the footer of a marketing SMS the customer pasted into the chat, not a request.
_QUOTED_FOOTER = re.compile(r"回复?[A-Z0-9]{0,4}$")
_ASKS_BEFORE = re.compile(r"((帮|给|替)我|我(要|想|想要|需要|得|就)|申请|请|麻烦|马上|立即|立刻|直接|已经?|早就?|都)$")
_QUESTION = re.compile(r"[?？]|怎么|怎样|如何|咋|在哪|哪里|是什么|什么意思|会不会|是不是|能不能|可不可以|行不行|吗|么|呢|啥")
_MESSAGE_WORDS = r"(短信|消息|信息|通知|推送|广告|营销)"
_STOP_SENDING = re.compile(
    r"(别|不要|不用|勿|不许|不准|停止|禁止)(再|继续)?(给我|跟我|向我|对我|帮我)?(再)?(发|推|推送|发送)(了|送)?"
    r"(任何|这些|这种|这类|你们的?|我)?(营销|广告|促销|活动|关怀)?" + _MESSAGE_WORDS
    + r"|" + _MESSAGE_WORDS + r"(都|就|也)?(别|不要|不用|勿)(再)?(给我)?(发|推)"
    + r"|不(想|愿意?|需要)(再)?(收到|接收|接到|收)(你们的?|任何|这些|这种)?" + _MESSAGE_WORDS
    + r"|拒收" + _MESSAGE_WORDS + r"|(取消|关闭|关掉)(订阅|推送|短信|消息通知|短信通知)")


def _opt_out_words(folded: str, bare: str) -> str:
    if bare in CHAT_WHOLE or bare in {w + "谢谢" for w in CHAT_WHOLE} or bare in {"谢谢" + w for w in CHAT_WHOLE}:
        return CHAT_OPT_OUT
    if _STOP_SENDING.search(folded) or re.fullmatch(r"回复?(TD|T)?退订", bare):  # the footer alone: doing as it says
        return CHAT_OPT_OUT
    found = ""
    for hit in re.finditer("退订|取消订阅", folded):
        after = folded[hit.end():hit.end() + 1]
        if hit.group() == "退订" and after in _NOT_UNSUBSCRIBE_AFTER:
            continue
        before = folded[:hit.start()]
        if _NEGATED_BEFORE.search(before) or _QUOTED_FOOTER.search(before):
            continue
        if _ASKS_BEFORE.search(before):
            return CHAT_OPT_OUT
        found = CHAT_OPT_OUT_QUESTION if _QUESTION.search(folded) else CHAT_OPT_OUT
        if found == CHAT_OPT_OUT:
            return found
    return found


def chat_opt_out_intent(text: str) -> str:
    """CHAT_OPT_OUT for a chat message that asks for no more care messages, CHAT_OPT_OUT_ALL for one that asks for
    no messages at all (「全部退订」), CHAT_RESUBSCRIBE for 「恢复订阅」, CHAT_OPT_OUT_QUESTION for one that only asks
    about 退订, "" otherwise. Compared after NFKC (「ＴＤ」 is TD), without spaces, case-insensitively."""
    folded = "".join(unicodedata.normalize("NFKC", str(text or "")).split()).upper()
    bare = "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PS")
    if _RESUBSCRIBE.fullmatch(bare):
        return CHAT_RESUBSCRIBE
    found = _opt_out_words(folded, bare)
    if found == CHAT_OPT_OUT and _ALL_SCOPE.search(bare):
        return CHAT_OPT_OUT_ALL
    return found


# The answers in the chat: Chinese in the source, said in the customer's language (gettext, the language the
# customer's message came in: the web chat page's; the shop's default for channels that do not tell).
CHAT_OPT_OUT_REPLY = ("已为您退订{shop}的关怀和营销消息：好评邀请、满意度回访、活动推广和订单物流提醒都不会再发给您。"
                      "您自己申请的售后单的进度通知（受理、审核结果、寄回地址、退款）仍会照常发送；"
                      "如果这些也不想收到，回复「全部退订」。想恢复接收，回复「恢复订阅」。")
CHAT_OPT_OUT_ALL_REPLY = ("已为您退订{shop}的全部消息：短信、微信、邮件等通知都不会再主动发给您，包括售后单的进度通知"
                          "（售后进度可以在这里问客服或在售后页面查看）。想恢复接收，回复「恢复订阅」。")
CHAT_OPT_OUT_NO_CUSTOMER_REPLY = "已收到您的退订请求。我们暂时没能确认您在本店的联系方式，客服会尽快核实并为您退订。"
CHAT_OPT_OUT_HOWTO_REPLY = ("如需退订{shop}的关怀和营销消息，在这里直接回复「退订」即可，所有渠道都会停止发送；"
                            "售后单的进度通知也不想收到，回复「全部退订」。")
CHAT_RESUBSCRIBE_REPLY = "已为您恢复接收{shop}的通知和关怀消息。想再退订，回复「退订」即可。"
CHAT_NOT_OPTED_OUT_REPLY = "您没有退订{shop}的消息，通知会照常发送。想退订，回复「退订」即可。"


def chat_opt_out_after_commit(message) -> None:
    """For each new inbound chat message (inbox.services.message_receive): if it asks for no more messages (or
    about 退订, or for them back), apply it once the message is committed, answering in the language active now
    (the customer's page). Cheap for the other messages: no query."""
    from django.utils import translation

    from shouhou.inbox.choices import Direction

    if message is None or message.direction != Direction.INBOUND or not chat_opt_out_intent(message.body):
        return
    # only the web chat page tells the customer's language; elsewhere the request may be a staff member's (a phone
    # call logged from an English desk) or a platform's callback: the shop's default language
    language = (translation.get_language() if message.conversation.channel == "web_chat" else "") \
        or settings.LANGUAGE_CODE
    message_id = message.pk
    transaction.on_commit(lambda: chat_opt_out(message_id=message_id, language=language))


def chat_opt_out(*, message_id: int, language: str = "") -> OptOutRequest | None:
    """Apply an opt-out said in a chat: 「退订」 stops the conversation's customer's care and marketing messages on
    every channel, 「全部退订」 every message, 「恢复订阅」 undoes it (messages waiting that it stops are suppressed);
    the request is recorded (OptOutRequest: who, when, where, the words, the scope) and answered in the chat. A
    question about 退订 is answered with how to, recorded, and opts nobody out. Idempotent per inbound message;
    never raises into the inbound path (a failure is logged)."""
    from django.utils import translation

    try:
        with translation.override(language or settings.LANGUAGE_CODE):
            return _chat_opt_out(message_id)
    except Exception:
        log.exception("opt-out from chat message %s failed", message_id)
        return None


def _chat_reply(outcome: str, scope: str, intent: str) -> str:
    from django.utils.translation import gettext

    Out = OptOutRequest.Outcome
    if outcome == Out.QUESTION:
        return gettext(CHAT_OPT_OUT_HOWTO_REPLY)
    if outcome == Out.NO_CUSTOMER:
        return gettext(CHAT_OPT_OUT_NO_CUSTOMER_REPLY)
    if outcome == Out.RESUBSCRIBED:
        return gettext(CHAT_RESUBSCRIBE_REPLY)
    if outcome == Out.NOT_OPTED_OUT:
        return gettext(CHAT_NOT_OPTED_OUT_REPLY)
    return gettext(CHAT_OPT_OUT_REPLY if scope == OptOutScope.CARE else CHAT_OPT_OUT_ALL_REPLY)


def _chat_opt_out(message_id: int) -> OptOutRequest | None:
    from shouhou.commerce.models import Customer
    from shouhou.inbox.choices import Direction
    from shouhou.inbox.models import Message
    from shouhou.inbox.services import bot_message_send

    msg = Message.objects.select_related("conversation", "shop").filter(
        pk=message_id, direction=Direction.INBOUND).first()
    if msg is None:
        return None
    intent = chat_opt_out_intent(msg.body)
    if not intent:
        return None
    conversation = msg.conversation
    Out = OptOutRequest.Outcome
    at = now()
    with transaction.atomic():
        if OptOutRequest.objects.filter(source_key=f"inbox:{msg.pk}").exists():
            return OptOutRequest.objects.get(source_key=f"inbox:{msg.pk}")
        customer = (Customer.objects.select_for_update().filter(pk=conversation.customer_id, shop_id=msg.shop_id)
                    .first() if conversation.customer_id else None)
        scope = ""
        if intent == CHAT_OPT_OUT_QUESTION:
            outcome = Out.QUESTION
        elif customer is None:
            outcome = Out.NO_CUSTOMER
        elif intent == CHAT_RESUBSCRIBE:
            outcome = _customer_resubscribe(customer)
        else:
            wanted = OptOutScope.ALL if intent == CHAT_OPT_OUT_ALL else OptOutScope.CARE
            outcome = _customer_opt_out(customer, scope=wanted, source=conversation.channel, at=at)
            scope = opt_out_scope(customer)
        if outcome == Out.NO_CUSTOMER and intent == CHAT_RESUBSCRIBE:
            return None  # 「恢复」 from someone unknown: nothing to undo, and the bot or a person answers
        record, created = OptOutRequest.objects.get_or_create(
            source_key=f"inbox:{msg.pk}",
            defaults={"shop_id": msg.shop_id, "customer": customer, "source": conversation.channel[:24],
                      "contact_handle": conversation.contact_handle[:200], "text": msg.body[:2000],
                      "outcome": outcome, "scope": scope, "received_at": msg.created_at or at})
        if not created:
            return record
        text = _chat_reply(outcome, scope, intent).format(shop=msg.shop.name)
        bot_message_send(conversation=conversation, text=text)  # the inbox's service: stored, pushed, delivered
    return record


def receipt_record(*, provider: str, provider_message_id: str, status: str, detail: str = "",
                   reported_at: datetime | None = None) -> DeliveryReceipt | None:
    msg = OutboundMessage.objects.filter(provider=provider, provider_message_id=provider_message_id).first()
    if msg is None:
        return None
    key = f"{provider}:{provider_message_id}:{status}"
    receipt, created = DeliveryReceipt.objects.get_or_create(
        receipt_key=key, defaults={"message": msg, "provider": provider, "status": status, "detail": detail[:300],
                                   "reported_at": reported_at})
    if created:
        if status == "delivered":
            OutboundMessage.objects.filter(pk=msg.pk, status=S.SENT).update(
                status=S.DELIVERED, delivered_at=reported_at or now())
        elif status == "failed":
            OutboundMessage.objects.filter(pk=msg.pk).update(status=S.FAILED, last_error=detail[:500])
    return receipt


# --- dispatch --------------------------------------------------------------------------------------

def _due_q(at: datetime) -> Q:
    return Q(status=S.QUEUED) & (Q(send_after__isnull=True) | Q(send_after__lte=at))


def message_claim(pk: int) -> bool:
    """Conditional UPDATE: only one worker wins a queued, due row."""
    at = now()
    return OutboundMessage.objects.filter(_due_q(at), pk=pk).update(
        status=S.SENDING, claimed_at=at, attempts=F("attempts") + 1) == 1


SHANGHAI = ZoneInfo("Asia/Shanghai")
QUOTA_MAX_DAYS = 3  # days a message waits for a daily quota (微信 45009); then the ordinary back-off (and failure)


def next_quota_reset(at: datetime) -> datetime:
    """The next midnight in Beijing time after `at`: when a gateway's daily quota (微信 45009) is reset."""
    local = at.astimezone(SHANGHAI)
    day = local.date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)


def _quota_wait(msg: OutboundMessage, exc: ProviderError, provider_name: str) -> str | None:
    """The daily quota is used up: the message waits for the next midnight (Beijing time; then for the end of the
    quiet hours) instead of the short back-off, which only failed again all day. The wait costs no attempt; after
    QUOTA_MAX_DAYS such days the ordinary back-off applies. Returns the status, or None when out of days."""
    days = int((msg.context or {}).get("_quota_days") or 0) + 1
    if days > _conf("QUOTA_MAX_DAYS", QUOTA_MAX_DAYS):
        return None
    reset = next_quota_reset(now())
    retry_at = quiet_until(reset) or reset
    local = retry_at.astimezone(SHANGHAI)
    reason = (f"{str(exc)[:300]}：今日接口调用额度已用完（每天北京时间 0 点重置），"
              f"{local:%Y-%m-%d %H:%M} 后重试（第 {days} 天）")
    OutboundMessage.objects.filter(pk=msg.pk, status=S.SENDING).update(
        status=S.QUEUED, last_error=reason, provider=provider_name, send_after=retry_at,
        attempts=F("attempts") - 1, context={**(msg.context or {}), "_quota_days": days})
    return S.QUEUED


def backoff_seconds(attempts: int) -> int:
    return int(_conf("BACKOFF_BASE_SECONDS", BACKOFF_BASE_SECONDS) * 2 ** max(attempts - 1, 0))


CONTACT_LABELS = {MsgChannel.SMS: "手机号", MsgChannel.WECHAT_SUBSCRIBE: "微信号", MsgChannel.EMAIL: "邮箱"}


def current_recipient(msg: OutboundMessage) -> str | None:
    """The customer's contact for the message's channel as it is now (None when the channel does not take it
    from the customer, or the message has no customer): a message is addressed when it is sent, not when it
    was queued."""
    customer = msg.customer
    if customer is None or msg.channel not in CONTACT_LABELS:
        return None
    return {MsgChannel.SMS: customer.phone, MsgChannel.WECHAT_SUBSCRIBE: customer.wechat_id,
            MsgChannel.EMAIL: customer.email}[msg.channel] or ""


def message_send(*, pk: int) -> str:
    """Claim and send one message. Returns the resulting status (or "" when someone else has it)."""
    if not message_claim(pk):
        return ""
    msg = OutboundMessage.objects.select_related("customer").get(pk=pk)
    customer = msg.customer
    if opt_out_stops(customer, msg.trigger):
        # 退订 after it was queued (overnight for quiet hours, or between retries): never sent
        OutboundMessage.objects.filter(pk=pk, status=S.SENDING).update(status=S.SUPPRESSED,
                                                                       suppressed_reason="opted_out")
        return S.SUPPRESSED
    quiet = quiet_until(now())
    if quiet is not None:
        # Due before the quiet hours began but picked up inside them (a backlog, a worker that came back, a row
        # released after 10 minutes in SENDING): it waits for the morning; the claim was no attempt.
        OutboundMessage.objects.filter(pk=pk, status=S.SENDING).update(
            status=S.QUEUED, send_after=quiet, attempts=F("attempts") - 1)
        return S.QUEUED
    current = current_recipient(msg)
    if current is not None and current != msg.recipient:
        if not current:
            # the customer removed that contact while the message waited: nobody to send it to
            OutboundMessage.objects.filter(pk=pk, status=S.SENDING).update(
                status=S.FAILED, last_error=f"顾客已删除{CONTACT_LABELS[msg.channel]}，未发送")
            return S.FAILED
        # Changed while it waited (quiet hours, retries): the old number may be someone else's by now.
        OutboundMessage.objects.filter(pk=pk).update(recipient=current)
        msg.recipient = current
    if sms_blocked(shop_id=msg.shop_id, channel=msg.channel, recipient=msg.recipient):
        # the SMS provider refused this number as blocked since the message was queued: not tried again
        OutboundMessage.objects.filter(pk=pk, status=S.SENDING).update(
            status=S.SUPPRESSED, suppressed_reason=SuppressedReason.SMS_BLOCKED, attempts=F("attempts") - 1)
        return S.SUPPRESSED
    provider = provider_for_channel(msg.channel)
    try:
        result = provider.send(msg)
    except ProviderError as exc:
        if getattr(exc, "next_day", False) and (waited := _quota_wait(msg, exc, provider.name)):
            return waited
        if exc.retryable and msg.attempts < _conf("MAX_ATTEMPTS", MAX_ATTEMPTS):
            retry_at = now() + timedelta(seconds=backoff_seconds(msg.attempts))
            OutboundMessage.objects.filter(pk=pk, status=S.SENDING).update(
                status=S.QUEUED, last_error=str(exc)[:500], provider=provider.name,
                send_after=quiet_until(retry_at) or retry_at)  # a retry keeps the quiet hours too
            return S.QUEUED
        OutboundMessage.objects.filter(pk=pk, status=S.SENDING).update(
            status=S.FAILED, last_error=str(exc)[:500], provider=provider.name)
        if getattr(exc, "recipient_blocked", False):
            sms_block_record(message=msg, provider=provider.name, detail=str(exc))
        return S.FAILED
    except Exception:
        # A provider bug or a value it cannot send (not a ProviderError): the row used to stay SENDING, be
        # released after 10 minutes and fail again for ever, and the dispatch run stopped at it.
        log.exception("notification %s: provider %s failed unexpectedly", pk, provider.name)
        OutboundMessage.objects.filter(pk=pk, status=S.SENDING).update(
            status=S.FAILED, last_error="发送出错（服务商程序异常，已记录日志）", provider=provider.name)
        return S.FAILED
    OutboundMessage.objects.filter(pk=pk, status=S.SENDING).update(
        status=S.SENT, sent_at=now(), provider=provider.name, provider_message_id=result.provider_message_id,
        last_error="")
    return S.SENT


def outbox_dispatch(*, limit: int = 500, sleep=time.sleep, monotonic=time.monotonic) -> dict[str, int]:
    """Send due messages, oldest first, pacing each channel at its provider's rate limit."""
    at = now()
    # Release rows stuck in SENDING (worker died) after 10 minutes; one that has had all its attempts fails.
    stuck = OutboundMessage.objects.filter(status=S.SENDING, claimed_at__lt=at - timedelta(minutes=10))
    stuck.filter(attempts__gte=_conf("MAX_ATTEMPTS", MAX_ATTEMPTS)).update(
        status=S.FAILED, last_error="发送中断次数过多，已停止重试")
    stuck.update(status=S.QUEUED)
    ids = list(OutboundMessage.objects.filter(_due_q(at)).order_by("send_after", "pk")
               .values_list("pk", "channel")[:limit])
    counts: dict[str, int] = {}
    last_at: dict[str, float] = {}
    for pk, channel in ids:
        rate = provider_for_channel(channel).rate_per_second
        if rate:
            gap = 1.0 / rate
            wait = last_at.get(channel, float("-inf")) + gap - monotonic()
            if wait > 0:
                sleep(wait)
            last_at[channel] = monotonic()
        status = message_send(pk=pk)
        counts[status or "skipped"] = counts.get(status or "skipped", 0) + 1
    return counts
