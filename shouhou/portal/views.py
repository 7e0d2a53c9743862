from __future__ import annotations

import datetime as dt
import secrets
import time

from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shouhou.accounts.actors import CustomerActor
from shouhou.cases import services as case_services
from shouhou.cases.choices import ITEM_CONDITIONS, CaseStatus, ClaimReason, Resolution, ReturnMethod
from shouhou.cases.models import Case
from shouhou.cases.selectors import case_public_events
from shouhou.commerce.choices import Carrier
from shouhou.commerce.models import Order, Shop
from shouhou.commerce.selectors import return_address_for_case
from shouhou.core.clientip import client_ip, ip_limit_key
from shouhou.core.counters import counter_give_back, counter_hit, counter_values
from shouhou.core.links import LinkGone
from shouhou.core.uploads import MAX_IMAGE_BYTES, UploadError, check_image
from shouhou.portal import texts
from shouhou.portal.selectors import Parcel, order_parcels
from shouhou.portal.services import (
    NO_REASON_REASONS,
    AmbiguousOrder,
    ClaimFormError,
    TooManyAttempts,
    follow_link,
    follow_token,
    portal_asks_activated,
    portal_asks_activation,
    portal_asks_main_part,
    portal_claim_data,
    portal_claim_preview,
    portal_lines_in_progress,
    portal_order_lookup,
    portal_photo_problem,
    portal_photo_reasons,
    portal_photo_refusal,
)
from shouhou.portal.texts import shown_kind

NEUTRAL = gettext_lazy("订单号或手机尾号不正确，请核对后重试。")
REASONS = [r for r in ClaimReason.choices if r[0] not in ("recall", "other")]
# no state is pre-chosen: 「未拆封」 chosen for the customer approved used items as intact (the customer says which)
CONDITIONS = [("", gettext_lazy("请选择")), *ITEM_CONDITIONS]


def _webchat() -> str | None:
    try:
        return reverse("inbox:webchat")
    except NoReverseMatch:
        return None


def _ip(request) -> str:
    return client_ip(request)


LOOK_UP_AGAIN = gettext_lazy("请先输入订单号和手机尾号查询订单。页面停留太久或换了浏览器打开时，需要重新查询。")


class NoOrderLookedUp(Exception):
    """This browser has not looked an order up (or its session ended): the customer is sent to the lookup."""


def _order(request) -> Order:
    pk = request.session.get("portal_order_id")
    order = Order.objects.filter(pk=pk).select_related("shop", "customer").first() if pk else None
    if order is None:
        raise NoOrderLookedUp
    return order


def _look_up_again():
    """Where a page that needs the looked-up order sends a browser without one: the lookup, saying why (not the
    staff site's 「页面不存在 · 返回首页」, whose 首页 is the staff login)."""
    return redirect(reverse("portal:start") + "?again=1")


@never_cache
def start(request, shop_code: str | None = None):
    error = None
    shop = None
    typed = {"order_no": "", "last4": ""}
    too_many = False
    if shop_code is not None:
        shop = Shop.objects.filter(code=shop_code).first()
        if shop is None:
            # a shop's link mistyped or cut short: the lookup for every shop, saying so (not the staff site's 404)
            return render(request, "portal/start.html", {
                "error": gettext("这个店铺链接无效，可能复制不完整。您可以直接在下方输入订单号和手机尾号查询。"),
                "webchat": _webchat(), "shop": None, "typed": {"order_no": "", "last4": ""},
                "action": reverse("portal:start")}, status=404)
    if request.method == "POST":
        typed = {"order_no": request.POST.get("order_no", "")[:64], "last4": request.POST.get("last4", "")[:8]}
        try:
            order = portal_order_lookup(order_no=typed["order_no"], last4=typed["last4"], ip=_ip(request), shop=shop,
                                        raise_ambiguous=True)
        except TooManyAttempts:
            order, error, too_many = None, gettext("尝试次数过多，请15分钟后再试。"), True
        except AmbiguousOrder:
            order, error = None, gettext("请从购买店铺提供的售后链接进入后再查询。")
        if order is not None:
            request.session.cycle_key()
            request.session["portal_order_id"] = order.pk
            return redirect("portal:order")
        error = error or NEUTRAL
    # on any error the form keeps what the customer typed (an 18-digit order number is not typed twice)
    notice = LOOK_UP_AGAIN if request.method == "GET" and request.GET.get("again") else ""
    return render(request, "portal/start.html", {"error": error, "webchat": _webchat(), "shop": shop, "typed": typed,
                                                 "notice": notice},
                  status=429 if too_many else 200)


def _order_context(order: Order, error: str | None = None, typed: dict | None = None) -> dict:
    """The claim form: each reason says whether the shop's policy needs a photo for it. `typed`: what the
    customer sent, given back with an error so nothing but the photo has to be entered again."""
    photo_reasons = portal_photo_reasons(shop=order.shop)
    reasons = [(value, label, value in photo_reasons) for value, label in REASONS]
    lines = list(order.lines.filter(removed_at__isnull=True).order_by("pk"))  # not the removed
    typed = typed or {}
    # how many units the claim is about: asked for a line of several (default: all that earlier cases did not
    # refund); one query for the whole order
    from shouhou.cases.selectors import lines_refunded

    done = lines_refunded(order.lines.all(), {line.pk: line.quantity for line in lines})
    in_progress = portal_lines_in_progress(order)
    for line in lines:
        line.units_left = max(line.quantity - done.get(line.pk, (0, 0))[0], 0)
        line.asks_activation = portal_asks_activation(line)  # portal.js asks 「激活过吗」 for a no-reason return
        # a line with an open case, or refunded in full, takes no new claim: said beside it, not chosen (the form
        # used to choose the first line, and its preview then refused it)
        line.taken = (gettext("售后处理中（%(case)s）") % {"case": in_progress[line.pk]} if line.pk in in_progress
                      else gettext("已全部退款") if line.units_left == 0 else "")
    chosen_line = str(typed.get("line") or "")
    if chosen_line not in {str(line.pk) for line in lines}:
        free = [line for line in lines if not line.taken] or lines
        chosen_line = str(free[0].pk) if free else ""
    chosen_obj = next((line for line in lines if str(line.pk) == chosen_line), None)
    most = next((line.units_left for line in lines if str(line.pk) == chosen_line), 1) or 1
    return {"order": order, "lines": lines, "chosen_line": chosen_line,
            "quantity_max": most, "return_quantity": typed.get("return_quantity") or str(most),
            "quantity_error": typed.get("quantity_error", ""),
            "main_part": typed.get("main_part", ""), "main_part_error": typed.get("main_part_error", ""),
            "activated": typed.get("activated", ""), "activated_error": typed.get("activated_error", ""),
            # the select shows its first reason (七天无理由) until one is chosen: asked from the first render
            "asks_activated": chosen_obj is not None and portal_asks_activated(
                line=chosen_obj, reason=typed.get("reason") or REASONS[0][0]),
            "reasons": reasons, "conditions": CONDITIONS,
            "webchat": _webchat(), "error": error, "chosen": typed.get("reason", ""),
            "chosen_condition": typed.get("condition", ""), "washed": typed.get("washed") == "1",
            # the item's state and the washing matter only to a no-reason return (asked, and required, then)
            "asks_condition": (typed.get("reason") or REASONS[0][0]) in NO_REASON_REASONS,
            "condition_error": typed.get("condition_error", ""),
            "wanted_spec": typed.get("wanted_spec", ""), "wanted_spec_error": typed.get("wanted_spec_error", ""),
            "description": typed.get("description", ""), "chosen_kind": typed.get("kind", ""),
            "current_price": typed.get("current_price", ""), "price_error": typed.get("price_error", ""),
            "photo_max_bytes": MAX_IMAGE_BYTES,
            "photo_labels": gettext("、").join(str(label) for value, label, needed in reasons
                                     if needed and value != ClaimReason.PRICE_DROP),
            "parcels": _parcels(order),
            "cases": [(c, follow_token(c.pk), shown_kind(c))
                      for c in Case.objects.filter(order=order).order_by("-created_at")],
            # one key per form shown: a second tap on 提交申请 (or the same form sent again) finds the first claim
            "submit_key": typed.get("submit_key") or secrets.token_urlsafe(12)}


def _parcels(order: Order) -> list[Parcel]:
    """The order's outbound parcels, each with where it is and, when the logistics rules flagged it, what went wrong
    (in the reader's language); the carrier's own event texts are shown as the carrier wrote them."""
    parcels = order_parcels(order=order)
    for parcel in parcels:
        parcel.state = texts.parcel_state(parcel.shipment.status)
        parcel.problem = texts.parcel_problem(parcel.exception.kind) if parcel.exception is not None else ""
        parcel.no_news = texts.parcel_no_news(parcel.shipment.status) if not parcel.events else ""
    return parcels


@never_cache
def order_page(request):
    """The claim form; it posts to itself, so after an error the address stays /p/order/."""
    if request.method == "POST":
        return submit(request)
    try:
        order = _order(request)
    except NoOrderLookedUp:
        return _look_up_again()
    return render(request, "portal/order.html", _order_context(order))


def _claim(request, order):
    line = order.lines.filter(pk=request.POST.get("line") or 0, removed_at__isnull=True).first()
    reason = request.POST.get("reason", "")
    if line is None or reason not in ClaimReason.values:
        return None, None
    return line, reason


@require_POST
def preview(request):
    try:
        order = _order(request)
    except NoOrderLookedUp:
        return JsonResponse({"error": str(LOOK_UP_AGAIN), "again": reverse("portal:start")}, status=400)
    line, reason = _claim(request, order)
    if line is None:
        return JsonResponse({"error": gettext("请选择商品和问题类型。")}, status=400)
    if line.pk in portal_lines_in_progress(order):
        # said before the customer fills the form in, not after they submit it (the preview offered a full refund)
        return JsonResponse({"error": gettext("该商品已有进行中的售后单，请在原售后单中跟进。")}, status=400)
    try:
        d, data = portal_claim_preview(order=order, line=line, reason=reason, form=request.POST,
                                       has_photo=bool(request.FILES.get("photo")))
    except ClaimFormError as exc:
        return JsonResponse({"error": str(exc), "field": exc.field}, status=400)
    except case_services.CaseError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    # the texts follow the remedy the customer has chosen (or the recommended one until they choose)
    price = {"paid_total": line.price_paid, "quantity": line.quantity, "current_price": data.get("current_price")}
    units = (data["return_quantity"], line.quantity) if "return_quantity" in data else None
    return JsonResponse({"text": texts.claim_text(d, request.POST.get("kind") or None, reason, price=price,
                                                  units=units, ask_main_part=portal_asks_main_part(d))})


SUBMIT_SECONDS = 15 * 60  # how long a form's key recognises the same form sent again
SUBMIT_WAIT_SECONDS = 5  # how long a second send waits for the first, handled by another web process, to finish


def _submit_slot(order: Order, request) -> str | None:
    key = "".join(ch for ch in request.POST.get("submit_key", "")[:32] if ch.isascii() and (ch.isalnum() or ch in "-_"))
    return f"portal:submit:{order.pk}:{key}" if key else None


def _first_claim(order: Order, line, slot: str) -> Case | None:
    """The claim the first send of a form made: the open case on its line, filed within SUBMIT_SECONDS — waited for
    only while another send of the form is still being handled (e.g. by another web process: `:busy` counts the
    sends in flight, this one included). Otherwise it is looked for once: a used key sent again and again held a
    web process 5 s each time."""
    if line is None:
        return None
    end = time.monotonic() + SUBMIT_WAIT_SECONDS
    while True:
        since = timezone.now() - dt.timedelta(seconds=SUBMIT_SECONDS)
        case = (Case.objects.filter(order=order, order_line=line, channel="portal", created_at__gte=since)
                .order_by("-created_at").first())
        if case is not None or time.monotonic() > end or counter_values([slot + ":busy"])[0] <= 1:
            return case
        time.sleep(0.2)


SUBMITS_PER_WINDOW = 30  # claim forms sent per client address in SUBMIT_SECONDS: far above a customer's use
TOO_MANY_SUBMITS = gettext_lazy("提交太频繁，请稍后再试。")


@require_POST
@never_cache
def submit(request):
    try:
        order = _order(request)
    except NoOrderLookedUp:
        return _look_up_again()
    line, reason = _claim(request, order)
    # A double tap sends the form twice (the second send replaces the first page load, not the first request): the
    # second is not a second claim, nor the error 「已有进行中的售后单」 in place of the case just filed — it is led to
    # the first's case. Counted in one atomic step every web process shares (core/counters.py).
    # Each send may carry a photo to decode (seconds of CPU for a large one): a client address sends a bounded
    # number, and one customer's burst cannot hold the web processes everybody else is served by
    if counter_hit(f"portal:submits:{ip_limit_key(client_ip(request))}", expires_in=SUBMIT_SECONDS) \
            > SUBMITS_PER_WINDOW:
        return render(request, "portal/order.html", _order_context(order, str(TOO_MANY_SUBMITS)), status=429)
    slot = _submit_slot(order, request)
    if slot is None:
        return _submit(request, order, line, reason, slot)
    counter_hit(slot + ":busy", expires_in=SUBMIT_WAIT_SECONDS * 6)  # this send is in flight
    try:
        if counter_hit(slot, expires_in=SUBMIT_SECONDS) > 1:
            first = _first_claim(order, line, slot)
            if first is not None:
                return redirect("portal:follow", token=follow_token(first.pk))
        return _submit(request, order, line, reason, slot)
    finally:
        counter_give_back(slot + ":busy")


def _submit(request, order: Order, line, reason: str, slot: str | None):
    photo = request.FILES.get("photo")
    error = None
    field_errors: dict[str, str] = {}
    if line is None:
        error = gettext("请选择商品和问题类型。")
    elif line.pk in portal_lines_in_progress(order):
        # refused before any photo is decoded (case_create refuses it too, after the decoding)
        error = gettext("该商品已有进行中的售后单，请在原售后单中跟进。")
    else:
        try:
            data = portal_claim_data(reason=reason, form=request.POST, final=True, line=line)
        except ClaimFormError as exc:
            error = field_errors[exc.field] = str(exc)
        else:
            error = portal_photo_refusal(shop=order.shop, reason=reason, has_photo=photo is not None)
    if error is None and photo is not None:
        error = portal_photo_problem(photo)  # said in the reader's language (core.uploads' are Chinese)
    if error is None:
        try:
            if photo is not None:
                check_image(photo)
            case = case_services.case_create(shop=order.shop, order_line=line, reason=reason, claim_data=data,
                                             kind=request.POST.get("kind") or None,
                                             description=request.POST.get("description", "")[:500],
                                             photos=[photo] if photo is not None else [], channel="portal",
                                             from_customer=True, actor=CustomerActor())
        except (UploadError, case_services.CaseError) as exc:
            error = str(exc)
        else:
            return redirect("portal:follow", token=follow_token(case.pk))
    if slot is not None:
        counter_give_back(slot)  # nothing was filed: the corrected form, sent with the same key, is a first send
    typed = {key: request.POST.get(key, "") for key in ("line", "reason", "condition", "washed", "kind", "main_part",
                                                        "activated")}
    typed["submit_key"] = request.POST.get("submit_key", "")[:32]
    typed["description"] = request.POST.get("description", "")[:500]
    typed["current_price"] = request.POST.get("current_price", "")[:32]
    typed["return_quantity"] = request.POST.get("return_quantity", "")[:16]
    typed["price_error"] = field_errors.get("current_price", "")
    typed["quantity_error"] = field_errors.get("return_quantity", "")
    typed["main_part_error"] = field_errors.get("main_part", "")
    typed["activated_error"] = field_errors.get("activated", "")
    typed["condition_error"] = field_errors.get("condition", "")
    typed["wanted_spec"] = request.POST.get("wanted_spec", "")[:60]
    typed["wanted_spec_error"] = field_errors.get("wanted_spec", "")
    return render(request, "portal/order.html", _order_context(order, error, typed), status=400)


def _followed(token: str) -> Case:
    case, state = follow_link(token)
    if case is None:
        raise LinkGone(state)  # a plain page for the customer (core/links.py)
    return case


def _follow_plain(case: Case) -> dict:
    """What the follow page says, from the case as it stands now and the remedy it is for: the stored decision's
    texts are recomputed on approval (cases.services), and the headline follows the status, not the first decision.
    The refund is the case's own amount (nothing for an exchange, resend or repair)."""
    d = {**{"allowed": [], "recommended": None, "shipping_payer": "none", "deadlines": {}, "clauses": [],
            "explanation_zh": "", "auto_approved": False}, **case.decision}
    plain = {**texts.remedy_text(d, case.kind, case.reason, refund_amount=case.refund_amount),
             "what": texts.headline(d, case.kind), "review": ""}
    # a claim on some of the line's units: the refund is for those (「退 2/3 件」)
    plain["share"] = texts.share_text((case.claim or {}).get("return_quantity"), case.order_line.quantity) if (
        plain["refund"] and case.order_line is not None) else ""
    kind = texts.kind_label(case.kind)
    if case.status == CaseStatus.REQUESTED:
        plain["review"] = texts.review_text({**d, "auto_approved": False}, case.kind)
    # price protection: the price stated when claiming and the difference claimed (line total − price × quantity)
    plain["price"] = texts.price_sum(paid_total=case.order_line.price_paid, quantity=case.order_line.quantity,
                                     current_price=(case.claim or {}).get("current_price")) if (
        case.reason == ClaimReason.PRICE_DROP and case.order_line is not None) else {}
    if plain["price"].get("difference") and case.status == CaseStatus.REQUESTED:
        # a claim the policy refuses (past the price-protection window) promises no refund: a person reviews it
        plain["review"] = (texts.review_text({**d, "auto_approved": False}, case.kind) if texts.refused(d)
                           else gettext("客服会核对您上传的降价截图，确认后退还差价。"))
    if not case_services.TRANSITIONS.get(case.status):
        # an ended case: no offer, no postage, no "an agent will review it" (the decision's texts are history)
        plain.update(shipping="", by="", by_text="", explanation="", refund_when="")
        if case.status != CaseStatus.RESOLVED:
            plain["refund"] = ""
    if case.status == CaseStatus.REJECTED:
        plain["what"] = gettext("很抱歉，申请未通过，原因见下方处理进度。")
    elif case.status == CaseStatus.CANCELLED:
        plain["what"] = gettext("申请已撤销。")
    elif case.status == CaseStatus.RESOLVED:
        done = Resolution(case.resolution).label if case.resolution in Resolution.values else kind
        plain["what"] = gettext("售后已完成：%(done)s") % {"done": done}
    elif case.status != CaseStatus.REQUESTED:
        plain["what"] = gettext("已同意为您办理：%(kind)s") % {"kind": kind}
    if case.status != CaseStatus.AWAITING_RETURN:
        plain.update(by="", by_text="")  # a date to send by only while the goods are awaited
    return plain


@never_cache
def follow(request, token: str, error: str | None = None, status: int = 200, typed: dict | None = None):
    case = _followed(token)
    photos = case.evidence.count()
    returning = case.kind in case_services.RETURN_KINDS and case.status in (
        CaseStatus.AWAITING_RETURN, CaseStatus.IN_TRANSIT_BACK)
    return render(request, "portal/follow.html", {
        "token": token, "error": error, "carriers": Carrier.choices,
        "is_open": bool(case_services.TRANSITIONS.get(case.status)),
        "can_ship": case.status == CaseStatus.AWAITING_RETURN,
        # the parcel's details can be corrected until the shop has the goods
        "can_fix": case.status == CaseStatus.IN_TRANSIT_BACK and case.return_method == ReturnMethod.SELF_SHIP,
        "pickup_requested": case.status == CaseStatus.AWAITING_RETURN and case.return_method == ReturnMethod.PICKUP,
        "typed": typed or {"method": ReturnMethod.SELF_SHIP, "carrier": case.return_carrier,
                           "tracking_no": case.return_tracking_no},
        "can_cancel": CaseStatus.CANCELLED in case_services.TRANSITIONS.get(case.status, set()),
        "photos": photos,
        # the cases app takes no more than MAX_CUSTOMER_PHOTOS from the customer: the form goes at the limit (its
        # refusal after the upload was in Chinese whatever the page's language)
        "photos_full": case.evidence.filter(from_customer=True).count() >= case_services.MAX_CUSTOMER_PHOTOS,
        "photos_max": case_services.MAX_CUSTOMER_PHOTOS, "photo_max_bytes": MAX_IMAGE_BYTES,
        "case": case, "plain": _follow_plain(case), "returning": returning,
        "return_address": return_address_for_case(case) if returning else None,
        # each step in the reader's language (texts.timeline_entry), not the note the cases app stored in Chinese
        "events": [{"at": e.at, "text": texts.timeline_entry(e)} for e in case_public_events(case)],
        "webchat": _webchat(),
        "kind": shown_kind(case),
    }, status=status)


def _follow_action(request, token: str, action, typed: dict | None = None) -> object:
    case = _followed(token)
    try:
        action(case)
    except (UploadError, case_services.CaseError) as exc:
        return follow(request, token, error=str(exc), status=400, typed=typed)
    return redirect("portal:follow", token=token)


@require_POST
def follow_evidence(request, token: str):
    """The customer adds a photo after the decision (evidence may follow); a file that is no photo, or too large,
    is said in the reader's language before the cases app sees it."""
    problem = portal_photo_problem(request.FILES.get("photo"))
    if problem is not None:
        return follow(request, token, error=problem, status=400)  # (a dead link is said by follow, as ever)
    return _follow_action(request, token, lambda case: case_services.case_add_evidence(
        case=case, upload=request.FILES.get("photo"), actor=CustomerActor(case.pk), from_customer=True,
        note="顾客补充了照片"))


@require_POST
def follow_ship(request, token: str):
    """The customer says how the goods come back: self-ship with carrier and tracking number (corrected while
    the parcel is on its way), or a request to have it collected."""
    typed = {"method": request.POST.get("method", ReturnMethod.SELF_SHIP)[:16],
             "carrier": request.POST.get("carrier", "")[:32], "tracking_no": request.POST.get("tracking_no", "")[:64]}

    def ship(case: Case) -> Case:
        actor = CustomerActor(case.pk)
        if case.status != CaseStatus.AWAITING_RETURN and case.return_tracking_no:  # a correction (refused once received)
            return case_services.case_return_correct(case=case, actor=actor, carrier=typed["carrier"],
                                                     tracking_no=typed["tracking_no"])
        if typed["method"] == ReturnMethod.PICKUP:
            return case_services.case_return_pickup_request(case=case, actor=actor)
        return case_services.case_return_shipped(case=case, actor=actor, method=typed["method"],
                                                 carrier=typed["carrier"], tracking_no=typed["tracking_no"])

    return _follow_action(request, token, ship, typed=typed)


@require_POST
def follow_cancel(request, token: str):
    return _follow_action(request, token, lambda case: case_services.case_cancel(
        case=case, actor=CustomerActor(case.pk), reason="顾客撤销了申请"))
