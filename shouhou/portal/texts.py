"""What the customer reads about a decision, for the remedy they chose.

Built from the decision's structured facts (allowed, recommended, refund_amount, shipping_payer, deadlines,
refund_within_days, clauses), not from the engine's explanation as a whole: that text speaks of every remedy
at once (「无需寄回」 beside 「收到退回商品后7日内退款」) and is kept as it is for the staff pages. Of it the
customer reads only the grounds — the sentences saying why — without those about one remedy (the offer, the
postage, the refund timing, a suggested compensation, the review state), which are said here for the
remedy chosen. Pure: no database."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import get_language, gettext, gettext_lazy, npgettext

from shouhou.cases.choices import CaseKind, ClaimReason, ShippingPayer
from shouhou.cases.selectors import units_text
from shouhou.policies.document import REFUND_WITHIN_DAYS, STATUTORY_MERCHANT_REASONS
from shouhou.policies.engine import KIND_ZH, SANBAO_RETURN_INSTEAD

REFUND_KINDS = ("return_refund", "refund_only", "price_protect")  # money goes back to the customer
GOODS_BACK = ("return_refund", "exchange", "repair")  # the goods are sent back (cases.services.RETURN_KINDS)
REVIEW_CLAUSES = ("manual_review", "delivery.unknown")  # nothing granted yet: a person decides, nothing refused

# Sentences of engine.decide()'s explanation that speak of one remedy (see the module's docstring). Keep in
# step with the engine; tests/test_texts.py reads real decisions.
# (the free-shipping deduction is one: remedy_text says it beside the refund, for a return and refund only)
_ONE_REMEDY = ("可为您办理：", "寄回运费：", "商家收到退回商品后", "建议补偿：", "已自动通过", "客服将尽快审核",
               "已审核同意", "退货后订单不再满足包邮条件")
_ONLY_FOR = {"赠品未一并退回": ("return_refund",), "该商品可预约上门维修": ("repair",)}


def _kind(kind: str) -> str:
    """A remedy in the reader's language (CaseKind's labels are translated; the engine's KIND_ZH is not)."""
    return str(CaseKind(kind).label) if kind in CaseKind.values else KIND_ZH.get(kind, kind)


kind_label = _kind  # the pages' name for it


def _payer(who: str) -> str:
    return str(ShippingPayer(who).label) if who in ShippingPayer.values else who


def customer_options(d: dict) -> list[str]:
    """The remedies the customer may choose: what the policy allows, then what they may ask a person for (三包: a
    return instead of the exchange due), but never compensation (the shop's to offer)."""
    return [k for k in dict.fromkeys([*(d.get("allowed") or []), *(d.get("on_request") or [])])
            if k in KIND_ZH and k != "compensation"]


def _on_request(d: dict, kind: str | None) -> bool:
    return kind is not None and kind in (d.get("on_request") or [])


def chosen_kind(d: dict, wanted: str | None) -> str | None:
    """The customer's choice when the policy allows it; else the recommended remedy; else the first they may choose."""
    options = customer_options(d)
    if wanted in options:
        return wanted
    if d.get("recommended") in options:
        return d["recommended"]
    return options[0] if options else None


def payer(d: dict, kind: str | None, reason: str) -> str:
    """Who pays for sending the goods back under `kind` ("" when nothing goes back). The engine decides the payer
    for its recommended remedy; the other remedies that send goods back share it, except when the recommended
    one sends nothing back (transit damage: resend): then a return is the merchant's on a merchant's-fault reason."""
    if kind not in GOODS_BACK:
        return ""
    decided = d.get("shipping_payer") or "none"
    if decided != "none":
        return decided
    return "merchant" if reason in STATUTORY_MERCHANT_REASONS else ""


def _without_refunds(sentence: str) -> str:
    """The sentence without its parts that speak of a refund (「运输破损，由商家补寄或退款。」 → 「运输破损。」), for a
    remedy that refunds nothing. Parts are cut at ，/； outside brackets; nothing left, nothing said."""
    end = "。" if sentence.endswith("。") else ""
    parts = re.split(r"([，；])(?![^（]*）)", sentence.removesuffix("。"))
    kept = ""
    for i in range(0, len(parts), 2):
        if "退款" in parts[i] or "退差" in parts[i]:
            continue
        kept += (parts[i - 1] if kept and i else "") + parts[i]
    return kept + end if kept else ""


def grounds(d: dict, kind: str | None) -> str:
    """The engine's reasons for its decision, without the sentences about one remedy, and for a remedy that
    refunds nothing without a word of refunds — in the reader's language: the engine's English explanation for a
    reader of English (the stored Chinese one read 「符合七日无理由退货…」 on an English page); amounts as ¥12.50."""
    if not _reads_chinese():
        return _yuan_marks(_grounds_en(d, kind))
    kept = []
    for sentence in re.findall(r"[^。]+。?", str(d.get("explanation_zh") or "")):
        if sentence.startswith(_ONE_REMEDY):
            continue
        only = next((kinds for start, kinds in _ONLY_FOR.items() if sentence.startswith(start)), None)
        if only is not None and kind not in only:
            continue
        kept.append(sentence if kind in REFUND_KINDS or not kind else _without_refunds(sentence))
    return _yuan_marks("".join(kept))


def _money(value) -> str:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return ""
    return f"¥{amount:.2f}" if amount > 0 else ""


def refused(d: dict) -> bool:
    """Nothing granted and nothing left for a person to find out: the policy says no."""
    return not d.get("allowed") and not any(c in REVIEW_CLAUSES for c in d.get("clauses") or [])


def remedy_text(d: dict, kind: str | None, reason: str, *, refund_amount=None) -> dict:
    """What the chosen remedy means: money back only for a refund (refund_amount: the case's stored amount, else the
    decision's), postage and a send-by date only when the goods go back, the refund timing only for a return, and a
    free-shipping fee deducted from a return and refund (`deduction`)."""
    money = _money(d.get("refund_amount") if refund_amount is None else refund_amount) if kind in REFUND_KINDS else ""
    who = payer(d, kind, reason)
    by = (d.get("deadlines") or {}).get("return_ship_by", "") if kind in GOODS_BACK else ""
    days = d.get("refund_within_days") or REFUND_WITHIN_DAYS
    return {
        "refund": money,
        # a return instead of the 三包 exchange (三包13) may be charged depreciation: at most this (a 消法24 quality
        # return on request is refunded in full)
        "refund_label": "" if not money else gettext("退差价") if kind == "price_protect"
        else gettext("最多退款（已使用的可能扣除折旧费）")
        if _on_request(d, kind) and SANBAO_RETURN_INSTEAD in (d.get("clauses") or []) else gettext("退款金额"),
        "shipping": _payer(who) if who else "",
        "by": by,
        # the last minute of that day, Beijing time, as the case's deadline_at: 「12-14 前」 read as 「by the 13th」
        "by_text": gettext("请在 %(date)s 23:59（北京时间）前寄回") % {"date": by} if by else "",
        "refund_when": gettext("商家收到退回商品后%(days)s日内退款。") % {"days": days}
        if kind == "return_refund" else "",
        "explanation": grounds(d, kind),
        "deduction": deduction_text(d, kind),
    }


def deduction_text(d: dict, kind: str | None) -> str:
    """The free-shipping fee taken off a return and refund (the decision's `shipping_deduction`: the return takes
    the order below the shop's free-shipping threshold), said before the customer files; "" otherwise — never for
    an exchange, which refunds nothing, nor for a quality or merchant-fault return (the engine deducts none)."""
    amount = _money(d.get("shipping_deduction")) if kind == "return_refund" else ""
    if not amount:
        return ""
    return gettext("退货后订单不满包邮门槛，将扣除运费 %(amount)s，上面的退款金额已扣除。") % {"amount": amount}


def headline(d: dict, kind: str | None) -> str:
    if _on_request(d, kind):  # the customer may ask; a person decides (it read as granted)
        return gettext("您申请的办理方式：%(kind)s（待客服审核）") % {"kind": _kind(kind)}
    if kind is not None and kind in customer_options(d):
        return gettext("可为您办理：%(kind)s") % {"kind": _kind(kind)}
    if kind in KIND_ZH and kind != "compensation":  # a remedy staff filed outside the policy's list
        return gettext("您申请的办理方式：%(kind)s") % {"kind": _kind(kind)}
    if "compensation" in (d.get("allowed") or []):
        return gettext("客服将为您安排补偿。")
    if refused(d):
        return gettext("很抱歉，按店铺的售后政策，这个申请无法办理。")
    return gettext("这个申请需要客服人工核实后答复。")


def review_text(d: dict, kind: str | None) -> str:
    """What happens once submitted."""
    if kind is not None and kind in customer_options(d) and d.get("auto_approved") and not _on_request(d, kind):
        return gettext("提交后自动通过，无需等待审核。")
    if refused(d) and "compensation" not in (d.get("allowed") or []):
        # the shop still has a person look at it (the case opens a ticket): say so, and that it may stay a no
        return gettext("如您认为判断有误，仍可提交，由客服人工复核；复核后也可能维持这一结果。")
    return gettext("客服将尽快审核。")


def _yuan(value) -> Decimal | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount.quantize(Decimal("0.01")) if amount.is_finite() else None


def price_sum(*, paid_total, quantity: int, current_price) -> dict:
    """Price protection in figures: the price stated now, and the difference claimed — what was paid for the line
    minus the current price × the quantity, as the engine computes it (`OrderLine.price_paid` is the line total).
    {} without a price. `difference` is "" when there is none."""
    current, paid = _yuan(current_price), _yuan(paid_total)
    if current is None or paid is None:
        return {}
    quantity = max(int(quantity or 1), 1)
    at_now = (current * quantity).quantize(Decimal("0.01"))
    diff = paid - at_now
    values = {"paid": f"¥{paid:.2f}", "current": f"¥{current:.2f}", "qty": quantity, "now": f"¥{at_now:.2f}",
              "diff": f"¥{max(diff, Decimal('0')):.2f}"}
    if quantity == 1:
        text = gettext("您实付 %(paid)s，现价 %(current)s，差价 %(diff)s") % values
    else:
        text = gettext("您实付 %(paid)s，现价 %(current)s × %(qty)s 件 = %(now)s，差价 %(diff)s") % values
    return {"current": values["current"], "difference": values["diff"] if diff > 0 else "", "sum": text}


def price_text(d: dict, *, paid_total, quantity: int, current_price) -> dict:
    """What the claim form says about price protection, plainly: ask for the price until one is typed; then the
    difference × quantity as the refund, or that there is none, or that the window has passed (the engine checks
    the window first, so that is said even before a price is typed). The review: a person checks the screenshot."""
    until = (d.get("deadlines") or {}).get("price_protect_until", "")
    clauses = d.get("clauses") or []
    granted = "price_protect" in (d.get("allowed") or [])
    figures = price_sum(paid_total=paid_total, quantity=quantity, current_price=current_price)
    out = {"price_sum": figures.get("sum", "") if granted or "price_protection.no_difference" in clauses else ""}
    if not granted and "price_protection.window" in clauses:
        out.update(what=gettext("已过价保期（%(date)s 前降价才可申请），无法退差价。") % {"date": until}
                   if until else gettext("已过价保期，无法退差价。"), price_sum="")
    elif not figures:
        # the engine, given no price, finds no difference: nothing to say about it before one is typed
        out.update(what=gettext("请填写现在的价格（元），即可算出可退的差价。"), review="", explanation="",
                   submit=gettext("提交申请"))
    elif not granted:
        out["what"] = gettext("按您填写的现价 %(current)s，没有差价可退：现价不低于您的购买价。") % figures
    else:
        out["review"] = gettext("提交后客服会核对您上传的降价截图，确认后退还差价。")
    return out


def share_text(units, quantity) -> str:
    """A partial claim on a line of several units: 「退 2/3 件」 ("" for the whole line or one unit)."""
    try:
        partial = int(units) < int(quantity or 1)
    except (TypeError, ValueError):
        return ""
    return units_text(units, quantity) if partial else ""


def claim_text(d: dict, wanted: str | None, reason: str, *, price: dict | None = None,
               units: tuple[int, int] | None = None, ask_main_part: bool = False) -> dict:
    """The claim form's preview: the remedies to choose from (the recommended one first chosen) and, for the
    chosen one, what the customer gets and has to do. `price` (price protection): the line's `paid_total` and
    `quantity` and the `current_price` typed, if any (see price_text). `units`: (units claimed, the line's
    quantity) — the refund shown is already that share (the engine's), and `share` says so beside it.
    `ask_main_part`: the form asks whether the fault is in a main part (三包, after the unit's warranty)."""
    kind = chosen_kind(d, wanted)
    recommended = d.get("recommended")
    options = [{"value": k, "label": _kind(k) + (gettext("（推荐）") if k == recommended else "")
                + (gettext("（需客服审核）") if _on_request(d, k) else ""),
                "recommended": k == recommended} for k in customer_options(d)]
    text = {
        **remedy_text(d, kind, reason),
        "kind": kind or "",
        "options": options,
        "what": gettext("请选择办理方式：") if options else headline(d, kind),
        "review": review_text(d, kind),
        "auto": bool(kind and d.get("auto_approved") and not _on_request(d, kind)),
        "submit": gettext("仍要提交，请客服复核") if refused(d) and not options and "compensation" not in (
            d.get("allowed") or []) else gettext("提交申请"),
        "price_sum": "",
        "ask_main_part": bool(ask_main_part),
    }
    text["share"] = share_text(*units) if units and text["refund"] else ""
    if reason == "price_drop" and price is not None:
        text.update(price_text(d, **price))
    return text


# --- in the reader's language -------------------------------------------------------------------------------

def _reads_chinese() -> bool:
    return (get_language() or "zh-hans").lower().startswith("zh")


# The engine's English explanation (Decision.explanation_en), sentence by sentence: those about one remedy are
# said by remedy_text for the remedy chosen, as with the Chinese openings above. Keep in step with the engine.
_ONE_REMEDY_EN = ("Available:", "Return shipping:", "Refunded within", "Approved automatically.",
                  "An agent will review it shortly.", "Approved.",
                  "The return takes the order below its free-shipping threshold")
_ONLY_FOR_EN = {"Gifts not returned": ("return_refund",), "On-site repair": ("repair",)}
# a remedy that refunds nothing: the refund left out of the engine's list of remedies (「return and refund,
# exchange or repair」 → 「exchange or repair」); a sentence still about a refund is not said
_REFUND_WORDS_EN = (("return and refund, ", ""), ("return and refund or ", ""), (", return and refund", ""),
                    ("refund or ", ""), (" or refund", ""), (", refund only", ""), (", refund", ""))


def _english_sentences(text: str) -> list[str]:
    """The engine joins its English sentences with a space; 「(CRPL art. 24)」 and 「12.50 yuan」 are not ends."""
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", text.strip()) if s]


def _without_refunds_en(sentence: str) -> str:
    for words, instead in _REFUND_WORDS_EN:
        sentence = sentence.replace(words, instead)
    return "" if re.search(r"\brefund", sentence, re.I) else sentence


def _grounds_en(d: dict, kind: str | None) -> str:
    kept = []
    for sentence in _english_sentences(str(d.get("explanation_en") or "")):
        if sentence.startswith(_ONE_REMEDY_EN):
            continue
        only = next((kinds for start, kinds in _ONLY_FOR_EN.items() if sentence.startswith(start)), None)
        if only is not None and kind not in only:
            continue
        sentence = sentence if kind in REFUND_KINDS or not kind else _without_refunds_en(sentence)
        if sentence:
            kept.append(sentence)
    return " ".join(kept)


def _yuan_marks(text: str) -> str:
    """Amounts the engine writes as 「12.50 元」 / 「12.50 yuan」, as the pages show money: ¥12.50."""
    def sign(m: re.Match) -> str:
        return _money(m.group(1)) or m.group(0)

    return re.sub(r"(\d+(?:\.\d+)?) ?(?:元|yuan\b)", sign, text)


# --- the timeline ------------------------------------------------------------------------------------------
# The cases app stores each event's note in Chinese as it writes it. The notes it writes itself are said here
# from the event's codes (its kind and status) in the reader's language; a note a person typed (a progress
# update, the reason for a refusal) is shown as written. Keep in step with cases.services.

_SYSTEM_NOTES = {
    "符合售后政策，系统自动通过": gettext_lazy("符合售后政策，系统自动通过"),
    "请按约定方式寄回商品": gettext_lazy("请按约定方式寄回商品"),
    "请按约定方式寄回商品，运费由商家承担": gettext_lazy("请按约定方式寄回商品，运费由商家承担"),
    "客服审核通过": gettext_lazy("客服审核通过"),
    "申请已撤销": gettext_lazy("申请已撤销"),
    "顾客撤销了申请": gettext_lazy("申请已撤销"),
    "仓库已收到退回商品": gettext_lazy("仓库已收到退回商品"),
    "快递员已上门取件": gettext_lazy("快递员已上门取件"),
    "补偿已发放": gettext_lazy("补偿已发放"),
    "同意补偿": gettext_lazy("同意补偿"),
    "主管已批准": gettext_lazy("主管已批准"),
    "检测未发现质量问题": gettext_lazy("检测未发现质量问题"),
    "补充了照片凭证": gettext_lazy("补充了照片凭证"),
    "顾客补充了照片": gettext_lazy("补充了照片凭证"),
    "已申请上门取件，客服将联系您约定取件时间和地址；快递员取件后进度会更新为「退货运输中」":
        gettext_lazy("已申请上门取件，客服将联系您约定取件时间和地址；快递员取件后进度会更新为「退货运输中」"),
}
# notes with a part from the case: (pattern, the sentence, what the part is)
_SYSTEM_PATTERNS = (
    (re.compile(r"^买家已寄回：(?P<x>.+)$"), gettext_lazy("买家已寄回：%(x)s"), "parcel"),
    (re.compile(r"^快递员已上门取件：(?P<x>.+)$"), gettext_lazy("快递员已上门取件：%(x)s"), "parcel"),
    (re.compile(r"^寄回信息已更正：(?P<x>.+)$"), gettext_lazy("寄回信息已更正：%(x)s"), "parcel"),
    (re.compile(r"^已送(?P<x>.+)$"), gettext_lazy("已送%(x)s"), "site"),
    (re.compile(r"^检测结论：(?P<x>.+)$"), gettext_lazy("检测结论：%(x)s"), "resolution"),
    (re.compile(r"^检测完成，安排(?P<x>.+)$"), gettext_lazy("检测完成，安排%(x)s"), "resolution"),
    (re.compile(r"^已完结：(?P<x>.+)$"), gettext_lazy("已完结：%(x)s"), "resolution"),
    # the compensation: its kind and amount from the event's data (「红包 ¥10.00」, 「积分 100」), not the bare number
    (re.compile(r"^已发放补偿 (?P<x>[\d.]+)$"), gettext_lazy("已发放补偿 %(x)s"), "compensation"),
    (re.compile(r"^主管批准补偿 (?P<x>[\d.]+)$"), gettext_lazy("主管批准补偿 %(x)s"), "compensation"),
    # the staff's approval limit is the shop's own business: the customer reads that a supervisor approves it
    (re.compile(r"^补偿 .*超出客服审批额度 .* 元，待主管审批$"), gettext_lazy("补偿待主管审批"), ""),
)


def _labels_by_name(choices) -> dict[str, str]:
    """{label in any of the site's languages, or code: the code} of a TextChoices. The cases app writes a label into
    its note in the language of whoever acts (「已送Warehouse inspection」 when the staff member reads English): read
    back whichever it is, the step is said in the reader's language, not half in each."""
    from django.conf import settings
    from django.utils import translation

    named: dict[str, str] = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            named.update({str(label): value for value, label in choices.choices})
    return {**named, **{value: value for value in choices.values}}


def _compensation(data: dict, amount: str) -> str | None:
    """A compensation as the customer reads it: its kind and the amount, money as ¥10.00, points as a count."""
    from shouhou.cases.choices import CompensationKind

    kind = (data or {}).get("kind")
    if kind == CompensationKind.POINTS:  # 「1 point」, 「200 points」
        try:
            count = int(Decimal(str(amount)))
        except (InvalidOperation, ValueError, OverflowError):
            count = 0
        return npgettext("补偿", "%(n)s 积分", "%(n)s 积分", count) % {"n": amount}
    money = _money(amount)
    if not money:
        return None
    return f"{CompensationKind(kind).label} {money}" if kind in CompensationKind.values else money


def _part(what: str, text: str, data: dict | None = None) -> str | None:
    """The part of a system note in the reader's language (None: not a part the cases app writes)."""
    from shouhou.cases.choices import InspectionSite, Resolution
    from shouhou.commerce.choices import Carrier

    if what == "compensation":
        return _compensation(data or {}, text)
    if what == "parcel":  # 「顺丰速运 SF1234567890」: the carrier's name translated, the number as it is
        name, _, number = text.rpartition(" ")
        code = _labels_by_name(Carrier).get(name)
        if code is not None:
            return f"{Carrier(code).label} {number}"
        return text if not name else f"{name} {number}"
    kinds = {"site": InspectionSite, "resolution": Resolution}
    code = _labels_by_name(kinds[what]).get(text)
    return str(kinds[what](code).label) if code is not None else None


def timeline_entry(event) -> str:
    """One line of the customer's timeline, in the reader's language where the cases app wrote it; a person's own
    words as they wrote them (for a reader of another language after the step they belong to: 「Rejected：…」)."""
    from shouhou.cases.choices import CaseStatus

    note = (event.note or "").strip()
    step = str(CaseStatus(event.to_status).label) if event.to_status in CaseStatus.values else event.to_status
    if event.kind == "created":
        return gettext("提交了售后申请")
    if event.kind != "progress":
        if not note:
            return step
        if note in _SYSTEM_NOTES:
            return str(_SYSTEM_NOTES[note])
        for pattern, sentence, what in _SYSTEM_PATTERNS:
            m = pattern.match(note)
            if m is None:
                continue
            if not what:
                return str(sentence)
            part = _part(what, m.group("x"), getattr(event, "data", None))
            if part is not None:
                return str(sentence) % {"x": part}
        if not _reads_chinese() and event.kind == "transition" and event.to_status != event.from_status:
            return gettext("%(step)s：%(note)s") % {"step": step, "note": note}
    return note


# --- the order's parcels (order page) ---------------------------------------------------------------------------
# Where the parcel is, in the customer's words (the staff's ShipmentStatus labels say 「已揽件信息」 for a printed
# waybill and 「异常」 for a carrier's problem parcel, neither a customer's phrase).
_PARCEL_STATES = {
    "pending": gettext_lazy("待发货"),
    "info_received": gettext_lazy("已下单，等待快递揽收"),
    "picked_up": gettext_lazy("已揽收"),
    "in_transit": gettext_lazy("运输中"),
    "out_for_delivery": gettext_lazy("派送中"),
    "delivery_failed": gettext_lazy("派送失败"),
    "signed": gettext_lazy("已签收"),
    "returned": gettext_lazy("已退回"),
    "exception": gettext_lazy("快递异常"),
}

# What went wrong with a parcel the logistics rules flagged (logistics.models.ExceptionKind), said to its buyer.
_PARCEL_PROBLEMS = {
    "no_movement": gettext_lazy("包裹长时间没有新的物流信息。"),
    "delivery_failed": gettext_lazy("快递派送没有成功。"),
    "returned": gettext_lazy("包裹正在退回商家。"),
    "out_for_delivery_too_long": gettext_lazy("包裹派送时间过长，还没有送到。"),
    "dispatch_late": gettext_lazy("包裹超过承诺的发货时间还没有发出。"),
    "carrier_exception": gettext_lazy("快递把包裹标记为异常件。"),
    "tracking_stopped": gettext_lazy("快递公司暂时查不到这个单号的物流信息。"),
}


def parcel_state(status: str) -> str:
    """A parcel's normalised status (commerce.ShipmentStatus) in the reader's language."""
    return str(_PARCEL_STATES.get(status, _PARCEL_STATES["in_transit"]))


def parcel_no_news(status: str) -> str:
    """What a parcel with no tracking step on record says: one not collected yet will show them once it is; one on
    its way, signed for or sent back was collected long ago (an imported order): only its steps are not on record."""
    if status in ("pending", "info_received"):
        return gettext("暂时还没有物流信息，快递揽收后会显示在这里。")
    return gettext("暂无详细的物流记录。")


def parcel_problem(kind: str) -> str:
    """What the open logistics exception of a parcel means for its buyer, followed by: the shop knows."""
    told = gettext("商家已收到提醒，正在跟进。")
    if kind not in _PARCEL_PROBLEMS:
        return told
    return f"{_PARCEL_PROBLEMS[kind]}{'' if _reads_chinese() else ' '}{told}"


def shown_kind(case) -> str:
    """What the customer's pages call the case: its remedy, or — for a claim the policy granted nothing, which the
    cases app files as 补偿 until a person decides (case_create) — the problem they reported: 「补偿 · 待审核」 read
    as if compensation had been offered."""
    if case.kind == CaseKind.COMPENSATION and CaseKind.COMPENSATION not in ((case.decision or {}).get("allowed") or []) \
            and case.reason in ClaimReason.values:
        return str(ClaimReason(case.reason).label)
    return kind_label(case.kind)
