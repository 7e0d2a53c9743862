"""The queue's table rows as HTML, built in Python: the same markup as desk/_queue_rows.html (with
desk/_clock.html), which the live refresh re-renders every few seconds for every agent. Rendering 50 rows through
the template engine (about 2,400 nodes, an include per row) cost more CPU than the page's queries; this costs
a few string joins per row. desk/tests/test_queue_html.py checks the output against the templates, byte for
byte, so the two cannot drift apart."""

from __future__ import annotations

from html import escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from shouhou.desk.templatetags.desk_tags import duration


def esc(value) -> str:
    """What the template's autoescape does to a plain value (django.utils.html.escape, without its lazy
    wrapper: these values are never already-safe strings)."""
    return escape(str(value))


def _words() -> dict[str, str]:
    """The fixed texts of the rows in the active language, escaped once per page."""
    return {key: esc(_(text)) for key, text in (
        ("due", "截止"), ("paused", "已暂停"), ("breached", "已超时"), ("answered", "已响应"),
        ("first_answered", "已首次响应"), ("unknown", "未识别"), ("unassigned", "未分配"))}


def _clock(clock, ticket, words: dict[str, str]) -> str:
    """desk/_clock.html (the `date` filter shows times in the current time zone: localtime)."""
    state = clock.state
    due = localtime(clock.due_at) if clock.due_at else None
    due_attr = f' data-due="{esc(due.isoformat())}"' if due else ""
    title = f"{esc(clock.label)} {words['due']} {due.strftime('%m-%d %H:%M:%S')}" if due else ""
    if clock.paused:
        inner = words["paused"]
        if clock.remaining_seconds is not None and clock.remaining_seconds > 0:
            left = esc(_("（剩 %(left)s）") % {"left": duration(clock.remaining_seconds)})
            inner += f' <span class="muted">{left}</span>'
    elif due:
        left = words["breached"] if clock.breached else "…"
        inner = (f'<span class="sla-label">{esc(clock.label)}</span> '
                 f'<span class="sla-left" data-testid="sla-left">{left}</span>')
    elif ticket.first_responded_at:
        inner = f'<span data-testid="sla-answered">{words["answered"]}</span>'
    else:
        inner = "—"
    answered = (f' <span class="badge ok" data-testid="sla-answered">{words["first_answered"]}</span>'
                if ticket.first_responded_at and clock.due_at else "")
    return (f'<span class="sla sla-{esc(state)}" data-testid="sla-clock" data-state="{esc(state)}" '
            f'data-target="{esc(clock.target)}"{due_attr} data-warn="{esc(clock.warn_seconds)}" title="{title}">'
            f"{inner}</span>{answered}\n")


def queue_rows_html(page, *, shop_id: int | None = None) -> SafeString:
    """desk/_queue_rows.html for `page` (an inbox.selectors.QueuePage); the ticket links name `shop_id`, the shop the
    page was drawn for (the template: request.desk_shop_id)."""
    if not page.rows:
        return mark_safe(f'<tr><td colspan="8" class="muted" data-testid="queue-empty">'
                         f'{esc(_("没有符合条件的工单"))}</td></tr>\n')
    link = reverse("desk:ticket", args=[0])
    head, tail = link.rsplit("0", 1)
    if shop_id:
        tail = f"{tail}?shop={int(shop_id)}"
    words = _words()
    unknown = f'<span class="muted">{words["unknown"]}</span>'
    unassigned = f'<span class="muted">{words["unassigned"]}</span>'
    out = []
    for row in page.rows:
        t = row.ticket
        customer = t.customer if t.customer_id else None
        if customer is not None:
            vip = f' <span class="badge warn">{esc(customer.get_tier_display())}</span>' if row.is_vip else ""
            who = f'{esc(customer.name)}{vip}<div class="muted">{esc(row.phone)}</div>'
        else:
            who = unknown
        preview = f'<div class="muted preview">{esc(row.last_message)}</div>' if row.last_message else ""
        assignee = esc(t.assignee.get_username()) if t.assignee_id and t.assignee else unassigned
        out.append(
            f'<tr data-ticket="{t.pk}" data-testid="queue-row" class="'
            f'{"row-breached" if row.clock.state == "breached" else ""}">\n'
            f'  <td><span class="prio p{esc(t.priority)}">{esc(row.priority_label)}</span></td>\n'
            f'  <td><a href="{head}{t.pk}{tail}" data-testid="ticket-link">{esc(t.number)}</a>\n'
            f"    <div>{esc(Truncator(t.subject_label).chars(40))}</div>\n"
            f"    {preview}</td>\n"
            f"  <td>{who}</td>\n"
            f"  <td>{esc(row.channel_label)}</td>\n"
            f"  <td>{esc(row.category_label)}</td>\n"
            f'  <td><span class="badge">{esc(row.status_label)}</span></td>\n'
            f"  <td>{assignee}</td>\n"
            f"  <td>{_clock(row.clock, t, words)}</td>\n"
            f"</tr>")
    out.append("\n")
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped
