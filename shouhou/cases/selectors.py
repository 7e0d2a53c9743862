from __future__ import annotations

from decimal import Decimal

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.utils.translation import get_language, gettext, pgettext

from shouhou.cases.choices import ITEM_CONDITIONS, OPEN_STATUSES, CaseStatus, ClaimReason, Resolution
from shouhou.cases.models import Case, CaseEvent
from shouhou.policies.engine import REPAIR_OVERDUE_DAYS, sanbao_repair_overdue


def case_search(q: str) -> Q:
    """What an agent types to find a case: its number, the order number (any part of either), or the
    last 4 digits of the customer's or the receiver's phone. Four digits alone match a phone tail or a
    whole number, never any order that merely contains them."""
    q = (q or "").strip()
    if not q:
        return Q()
    if len(q) == 4 and q.isdigit():
        return (Q(customer__phone_last4=q) | Q(customer__phone__endswith=q) | Q(order__receiver_phone__endswith=q)
                | Q(number__iexact=q) | Q(order__order_no__iexact=q))
    return Q(number__icontains=q) | Q(order__order_no__icontains=q)


def case_list(*, shop, status: str | None = None, kind: str | None = None,
              open_first: bool = False, q: str = "", oldest_first: bool = False,
              repair_overdue: bool = False) -> QuerySet[Case]:
    """Newest first (oldest_first: the longest-waiting first). open_first (the staff list): cases still
    being worked on come before resolved, rejected and cancelled ones. `q`: case_search. `repair_overdue`: repairs
    under way that the daily 三包12 sweep flagged (`cases.services.repair_overdue_sweep`)."""
    qs = Case.objects.filter(shop=shop).select_related("order", "order_line", "customer")
    if repair_overdue:
        from shouhou.cases.services import REPAIR_OVERDUE_EVENT, REPAIR_UNDER_WAY

        flagged = CaseEvent.objects.filter(case=OuterRef("pk"), kind=REPAIR_OVERDUE_EVENT)
        qs = qs.filter(Exists(flagged), kind="repair", status__in=REPAIR_UNDER_WAY)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if (q or "").strip():
        qs = qs.filter(case_search(q))
    order = ("created_at", "pk") if oldest_first else ("-created_at", "-pk")
    if open_first:
        is_open = ExpressionWrapper(Q(status__in=OPEN_STATUSES), output_field=BooleanField())
        return qs.order_by(is_open.desc(), *order)
    return qs.order_by(*order)


def claim_line(lines: QuerySet, line_id: int | None):
    """The order line a case is opened on: the one named, or, when none is, the first line still on the order
    (a line the shop platform removed is not a default; case_create refuses it when it is named)."""
    if line_id:
        return lines.filter(pk=line_id).first()
    return lines.filter(removed_at__isnull=True).order_by("pk").first()


def case_age_seconds(case: Case, *, at) -> int:
    """How long the case has been open (or took, once finished)."""
    end = case.resolved_at or at
    return max(0, int((end - case.created_at).total_seconds()))


def age_text(seconds: int) -> str:
    """3 days 5 hours → '3天5小时'; under a day hours and minutes; under an hour minutes."""
    from django.utils.translation import gettext as _

    days, rest = divmod(max(0, int(seconds)), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(days)s天%(hours)s小时") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)s小时%(minutes)s分钟") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)s分钟") % {"minutes": minutes}


def case_get(*, shop, pk: int) -> Case:
    return Case.objects.select_related("order", "order_line", "customer", "policy_version").get(shop=shop, pk=pk)


def case_public_events(case: Case):
    return case.events.filter(visible_to_customer=True).order_by("at", "id")


def case_open_list(*, shop, customer_id: int | None = None, order_id: int | None = None,
                   case_id: int | None = None) -> QuerySet[Case]:
    """The cases still being worked on of a customer or an order (and the one named), oldest first, with their
    photos: what the agent decides on from a conversation (the desk's case panel)."""
    match = [Q(**{field: value}) for field, value in (("customer_id", customer_id), ("order_id", order_id),
                                                       ("pk", case_id)) if value]
    if not match:
        return Case.objects.none()
    any_of = match[0]
    for q in match[1:]:
        any_of |= q
    return (Case.objects.filter(any_of, shop=shop, status__in=OPEN_STATUSES)
            .select_related("order", "order_line", "customer", "shop").prefetch_related("evidence")
            .order_by("created_at", "pk"))


def units_text(units, quantity) -> str:
    """Part of a line of several units, as the pages say it: 「退 2/3 件」 ("" for a line of one, or no number)."""
    try:
        units, quantity = int(units), int(quantity or 1)
    except (TypeError, ValueError):
        return ""
    if quantity <= 1 or not 1 <= units <= quantity:
        return ""
    return gettext("退 %(units)s/%(quantity)s 件") % {"units": units, "quantity": quantity}


NO_REASON_CLAIMS = (ClaimReason.NO_REASON, ClaimReason.SIZE_FIT)


def case_claim_facts(case: Case) -> list[tuple[str, str]]:
    """What the claim says beyond its reason, for the staff case page: (test id, text) — how many of the line's
    units it is about (「退 2/3 件」), the size or colour an exchange is for, the item's state the customer stated for a
    no-reason return, a 三包 claim that the fault is in a main part, and the installation date of goods the merchant
    installed (条例18)."""
    claim = case.claim or {}
    facts = []
    if isinstance(claim.get("wanted_spec"), str) and claim["wanted_spec"]:
        facts.append(("wanted-spec", gettext("顾客想换：%(spec)s") % {"spec": claim["wanted_spec"]}))
    if case.reason in NO_REASON_CLAIMS and claim.get("condition") in dict(ITEM_CONDITIONS):
        facts.append(("condition", gettext("顾客所述商品状态：%(state)s") % {
            "state": dict(ITEM_CONDITIONS)[claim["condition"]]}))
    if claim.get("return_quantity") is not None and case.order_line_id is not None:
        units = units_text(claim["return_quantity"], case.order_line.quantity)
        if units:
            facts.append(("units", units))
    if claim.get("main_part") is True:
        facts.append(("main-part", gettext("顾客称故障在主要部件上（三包主要部件保修）")))
    if claim.get("activated") is True:
        facts.append(("activated", gettext("商品已激活（暂行办法第九条：电子产品激活后不再完好）")))
    if claim.get("sold_as_flawed") is True:
        facts.append(("sold-as-flawed", gettext("销售时已明示临近保质期或有瑕疵")))
    if isinstance(claim.get("installed_date"), str) and claim["installed_date"]:
        facts.append(("installed", gettext("商家安装完成于 %(date)s（三包期限自此起算，实施条例第18条）") % {
            "date": claim["installed_date"]}))
    overdue = case_repair_overdue(case)
    if overdue is not None and overdue["overdue"]:
        facts.append(("repair-overdue", gettext(
            "维修已 %(days)s 天（%(cause_label)s），超过 %(limit)s 天：应为顾客免费调换同型号同规格产品（三包第十二条）；顾客不愿换货的可以退货（三包第十三条）") % overdue))
    elif overdue is not None and overdue["cause"] is None and overdue["days"] > min(REPAIR_OVERDUE_DAYS.values()):
        facts.append(("repair-overdue", gettext(
            "维修已 %(days)s 天：请记录延误原因（缺零配件超过 90 天、修理者自身原因超过 30 天，应免费换货，三包第十二条）")
            % overdue))
    deduction = (case.decision or {}).get("shipping_deduction")
    if deduction not in (None, "") and _amount(deduction) > 0:
        facts.append(("free-shipping", gettext("退货后不再满足包邮条件，退款已扣运费 ¥%(amount)s") % {
            "amount": _amount(deduction)}))
    return facts



def case_repair_overdue(case: Case) -> dict | None:
    """三包12 for a repair case whose goods are with the repairer: {"days" (from the day they were handed over: sent
    back, else received), "cause" (the latest `repair_delay` event's: "parts", "repairer" or None), "cause_label",
    "limit", "overdue" (a free exchange is owed)}; None for other cases — not a repair, not under way, not decided on
    the 三包 path (a paid repair after the warranty owes nothing)."""
    from shouhou.cases.services import REPAIR_UNDER_WAY, beijing_now, clock_date

    clauses = (case.decision or {}).get("clauses") or []
    in_sanbao = any(c.startswith("sanbao.") and c != "sanbao.warranty_expired" for c in clauses)
    handed = case.return_shipped_at or case.received_at
    if case.kind != "repair" or case.status not in REPAIR_UNDER_WAY or not in_sanbao or handed is None:
        return None
    days = (beijing_now().date() - clock_date(handed)).days
    event = case.events.filter(kind="repair_delay").order_by("-at", "-id").first()
    cause = (event.data or {}).get("cause") if event is not None else None
    labels = {"parts": gettext("缺零配件"), "repairer": gettext("修理者自身原因")}
    return {"days": days, "cause": cause, "cause_label": labels.get(cause or "", ""),
            "limit": REPAIR_OVERDUE_DAYS.get(cause or "", min(REPAIR_OVERDUE_DAYS.values())),
            "overdue": sanbao_repair_overdue(days_in_repair=days, cause=cause)}


REFUND_KINDS = ("return_refund", "refund_only", "price_protect")


def _refunding_cases(line) -> QuerySet[Case]:
    """Cases on an order line whose money went back, or is to go back: ended in a refund, or still open as a
    refund kind. A case rejected, cancelled or ended in an exchange, repair or compensation refunded nothing."""
    return Case.objects.filter(order_line=line).filter(
        Q(status=CaseStatus.RESOLVED, resolution=Resolution.REFUND)
        | Q(status__in=OPEN_STATUSES, kind__in=REFUND_KINDS)).order_by("created_at", "pk")


def line_refunded(line, *, exclude=None) -> tuple[int, Decimal]:
    """What earlier after-sales on an order line already paid back, or are to: (units taken back, yuan). A
    price-protection refund takes money and no units; a claim without `return_quantity` was on every unit the
    line still had. `exclude`: a case not to count (the one being settled)."""
    cases = _refunding_cases(line)
    if exclude is not None:
        cases = cases.exclude(pk=exclude.pk)
    return refunded_fold(line.quantity, cases.values_list("kind", "claim", "refund_amount", "decision__gift_deduction",
                                                           "decision__shipping_deduction"))


def lines_refunded(lines, quantities: dict[int, int]) -> dict[int, tuple[int, Decimal]]:
    """`line_refunded` for many lines at once: `lines` an OrderLine queryset (a subquery, however many),
    `quantities` {line id: quantity} → {line id: (units, yuan)} for the lines some case refunded. One query."""
    rows: dict[int, list] = {}
    for line_id, kind, claim, amount, gifts, shipping in Case.objects.filter(order_line__in=lines.values("pk")).filter(
            Q(status=CaseStatus.RESOLVED, resolution=Resolution.REFUND)
            | Q(status__in=OPEN_STATUSES, kind__in=REFUND_KINDS)).order_by("created_at", "pk").values_list(
            "order_line_id", "kind", "claim", "refund_amount", "decision__gift_deduction",
            "decision__shipping_deduction"):
        rows.setdefault(line_id, []).append((kind, claim, amount, gifts, shipping))
    return {line_id: refunded_fold(quantities[line_id], found) for line_id, found in rows.items()
            if line_id in quantities}


def refunded_fold(quantity: int, cases) -> tuple[int, Decimal]:
    """(units, yuan) settled by `cases` ((kind, claim, refund_amount, gift_deduction[, shipping_deduction]) rows,
    oldest first) on a line of `quantity` units. The marked value of gifts kept (deducted from a refund, 办法12) and
    a free-shipping offer's fee the return made due (deducted too) count as settled: the units left do not get
    them back."""
    units, money = 0, Decimal("0")
    for kind, claim, amount, *deducted in cases:
        money += Decimal(amount or 0) + sum((_amount(value) for value in deducted), Decimal("0"))
        if kind != "price_protect":
            taken = (claim or {}).get("return_quantity")
            units += taken if isinstance(taken, int) and not isinstance(taken, bool) else quantity - units
    return min(units, quantity), money


def _amount(value) -> Decimal:
    try:
        amount = Decimal(str(value)) if value not in (None, "") else Decimal("0")
    except ArithmeticError:
        return Decimal("0")
    return amount if amount.is_finite() and amount > 0 else Decimal("0")


def line_refund_cases(line) -> list[str]:
    """The numbers of the cases that refunded (or are refunding) an order line, oldest first."""
    return list(_refunding_cases(line).values_list("number", flat=True))


def _reads_english() -> bool:
    return (get_language() or "").startswith("en")


def case_decision_text(case: Case) -> str:
    """The policy's decision on a case in the active language. The engine stores both texts (`explanation_zh`,
    `explanation_en`); a staff reader of English used to see the Chinese one. A decision without the reader's text —
    a recall (its reason is the supervisor's own words), a row from before both were kept — is said from its
    clauses (`policies.labels.clause_label`, translated), with a recall's reason as written."""
    from shouhou.policies.labels import clause_label

    decision = case.decision or {}
    zh, en = str(decision.get("explanation_zh") or ""), str(decision.get("explanation_en") or "")
    clauses = [str(c) for c in decision.get("clauses") or []]
    if "recall" in clauses:
        return gettext("召回：%(reason)s") % {"reason": zh} if zh else gettext("召回")
    own = en if _reads_english() else zh
    if own and _reads_english() and isinstance(decision.get("compensation"), dict):
        # the engine names its compensation suggestion in Chinese only (explanation_en is also the customer's
        # grounds, which must not show it): staff reading English are told it here
        own = f"{own} {_compensation_text(decision['compensation'])}"
    if own:
        return own
    labels = [clause_label(c) for c in clauses]
    return gettext("依据条款") + ": " + "; ".join(labels) if labels else (zh or en)


def _compensation_text(comp: dict) -> str:
    from shouhou.cases.choices import CompensationKind

    kind = str(comp.get("kind") or "")
    label = dict(CompensationKind.choices).get(kind, kind)
    unit = gettext("积分") if kind == "points" else gettext("元")
    text = gettext("建议补偿：%(kind)s %(amount)s %(unit)s") % {"kind": label, "amount": comp.get("amount"), "unit": unit}
    return text + (gettext("（超出客服权限，需主管审批）") if comp.get("needs_supervisor") else "")


def case_event_note(event, case: Case) -> str:
    """An event's note as staff read it, in the active language: the decision on the creation event, 三包12's flag of
    the daily sweep, and the fixed notes the system writes (「符合售后政策，系统自动通过」) are said in the reader's
    language; what a person typed stays as written."""
    from shouhou.cases.services import REPAIR_OVERDUE_EVENT, repair_overdue_note

    data = event.data or {}
    if event.kind == REPAIR_OVERDUE_EVENT and data.get("flag"):
        return repair_overdue_note(data)
    step = case_step_note(data)
    if step:
        return step
    if event.kind == "created" and event.note and (data.get("decision") or (
            not case.description and event.note == str((case.decision or {}).get("explanation_zh") or ""))):
        if not _reads_english():
            return event.note
        return str(data.get("explanation_en") or "") or case_decision_text(case)
    if event.actor_id is None and event.note:
        return gettext(event.note)  # a system note is a msgid; one not in the catalogue reads as stored
    return event.note


def case_step_note(data: dict) -> str:
    """A step the system wrote the note of (the parcel sent back, sent for inspection, the result, resolved), said in
    the active language from the codes kept in the event's `data["step"]`; "" for any other event. The stored note is
    the Chinese one (cases.services._stored)."""
    from shouhou.cases.choices import InspectionSite, Resolution
    from shouhou.cases.parcels import return_parcel_text

    step = data.get("step")
    if not step:
        return ""

    def label(choices, code) -> str:
        return str(choices(code).label) if code in choices.values else str(code or "")

    if step in ("return_shipped", "return_corrected"):
        after = data.get("after") or data
        parcel = return_parcel_text(after.get("return_carrier", after.get("carrier", "")) or "",
                                    after.get("return_tracking_no", after.get("tracking_no", "")) or "")
        if step == "return_corrected":
            return pgettext("售后记录", "寄回信息已更正：%(parcel)s") % {"parcel": parcel}
        if data.get("method") == "pickup":
            return (pgettext("售后记录", "快递员已上门取件：%(parcel)s") % {"parcel": parcel} if parcel
                    else pgettext("售后记录", "快递员已上门取件"))
        return pgettext("售后记录", "买家已寄回：%(parcel)s") % {"parcel": parcel}
    if step == "inspection_sent":
        return pgettext("售后记录", "已送%(site)s") % {"site": label(InspectionSite, data.get("site"))}
    if step == "inspection_result":
        return pgettext("售后记录", "检测结论：%(result)s") % {"result": label(Resolution, data.get("result"))}
    if step == "fulfilling":
        return pgettext("售后记录", "检测完成，安排%(result)s") % {"result": label(Resolution, data.get("result"))}
    if step == "resolved":
        return pgettext("售后记录", "已完结：%(resolution)s") % {"resolution": label(Resolution, data.get("resolution"))}
    if step in ("refiled_after_refusal", "platform_after_refusal"):
        if step == "refiled_after_refusal":
            text = pgettext("售后记录", "买家被拒后再次申请")
        elif data.get("resolution") == Resolution.REFUND:
            text = pgettext("售后记录", "商家拒绝后，平台（客服介入/仲裁）已退款 ¥%(amount)s") % {"amount": data.get("refund")}
        else:
            text = pgettext("售后记录", "商家拒绝后，平台（客服介入/仲裁）支持了买家的申请")
        platform_note = data.get("platform_note")
        return f"{text}（{platform_note}）" if platform_note else text
    if step == "platform_amount":
        if data.get("before"):
            return pgettext("售后记录", "平台申请退款金额 ¥%(amount)s（此前 ¥%(before)s，政策核定 ¥%(policy)s）") % {
                "amount": data.get("amount"), "before": data.get("before"), "policy": data.get("policy") or "—"}
        return pgettext("售后记录", "平台申请退款金额 ¥%(amount)s，政策核定 ¥%(policy)s") % {
            "amount": data.get("amount"), "policy": data.get("policy") or "—"}
    return ""


def case_statutory_damages(*, case: Case, basis: str, loss: Decimal = Decimal("0"), label_only: bool = False):
    """What 消法55 para. 1 (`basis="fraud"`) or 食品安全法148 para. 2 (`"food_safety"`) would add on this case, beside the
    refund and the loss: `policies.engine.statutory_damages` on the price paid for the units the case is about (the
    claim's `return_quantity`, else the whole line). A preview for staff, nothing written: the finding (fraud, unsafe
    food) is a person's or an authority's, and the payout is a supervisor's decision (not modelled yet). Raises
    `ClaimInputError` (located) on a bad basis or amount."""
    from shouhou.policies.engine import refund_share, statutory_damages

    line = case.order_line
    paid = Decimal(line.price_paid if line is not None else 0)
    quantity = max(int(line.quantity or 1), 1) if line is not None else 1
    units = (case.claim or {}).get("return_quantity")
    price = refund_share(paid, int(units), quantity) if isinstance(units, int) and 0 < units < quantity else paid
    return statutory_damages(basis=basis, price_paid=price, loss=loss, label_only=label_only)
