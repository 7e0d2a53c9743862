from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from shouhou.core.ratelimit import rate_limit

from .models import SurveyInvitation, SurveyResponse
from .services import SCORE_FIELDS, SurveyError, survey_submit


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


def _period(request):
    from datetime import date, datetime, time, timedelta

    from django.utils import timezone

    from shouhou.core.clock import localnow

    tz = timezone.get_current_timezone()
    try:
        start_d = date.fromisoformat(request.GET.get("start", ""))
        end_d = date.fromisoformat(request.GET.get("end", ""))
    except ValueError:
        end_d = localnow().date() + timedelta(days=1)
        start_d = end_d - timedelta(days=7)
    return (
        datetime.combine(start_d, time.min, tzinfo=tz),
        datetime.combine(end_d, time.min, tzinfo=tz),
        start_d,
        end_d,
    )


def _shop_or_404(request):
    from django.http import Http404

    from shouhou.accounts.access import current_shop_for_request

    shop = current_shop_for_request(request)
    if shop is None:
        raise Http404
    return shop


@login_required
def dashboard(request):
    from . import metrics

    shop = _shop_or_404(request)
    start, end, start_d, end_d = _period(request)
    rates = {
        "csat": (_("满意度 CSAT"), metrics.csat(shop=shop, start=start, end=end)),
        "sla": (_("SLA 达成率"), metrics.sla_compliance(shop=shop, start=start, end=end)),
        "positive_review": (_("好评率"), metrics.positive_review_rate(shop=shop, start=start, end=end)),
        "refund": (_("仅退款率"), metrics.refund_rate(shop=shop, start=start, end=end)),
        "return": (_("退货率"), metrics.return_rate(shop=shop, start=start, end=end)),
        "repeat_contact": (_("重复咨询率"), metrics.repeat_contact_rate(shop=shop, start=start, end=end)),
    }
    cards = [
        {"key": key, "label": label, "rate": rate, "drill": key in DRILLS}
        for key, (label, rate) in rates.items()
    ]
    chart = {"labels": [str(c["label"]) for c in cards],
             "values": [float(c["rate"].ratio or 0) * 100 for c in cards]}
    return render(request, "insight/dashboard.html", {
        "cards": cards, "chart": chart, "start": start_d.isoformat(), "end": end_d.isoformat(),
        "frt": metrics.first_response_time(shop=shop, start=start, end=end),
    })


DRILLS = {"refund": "refund_only", "return": "return_refund"}


@login_required
def drill(request):
    from django.http import Http404

    from shouhou.cases.models import Case

    shop = _shop_or_404(request)
    kind = DRILLS.get(request.GET.get("metric", ""))
    if kind is None:
        raise Http404
    start, end, start_d, end_d = _period(request)
    cases = Case.objects.filter(shop=shop, kind=kind, created_at__gte=start, created_at__lt=end).select_related(
        "order"
    ).order_by("-created_at")
    return render(request, "insight/drill.html", {"cases": cases, "metric": request.GET.get("metric")})
