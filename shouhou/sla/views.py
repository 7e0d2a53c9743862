"""SLA pages: the shop's business calendars and, per calendar and year, its public holidays and make-up
workdays (调休) with the corrections a supervisor or admin makes (sla.services.calendar_day_set)."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from shouhou.accounts.access import current_shop_for_request, require_action, role_for
from shouhou.accounts.permissions import TEAM_MANAGE, VIEW, role_can
from shouhou.core.clock import localnow
from shouhou.sla.holidays import COUNTRIES, FIRST_YEAR, LAST_YEAR
from shouhou.sla.models import BusinessCalendar
from shouhou.sla.selectors import calendar_year
from shouhou.sla.services import CalendarDayError, calendar_day_set, calendar_follow_public_holidays


def _shop(request):
    shop = current_shop_for_request(request)
    if shop is None:
        raise PermissionDenied(_("您不属于任何店铺"))
    require_action(request.user, shop, VIEW)
    return shop


@login_required
def calendars(request):
    shop = _shop(request)
    rows = BusinessCalendar.objects.filter(shop=shop).order_by("-is_default", "name", "pk")
    return render(request, "sla/calendars.html", {
        "rows": [(c, (c.spec or {}).get("public_holidays") or "") for c in rows], "year": localnow().year,
        "countries": COUNTRIES,
    })


@login_required
def calendar_year_view(request, pk: int, year: int):
    shop = _shop(request)
    cal = get_object_or_404(BusinessCalendar, shop=shop, pk=pk)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404
    can_edit = role_can(role_for(request.user, shop), TEAM_MANAGE)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(_("只有主管或管理员可以修改工作日历"))
        try:
            _change(request, cal, year)
        except CalendarDayError as exc:
            messages.error(request, str(exc))
        return redirect("sla:calendar_year", pk=cal.pk, year=year)
    weekdays = [_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日")]
    data = calendar_year(calendar=cal, year=year, language=get_language() or "zh-hans")
    return render(request, "sla/calendar_year.html", {
        "cal": cal, "data": data, "can_edit": can_edit, "prev": year - 1 if year > FIRST_YEAR else None,
        "next": year + 1 if year < LAST_YEAR else None, "country_name": COUNTRIES.get(data.country, ""),
        "days": [(d, weekdays[d.weekday]) for d in data.days], "year_start": f"{year}-01-01",
        "year_end": f"{year}-12-31",
    })


def _change(request, cal: BusinessCalendar, year: int) -> None:
    action = request.POST.get("action", "")
    if action == "follow":
        calendar_follow_public_holidays(calendar=cal, actor=request.user)
        messages.success(request, _("已按法定节假日和调休安排"))
        return
    kinds = {"add_holiday": ("holiday", True), "remove_holiday": ("holiday", False),
             "add_makeup": ("makeup_workday", True), "remove_makeup": ("makeup_workday", False)}
    if action not in kinds:
        raise CalendarDayError(_("未知的操作"), field="action")
    try:
        day = date.fromisoformat(request.POST.get("date", ""))
    except ValueError:
        raise CalendarDayError(_("日期格式应为 YYYY-MM-DD"), field="date") from None
    if day.year != year:
        raise CalendarDayError(_("日期须在 %(year)s 年内") % {"year": year}, field="date")
    kind, on = kinds[action]
    calendar_day_set(calendar=cal, actor=request.user, day=day, kind=kind, on=on)
    messages.success(request, _("已保存：%(day)s") % {"day": day.isoformat()})
