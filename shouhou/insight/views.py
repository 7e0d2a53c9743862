"""Insight pages: the survey answer page (public), the dashboard, breakdowns, drill-down, the improvement
loop and the weekly report. Views parse input, call one selector or service, and render."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from shouhou.accounts.access import current_shop_for_request, require_action
from shouhou.accounts.actors import actor_can
from shouhou.accounts.permissions import DATA_EXPORT, IMPROVEMENT_EDIT, VIEW
from shouhou.api.params import MAX_ID
from shouhou.core.clock import localnow
from shouhou.core.ratelimit import rate_limit

from . import metrics as m
from . import selectors as sel
from .choices import ActionStatus
from .forms import ImprovementActionForm, filter_choices
from .models import ImprovementAction, SurveyInvitation, SurveyResponse
from .services import (
    SCORE_FIELDS,
    ImprovementError,
    SurveyError,
    improvement_announce,
    improvement_create,
    improvement_set_status,
    improvement_update,
    survey_submit,
)


@require_http_methods(["GET", "POST"])
# Against survey spam and token guessing: per client IP, generous for a real person.
@rate_limit(scope="survey", rate="30/m", key="ip")
def survey_page(request, token: str):
    invitation = get_object_or_404(SurveyInvitation.objects.select_related("shop"), token=token)
    answered = SurveyResponse.objects.filter(invitation=invitation).exists()
    context = {"invitation": invitation, "fields": SCORE_FIELDS.items(), "scores": range(1, 6)}
    if answered:
        return render(request, "insight/survey_done.html", {**context, "already": True})
    if request.method == "POST":
        try:
            survey_submit(
                invitation=invitation,
                attitude=request.POST.get("attitude"),
                speed=request.POST.get("speed"),
                outcome=request.POST.get("outcome"),
                comment=request.POST.get("comment", ""),
            )
        except SurveyError as exc:
            context.update(error=str(exc), error_field=exc.field, posted=request.POST)
            return render(request, "insight/survey.html", context, status=400)
        return render(request, "insight/survey_done.html", {**context, "already": False})
    return render(request, "insight/survey.html", context)


# ------------------------------------------------------------------------------------------- helpers

def _shop(request, action: str = VIEW):
    shop = current_shop_for_request(request)
    if shop is None:
        raise Http404
    require_action(request.user, shop, action)
    return shop


def _may_write(request, shop) -> bool:
    # the same rule the improvement services enforce: pages offer only what they would accept
    return actor_can(request.user, shop, IMPROVEMENT_EDIT)


def _period(request):
    """`start`/`end` (end exclusive) as local dates; default: the last 7 days including today."""
    start_d, end_d, _error = _period_days(request)
    tz = timezone.get_current_timezone()
    return (datetime.combine(start_d, time.min, tzinfo=tz), datetime.combine(end_d, time.min, tzinfo=tz),
            start_d, end_d)


def _period_days(request) -> tuple[date, date, str]:
    """The period's local dates, and why the one asked for was not used ("" when it was, or none was asked
    for): a page shows the default week with that sentence rather than silently, or a 500."""
    raw_start, raw_end = request.GET.get("start", "").strip(), request.GET.get("end", "").strip()
    try:
        try:
            start_d, end_d = date.fromisoformat(raw_start), date.fromisoformat(raw_end)
        except ValueError:
            raise ValueError(_("日期格式应为 2026-12-01")) from None
        sel.check_period(start_d, end_d)
    except ValueError as exc:
        end_d = localnow().date() + timedelta(days=1)
        return end_d - timedelta(days=7), end_d, (str(exc) if raw_start or raw_end else "")
    return start_d, end_d, ""


def _filters(request) -> m.Filters:
    values = {}
    for name in m.FILTER_NAMES:
        raw = request.GET.get(name, "").strip()
        if not raw:
            continue
        if name in {"agent", "product", "sku", "live_session", "host"} and raw != m.NONE and (
                not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_ID):
            # no such row (「²」 is a digit to isdigit() but not to int()); a larger number overflows the database
            continue
        if name in m.DATE_DIMS and raw != m.NONE:
            try:
                date.fromisoformat(raw)
            except ValueError:
                continue
        values[name] = raw
    return m.Filters.of(**values)


def _context(request, shop, **extra) -> dict:
    start, end, start_d, end_d = _period(request)
    filters = _filters(request)
    query = {"start": start_d.isoformat(), "end": end_d.isoformat(), **{k: str(v) for k, v in filters.active().items()}}
    return {"shop": shop, "start": start_d.isoformat(), "end": end_d.isoformat(), "filters": filters,
            "period_error": _period_days(request)[2],
            "query": query, "choices": filter_choices(shop, filters), "active_filters": _active_labels(shop, filters),
            "dimension_labels": sel.DIMENSION_LABELS, **extra}


def _active_labels(shop, filters: m.Filters) -> list[tuple[str, str, str]]:
    return [(name, str(sel.DIMENSION_LABELS.get(name, name)), sel.filter_label(shop=shop, name=name, value=value))
            for name, value in filters.active().items()]


def _bounds(request):
    start, end, *_ = _period(request)
    return start, end


# ---------------------------------------------------------------------------------------- dashboard

@login_required
def dashboard(request):
    shop = _shop(request)
    start, end, start_d, end_d = _period(request)
    ctx = _context(request, shop)
    cards = sel.metric_cards(shop=shop, start=start, end=end, filters=ctx["filters"])
    rates = [c for c in cards if c.kind == "rate" and c.result is not None]
    trend_keys = [k for k in ["return", "csat", "positive_review"] if _applicable(k, ctx["filters"])]
    trend = {r.key: r for r in sel.breakdown(shop=shop, dim="day", start=start, end=end, filters=ctx["filters"],
                                             keys=trend_keys)}
    # every local day of the period on the axis, none where there is nothing to count: two days with data were
    # drawn side by side as if consecutive
    days = [start_d + timedelta(days=i) for i in range((end_d - start_d).days)]
    chart = {
        "labels": [c.label for c in rates],
        "values": [_pct(c.result) for c in rates], "series": _("比率（%）"),
        "trend": {"labels": [d.isoformat() for d in days],
                  "series": [{"label": chart_series_label(k),
                              "values": [_pct(trend[d].values.get(k)) if d in trend else None for d in days]}
                             for k in trend_keys]},
    }
    return render(request, "insight/dashboard.html", {**ctx, "cards": cards, "chart": chart,
                                                      "dimensions": sel.DIMENSION_LABELS})


def _applicable(key: str, filters: m.Filters) -> bool:
    """Whether every active filter applies to the metric (else its trend line is left out)."""
    d = m.METRICS[key]
    pop = m.POPULATIONS[d.numerator_population or d.population]
    return all(name in {*pop.dims(), *m.DATE_DIMS} for name in filters.active())


def _pct(result) -> float | None:
    if isinstance(result, m.Rate) and result.ratio is not None:
        return float(result.ratio * 100)
    return None


@login_required
def by_dimension(request, dim: str):
    shop = _shop(request)
    if dim not in sel.DIMENSION_LABELS:
        raise Http404
    start, end = _bounds(request)
    ctx = _context(request, shop)
    keys = sel.breakdown_metrics(dim)
    rows = sel.breakdown(shop=shop, dim=dim, start=start, end=end, filters=ctx["filters"], keys=keys,
                         sort=request.GET.get("sort") if request.GET.get("sort") in keys else None, limit=200)
    chart_key = "return" if "return" in keys else keys[0]
    chart = {"labels": [r.label for r in rows[:30]], "label": chart_series_label(chart_key),
             "values": [chart_value(chart_key, r.values.get(chart_key)) for r in rows[:30]]}
    return render(request, "insight/breakdown.html", {
        **ctx, "dim": dim, "dim_label": sel.DIMENSION_LABELS[dim], "rows": rows,
        "metric_defs": [m.METRICS[k] for k in keys], "chart": chart,
    })


def _filtered_where_applicable(ctx: dict, compute):
    """compute(filters) with the page's filters; a filter the page's rows cannot carry (「渠道」 on the problems page:
    a NotApplicable that answered 500) is dropped, the rest kept, and the page says which (`filter_dropped`)."""
    while True:
        try:
            return compute(ctx["filters"])
        except m.NotApplicable as exc:
            name = exc.args[0] if exc.args else None
            active = ctx["filters"].active()
            if name not in active:
                raise
            ctx["filters"] = m.Filters.of(**{k: v for k, v in active.items() if k != name})
            ctx.setdefault("filter_dropped", []).append(str(sel.DIMENSION_LABELS.get(name, name)))


@login_required
def sessions(request):
    shop = _shop(request)
    start, end = _bounds(request)
    ctx = _context(request, shop)
    rows = _filtered_where_applicable(ctx, lambda filters: sel.live_session_returns(shop=shop, start=start, end=end, filters=filters))
    chart = {"labels": [r.label for r in rows], "values": [r.rate.numerator for r in rows], "series": _("退货单")}
    return render(request, "insight/sessions.html", {**ctx, "rows": rows, "chart": chart})


@login_required
def problems(request):
    shop = _shop(request)
    start, end = _bounds(request)
    ctx = _context(request, shop)
    paretos = []
    for kind, (_pop, dim, metric, part, title) in sel.PARETO.items():
        rows = _filtered_where_applicable(ctx, lambda filters, kind=kind: sel.pareto(
            shop=shop, kind=kind, start=start, end=end, filters=filters))
        paretos.append({"kind": kind, "dim": dim, "metric": metric, "part": part, "title": title, "rows": rows,
                        "chart": {"labels": [r.label for r in rows], "counts": [r.count for r in rows],
                                  "cumulative": [float(r.cumulative * 100) for r in rows],
                                  "series": {"count": _("数量"), "cumulative": _("累计") + " %"}}})
    # "This week" is the week that contains the last day of the chosen period.
    week_start, week_end = sel.current_week(end.date() - timedelta(days=1))
    rising = _filtered_where_applicable(ctx, lambda filters: sel.rising_problems(shop=shop, week_start=week_start, filters=filters))
    return render(request, "insight/problems.html", {
        **ctx, "paretos": paretos, "rising": rising,
        "week_start": week_start.date().isoformat(), "week_end": week_end.date().isoformat(),
        "last_week_start": (week_start - timedelta(days=7)).date().isoformat(),
        "may_write": _may_write(request, shop),
    })


def chart_series_label(key: str) -> str:
    """A chart's series name with its unit: rates in %, durations as the median in business minutes."""
    label = str(m.METRICS[key].label_str)
    if m.METRICS[key].kind == "time":
        return _("%(metric)s（中位，工作时间，分钟）") % {"metric": label}
    return f"{label}（%）"


def chart_value(key: str, value):
    if m.METRICS[key].kind != "time":
        return _pct(value)
    seconds = getattr(value, "median_business_seconds", None)
    return None if seconds is None else round(seconds / 60, 1)


@login_required
def agents(request):
    shop = _shop(request)
    start, end = _bounds(request)
    ctx = _context(request, shop)
    rows = sel.agent_kpis(shop=shop, start=start, end=end, filters=ctx["filters"])
    chart = {"labels": [r.label for r in rows],
             "frt": [chart_value("first_response", r.values.get("first_response")) for r in rows],
             "csat": [_pct(r.values.get("csat")) for r in rows],
             "series": {"frt": chart_series_label("first_response"), "csat": chart_series_label("csat")}}
    return render(request, "insight/agents.html", {**ctx, "rows": rows, "chart": chart,
                                                   "metric_defs": [m.METRICS[k] for k in sel.AGENT_METRICS],
                                                   "reply_history": sel.reply_rate_history(
                                                       shop=shop, start=start, end=end, filters=ctx["filters"])})


@login_required
def drill(request):
    """Exactly the rows counted by a number: the metric, the part (num/den/all) and the same filters."""
    shop = _shop(request)
    key = request.GET.get("metric", "")
    part = request.GET.get("part", "num" if key in {"refund", "return"} else "den")
    if key not in m.METRICS or part not in {"num", "den", "all"}:
        raise Http404
    start, end = _bounds(request)
    ctx = _context(request, shop)
    try:
        qs, model = sel.drill_rows(metric=key, part=part, shop=shop, start=start, end=end, filters=ctx["filters"])
    except (m.NotApplicable, KeyError):
        raise Http404 from None
    page = Paginator(qs, 100).get_page(request.GET.get("page"))
    return render(request, "insight/drill.html", {
        **ctx, "metric": key, "metric_label": m.METRICS[key].label_str, "part": part, "model": model,
        "page": page, "total": page.paginator.count, "rows": page.object_list,
    })


# ---------------------------------------------------------------------------------- improvement loop

@login_required
def actions(request):
    shop = _shop(request)
    status = request.GET.get("status") or None
    if status not in ActionStatus.values:
        status = None
    return render(request, "insight/actions.html", {
        "review": sel.improvement_weekly_review(shop=shop), "actions": sel.improvement_action_list(shop=shop,
                                                                                                  status=status),
        "statuses": ActionStatus.choices, "status": status, "may_write": _may_write(request, shop),
        "today": localnow().date(),
    })


def _require_write(request, shop) -> None:
    if not _may_write(request, shop):
        raise PermissionDenied(_("当前角色只能查看"))


@login_required
@require_http_methods(["GET", "POST"])
def action_create(request):
    shop = _shop(request)
    _require_write(request, shop)
    initial = {k: request.GET.get(k) for k in ("finding", "dimension", "dimension_key", "metric", "sku", "product",
                                               "live_session", "host") if request.GET.get(k)}
    form = ImprovementActionForm(request.POST or None, shop=shop, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            action = improvement_create(shop=shop, actor=request.user, **form.service_values())
        except ImprovementError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, _("已创建改进行动"))
            return redirect("insight:action_edit", pk=action.pk)
    return render(request, "insight/action_form.html", {"form": form, "action": None, "may_write": True})


@login_required
@require_http_methods(["GET", "POST"])
def action_edit(request, pk: int):
    shop = _shop(request)
    action = get_object_or_404(ImprovementAction.objects.select_related("owner"), shop=shop, pk=pk)
    may_write = _may_write(request, shop)
    form = ImprovementActionForm(request.POST or None, shop=shop, instance=action)
    if request.method == "POST":
        _require_write(request, shop)
        if form.is_valid():
            try:
                improvement_update(action=action, actor=request.user, **form.service_values())
            except ImprovementError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                messages.success(request, _("已保存"))
                return redirect("insight:action_edit", pk=action.pk)
    return render(request, "insight/action_form.html", {
        "form": form, "action": action, "may_write": may_write, "statuses": ActionStatus.choices,
        "filters": action_filters_display(action),
    })


def action_filters_display(action) -> str:
    from .services import improvement_filters

    return "，".join(f"{sel.DIMENSION_LABELS.get(k, k)}={sel.filter_label(shop=action.shop, name=k, value=v)}"
                    for k, v in improvement_filters(action).items()) or "—"


@login_required
@require_POST
def action_status(request, pk: int):
    shop = _shop(request)
    _require_write(request, shop)
    action = get_object_or_404(ImprovementAction, shop=shop, pk=pk)
    try:
        if request.POST.get("announce"):
            improvement_announce(action=action, actor=request.user, text=request.POST.get("announcement"))
            messages.success(request, _("已记录公告"))
        else:
            improvement_set_status(action=action, status=request.POST.get("status", ""), actor=request.user)
            messages.success(request, _("状态已更新"))
    except ImprovementError as exc:
        messages.error(request, str(exc))
    return redirect("insight:action_edit", pk=action.pk)


# -------------------------------------------------------------------------------------- weekly report

def _report_week(request):
    week = request.GET.get("week", "")
    if week:
        try:
            return sel.iso_week(week)
        except ValueError:
            pass
    this_start, _this_end = sel.current_week()
    return this_start - timedelta(days=7), this_start  # default: last full week


@login_required
def report(request):
    shop = _shop(request)
    start, end = _report_week(request)
    data = sel.weekly_report(shop=shop, start=start, end=end)
    return render(request, "insight/report.html", {
        **data, "charts": _report_charts(data),
        "start_d": start.date().isoformat(), "end_d": end.date().isoformat(),
        "dimension_labels": sel.DIMENSION_LABELS, "metric_defs": m.METRICS,
        "xlsx_url": reverse("insight:report_xlsx") + f"?week={data['week']}",
    })


def _report_charts(data: dict) -> dict:
    """The weekly report's charts (the same figures as its tables and as the workbook's charts)."""
    rates = [c for c in data["cards"] if c.kind == "rate" and c.result is not None]
    return {
        "rates": {"labels": [c.label for c in rates], "series": _("比率（%）"),
                  "values": [float(c.result.ratio * 100) if c.result.ratio is not None else None for c in rates]},
        "sessions": {"labels": [str(r.label) for r in data["sessions"]],
                     "values": [r.rate.numerator for r in data["sessions"]], "series": _("退货单")},
        "series": {"count": _("数量"), "cumulative": _("累计") + " %"},
        "pareto": {kind: {"labels": [str(r.label) for r in rows], "counts": [r.count for r in rows],
                          "cumulative": [float(r.cumulative * 100) for r in rows]}
                   for kind, rows in data["pareto"].items()},
    }


@login_required
def report_xlsx(request):
    from .report import weekly_workbook_bytes

    shop = _shop(request, DATA_EXPORT)
    start, end = _report_week(request)
    data = sel.weekly_report(shop=shop, start=start, end=end)
    response = HttpResponse(weekly_workbook_bytes(data),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="insight-{shop.code}-{data["week"]}.xlsx"'
    return response

