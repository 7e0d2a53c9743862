"""Pages for agents (recovery tasks list + detail, community alerts), supervisors (QA report), and the public
showcase of curated good reviews. Views translate input/output only; rules live in services/selectors."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shouhou.accounts import permissions as perm
from shouhou.accounts.access import current_shop_for_request, require_action, role_for
from shouhou.accounts.actors import actor_can
from shouhou.commerce.models import Shop
from shouhou.core.redirects import redirect_next
from shouhou.reviews import selectors, services
from shouhou.reviews.choices import ComplaintType, Outcome, Remedy, TaskStatus
from shouhou.reviews.guards import FlagCategory
from shouhou.reviews.models import RecoveryTask, Review
from shouhou.reviews.scripts import allowed_remedies


def _shop(request):
    shop = current_shop_for_request(request)
    if shop is None:
        raise PermissionDenied(_("你还没有加入任何店铺"))
    return shop


@login_required
def task_list(request):
    shop = _shop(request)
    require_action(request.user, shop, perm.VIEW)
    f = request.GET
    breached = {"1": True, "0": False}.get(f.get("breached", ""))
    qs = selectors.recovery_task_list(shop=shop, status=f.get("status", ""), complaint_type=f.get("type", ""),
                                      breached=breached, q=f.get("q", "").strip())
    page = Paginator(qs, 50).get_page(f.get("page"))
    return render(request, "reviews/task_list.html", {
        "page_obj": page, "counts": selectors.task_counts(shop=shop), "statuses": TaskStatus.choices,
        "types": [c for c in ComplaintType.choices if c[0] != ComplaintType.NONE], "f": f,
        "alerts": selectors.community_alert_list(shop=shop)[:10],
        "can_qa": perm.role_can(role_for(request.user, shop), perm.TEAM_MANAGE),
    })


@login_required
def task_detail(request, pk: int):
    shop = _shop(request)
    require_action(request.user, shop, perm.VIEW)
    try:
        task = selectors.recovery_task_get(shop=shop, pk=pk)
    except RecoveryTask.DoesNotExist:
        raise Http404 from None
    return _detail_page(request, shop, task)


def _detail_page(request, shop, task, *, typed: dict | None = None, error: str = "", error_field: str = "",
                 status: int = 200):
    """The task page; after a refused step, with what the agent typed in that step's form (`typed`, the
    posted fields and the form's name under "form"), the reason above that form and the refused field marked,
    answered 400."""
    allowed = allowed_remedies(task.review.complaint_type, task.review.complaint_others)
    return render(request, "reviews/task_detail.html", {
        "task": task, "review": task.review, "events": task.events.select_related("actor"),
        # offered from the same rules the recovery services enforce: the remedies the policy allows for the type
        "remedies": [(v, label) for v, label in Remedy.choices if v in allowed],
        "outcomes": [o for o in Outcome.choices if o[0]],
        "can_reply": actor_can(request.user, shop, perm.REPLY),
        "can_remedy": actor_can(request.user, shop, perm.COMPENSATE),
        "typed": typed or {}, "error": error, "error_field": error_field,
    }, status=status)


@login_required
@require_POST
def task_action(request, pk: int, action: str):
    shop = _shop(request)
    task = get_object_or_404(RecoveryTask, shop=shop, pk=pk)
    p = request.POST
    try:
        if action == "reply":
            require_action(request.user, shop, perm.REPLY)
            services.recovery_reply_public(task=task, text=p.get("text", ""), actor=request.user)
            messages.success(request, _("公开回复已发布"))
        elif action == "contact":
            require_action(request.user, shop, perm.REPLY)
            services.recovery_contact(task=task, note=p.get("note", ""), actor=request.user)
            messages.success(request, _("已记录私下联系"))
        elif action == "remedy":
            require_action(request.user, shop, perm.COMPENSATE)
            amount = None
            if p.get("amount", "").strip():
                try:
                    amount = Decimal(p["amount"].strip())
                except InvalidOperation:
                    raise services.ReviewRefused(_("金额格式不正确"), field="amount") from None
            services.recovery_set_remedy(task=task, remedy=p.get("remedy", ""), amount=amount, note=p.get("note", ""),
                                         override_misunderstanding=p.get("override") == "1", actor=request.user)
            messages.success(request, _("补救方案已保存"))
        elif action == "close":
            require_action(request.user, shop, perm.REPLY)
            rating = int(p["new_rating"]) if p.get("new_rating", "").isdigit() else None
            services.recovery_close(task=task, outcome=p.get("outcome", ""), new_rating=rating, actor=request.user)
            messages.success(request, _("任务已结束"))
        else:
            raise Http404
    except services.ReviewRefused as exc:
        # answered on the page itself, the reason above the form it is about: a redirect dropped what the agent
        # had typed (a long reply, an amount) and said why only at the top of the page
        typed = {k: p.get(k, "") for k in ("text", "note", "remedy", "amount", "override", "outcome", "new_rating")}
        typed["form"] = action
        task = selectors.recovery_task_get(shop=shop, pk=task.pk)
        return _detail_page(request, shop, task, typed=typed, error=str(exc), error_field=exc.field or "",
                            status=400)
    return redirect("reviews:task_detail", pk=task.pk)


@login_required
@require_POST
def showcase_toggle(request, pk: int):
    shop = _shop(request)
    require_action(request.user, shop, perm.REPLY)
    review = get_object_or_404(Review, shop=shop, pk=pk)
    try:
        services.review_showcase_set(review=review, showcased=request.POST.get("on") == "1", actor=request.user)
    except services.ReviewRefused as exc:
        messages.error(request, str(exc))
    return redirect_next(request, "reviews:good")


@login_required
def good_reviews(request):
    shop = _shop(request)
    require_action(request.user, shop, perm.VIEW)
    page = Paginator(selectors.review_list(shop=shop, sentiment=1, kind="review", praise_only=True), 50).get_page(request.GET.get("page"))
    return render(request, "reviews/good_reviews.html", {"page_obj": page, "shop": shop,
                                                         "can_showcase": actor_can(request.user, shop, perm.REPLY)})


def showcase_public(request, shop_code: str):
    shop = get_object_or_404(Shop, code=shop_code)
    return render(request, "reviews/showcase.html", {"shop": shop, "reviews": selectors.showcase_public(shop=shop)})


@login_required
def qa_report(request):
    shop = _shop(request)
    require_action(request.user, shop, perm.TEAM_MANAGE)
    rows = selectors.qa_report(shop=shop)
    return render(request, "reviews/qa_report.html", {"rows": rows, "categories": FlagCategory.choices})
