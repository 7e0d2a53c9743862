"""Consumer access: order number + phone last 4, with a guessing limit per IP and per order number."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext

from shouhou.cases import services as case_services
from shouhou.cases.choices import ITEM_CONDITIONS, CaseKind, ClaimReason
from shouhou.cases.offers import needs_a_person_for_stated_facts
from shouhou.commerce.models import Order
from shouhou.core import links
from shouhou.core.clientip import ip_limit_key
from shouhou.core.counters import counter_give_back, counter_hit, counter_values
from shouhou.core.money import FEN, MAX_AMOUNT, TYPED_AMOUNT, MoneyError, positive_amount
from shouhou.core.ratelimit import cache_safe
from shouhou.policies.claims import WANTED_SPEC_MAX
from shouhou.policies.engine import ELECTRONIC
from shouhou.policies.selectors import policy_photo_reasons

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60
SALT = "shouhou.portal.case"


class TooManyAttempts(Exception):
    pass


class AmbiguousOrder(Exception):
    """The same order number and phone tail match orders of two shops: the customer must come through
    the shop's own link (/p/s/<shop code>/), so we never guess which customer they are."""


def _keys(ip: str, order_no: str) -> list[str]:
    # an IPv6 client is counted by its /64 (core.clientip.ip_limit_key), not by each of its addresses; an
    # order number as typed (any length, any script) is hashed unless short and plain
    return [f"portal:fail:ip:{ip_limit_key(ip)}", f"portal:fail:order:{cache_safe(order_no.upper())}"]


def _typed(text: str) -> str:
    """What a phone keyboard sends, read as meant: full-width digits, letters and spaces (「０４７４」, a Chinese
    input method's) made half-width (NFKC), surrounding spaces dropped."""
    return unicodedata.normalize("NFKC", text or "").strip()


def portal_order_lookup(*, order_no: str, last4: str, ip: str, shop=None,
                        raise_ambiguous: bool = False) -> Order | None:
    """The order when the pair matches; None for any mismatch (one neutral answer). Raises TooManyAttempts.
    When orders of two shops match (no `shop` given), the answer is None, or AmbiguousOrder with
    raise_ambiguous=True so the caller can point to the shop's own link."""
    # normalised before anything counts: the full-width and the half-width number are one order number
    order_no, last4 = _typed(order_no), _typed(last4)
    keys = _keys(ip, order_no)
    if max(counter_values(keys)) >= MAX_FAILURES:
        raise TooManyAttempts
    # The guess is counted before it is tried and given back if it was right: counted only after a miss,
    # requests sent at once all passed the check above before any of them counted (8 guesses, not 5, from
    # one burst at one web process; more with several). Each count is one atomic step that every process
    # and machine shares (core/counters.py: Redis, else the database), so the 6th of a burst sees 6.
    if max(_count(keys)) > MAX_FAILURES:
        _uncount(keys)
        raise TooManyAttempts
    order = None
    if order_no and len(last4) == 4 and last4.isascii() and last4.isdigit():
        qs = (Order.objects.filter(order_no=order_no)
              .filter(Q(customer__phone_last4=last4) | Q(receiver_phone__endswith=last4))
              .select_related("shop", "customer").order_by("pk"))
        if shop is not None:
            qs = qs.filter(shop=shop)
        found = list(qs[:2])
        if len(found) > 1 and raise_ambiguous:
            raise AmbiguousOrder
        order = found[0] if len(found) == 1 else None
    if order is not None:
        _uncount(keys)  # the right pair is not a failed guess
    return order


def _count(keys: list[str]) -> list[int]:
    return [counter_hit(k, expires_in=WINDOW_SECONDS) for k in keys]


def _uncount(keys: list[str]) -> None:
    for k in keys:
        counter_give_back(k)


def follow_token(case_id: int) -> str:
    """The customer's link to follow (and act on) one case: signed, expiring, revocable (core/links.py)."""
    return links.link_issue(payload={"c": case_id}, salt=SALT)


def follow_link(token: str):
    """(case, LinkState): the case only when the link still works. Links expire after
    SHOUHOU_LINK_MAX_AGE_DAYS, LINK_CLOSED_DAYS after the case was finished, and when staff revoke them."""
    from shouhou.cases.models import Case

    read = links.link_read(token, salt=SALT)
    if read.state != links.LinkState.OK:
        return None, read.state
    try:
        case_id = int(read.payload["c"])
    except (KeyError, TypeError, ValueError):
        return None, links.LinkState.INVALID
    case = Case.objects.select_related("order", "order_line", "shop", "customer").filter(pk=case_id).first()
    if case is None:
        return None, links.LinkState.INVALID
    if links.link_revoked(kind=links.Kind.CASE_FOLLOW, object_id=case.pk, issued_at=read.issued_at):
        return None, links.LinkState.REVOKED
    if case.resolved_at is not None and links.link_finished_long_ago(case.resolved_at):
        return None, links.LinkState.EXPIRED
    return case, links.LinkState.OK


def case_id_from_token(token: str) -> int | None:
    case, _state = follow_link(token)
    return case.pk if case is not None else None


# --- the claim form ---------------------------------------------------------------------------------

PRICE_FIELD = "现在的价格（元）"  # the form's label; errors name it (gettext at use)
# 三包: the clauses after which the form asks whether the fault is in a main part (the whole unit's warranty has
# passed; a main part's lasts longer)
MAIN_PART_CLAUSES = ("sanbao.warranty_expired", "sanbao.main_part_repair")


class ClaimFormError(ValueError):
    """A field of the claim form the customer must correct; `field` is the input's name."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


def portal_photo_reasons(*, shop) -> set[str]:
    """The problems that need a photo on /p/: those the shop's policy names, and price protection — its photo
    is the screenshot of the lower price, which a person checks before the difference is refunded."""
    return set(policy_photo_reasons(shop=shop)) | {ClaimReason.PRICE_DROP.value}


def portal_photo_refusal(*, shop, reason: str, has_photo: bool) -> str | None:
    """Why the claim cannot be submitted without a photo, or None."""
    if has_photo or reason not in portal_photo_reasons(shop=shop):
        return None
    if reason == ClaimReason.PRICE_DROP:
        return gettext("「降价（价保）」需要上传降价页面的截图（能看到现在的价格），客服核对后退差价。")
    return gettext("「%(reason)s」需要上传照片凭证，请拍下收到的商品或包装后再提交。") % {"reason": ClaimReason(reason).label}


def portal_claim_data(*, reason: str, form, final: bool, line=None) -> dict:
    """The claim facts from the self-service form. For price protection the price the customer sees now
    (「现在的价格（元）」): a positive amount exact to the fen, full-width digits and a ¥ or 元 read as meant;
    required when the claim is submitted (`final`), optional while the preview is only asked.
    For a `line` of several units, how many of them the claim is about (`return_quantity`, 1 … quantity; blank:
    all of them); price protection is for the whole line and asks none. `main_part` (三包, after the whole unit's
    warranty): "1" when the customer says the fault is in a main part. `activated` (an electronic device returned
    without a reason, portal_asks_activated): "1" activated, "0" not — required when the claim is submitted.
    `condition` (the item's state) only for a no-reason return, required when submitted; `wanted_spec` (the size
    or colour wanted) for an exchange, required for a wrong size's exchange when submitted.
    Raises ClaimFormError naming the field."""
    data = {"washed": form.get("washed") == "1", "confirmed_exclusion_at_purchase": form.get("confirmed") == "1"}
    if reason in NO_REASON_REASONS:
        # the item's state decides a no-reason return (办法 art. 8–9): the customer says it, nothing is pre-chosen
        # (「未拆封」 was, for every claim); other problems do not depend on it and are not asked it
        condition = str(form.get("condition") or "").strip()
        if condition and condition not in dict(ITEM_CONDITIONS):
            raise ClaimFormError(gettext("请选择商品状态。"), field="condition")
        if not condition and final:
            raise ClaimFormError(gettext("请选择商品状态（未拆封、已拆封未使用、已使用……）。"), field="condition")
        data["condition"] = condition or "unopened"  # the preview before a choice: what an intact item would get
    wanted = " ".join(str(form.get("wanted_spec") or "").split())
    if form.get("kind") == CaseKind.EXCHANGE:
        # an exchange for another size or colour says which; a defect's exchange is the same item by default
        if len(wanted) > WANTED_SPEC_MAX:
            raise ClaimFormError(gettext("想换的尺码或颜色最多 %(most)s 个字。") % {"most": WANTED_SPEC_MAX},
                                 field="wanted_spec")
        if not wanted and final and reason == ClaimReason.SIZE_FIT:
            raise ClaimFormError(gettext("请填写想换的尺码或颜色。"), field="wanted_spec")
        if wanted:
            data["wanted_spec"] = wanted
    if reason == ClaimReason.PRICE_DROP:
        typed = _typed(str(form.get("current_price") or "")[:32])
        typed = typed.removeprefix("¥").removesuffix("元").strip()
        if typed or final:
            data["current_price"] = str(portal_current_price(typed))
        return data
    if line is not None and portal_asks_activated(line=line, reason=reason):
        activated = str(form.get("activated") or "").strip()
        if activated not in ("0", "1") and (final or activated):
            raise ClaimFormError(gettext("请选择商品是否激活过。"), field="activated")
        if activated == "1":
            data["activated"] = True
    quantity = portal_units_left(line) if line is not None else 1
    if quantity > 1:
        data["return_quantity"] = portal_return_quantity(form.get("return_quantity"), quantity=quantity)
    main_part = str(form.get("main_part") or "").strip()
    if main_part not in ("", "0", "1"):
        raise ClaimFormError(gettext("请选择故障是否在主要部件上。"), field="main_part")
    if main_part == "1":
        data["main_part"] = True
    return data


def portal_current_price(typed: str) -> Decimal:
    """The price the customer sees now, as typed (already half-width, without ¥ or 元): a positive amount exact to
    the fen. Each refusal is a whole sentence in the reader's language — core.money's are Chinese and quote the
    value as Python writes it (「Price now (yuan)必须是数字…收到 'abc'」 on an English page). Raises ClaimFormError."""
    def refuse(message: str) -> ClaimFormError:
        return ClaimFormError(message, field="current_price")

    text = typed.replace(",", "").strip()
    if not text:
        raise refuse(gettext("请填写现在的价格（元）。"))
    if not TYPED_AMOUNT.fullmatch(text):
        raise refuse(gettext("现在的价格（元）请填写数字，例如 179.00。"))
    amount = Decimal(text)
    if amount <= 0:
        raise refuse(gettext("现在的价格（元）必须大于 0。"))
    if amount > MAX_AMOUNT:
        raise refuse(gettext("现在的价格（元）过大，请核对后重新填写。"))
    if amount != amount.quantize(FEN):
        raise refuse(gettext("现在的价格（元）最多两位小数（精确到分）。"))
    try:  # the one rule for a typed amount (what passed above passes it)
        return positive_amount(amount, field=gettext(PRICE_FIELD))
    except MoneyError as exc:
        raise refuse(str(exc)) from None


NO_REASON_REASONS = (ClaimReason.NO_REASON.value, ClaimReason.SIZE_FIT.value)  # the engine's no-reason path


def portal_asks_activation(line) -> bool:
    """Whether activation can matter for this line: an electronic device (办法 art. 9 (2): activated, it is no
    longer intact for a no-reason return; the engine's ELECTRONIC categories)."""
    return (line.category or "") in ELECTRONIC


def portal_asks_activated(*, line, reason: str) -> bool:
    """Whether the form asks if the item was activated (claim fact `activated`): an electronic device returned
    without a reason. A quality or 三包 claim does not depend on it, so it is not asked there."""
    return reason in NO_REASON_REASONS and portal_asks_activation(line)


def portal_lines_in_progress(order: Order) -> dict[int, str]:
    """{line id: case number} for the lines of `order` with an open after-sales case (not a compensation): a new
    claim on them is refused (cases.services.case_create), so the form says where to follow them instead."""
    from shouhou.cases.choices import OPEN_STATUSES, CaseKind
    from shouhou.cases.models import Case

    rows = (Case.objects.filter(order=order, status__in=OPEN_STATUSES).exclude(kind=CaseKind.COMPENSATION)
            .order_by("created_at").values_list("order_line_id", "number"))
    return {line_id: number for line_id, number in rows if line_id is not None}


def portal_units_left(line) -> int:
    """The units of an order line a customer can still claim: its quantity less what earlier cases refunded or
    are refunding (cases.selectors.line_refunded); the form offers no more than these."""
    from shouhou.cases.selectors import line_refunded

    return max(int(line.quantity or 1) - line_refunded(line)[0], 0)


def portal_return_quantity(raw, *, quantity: int) -> int:
    """How many of the line's `quantity` units the claim is about, as typed: blank means all of them; full-width
    digits (「２」) read as meant; anything but a whole number from 1 to `quantity` is a ClaimFormError."""
    typed = _typed(str(raw or "")[:16]).removesuffix("件").strip()
    if not typed:
        return quantity
    if not (typed.isascii() and typed.isdigit()) or not 1 <= int(typed) <= quantity:
        raise ClaimFormError(gettext("申请件数请填写 1 到 %(quantity)s 之间的整数（这件商品可申请 %(quantity)s 件）。")
                             % {"quantity": quantity}, field="return_quantity")
    return int(typed)


def portal_asks_main_part(d: dict) -> bool:
    """Whether the form asks if the fault is in a main part: 三包 goods (the policy's `sanbao.categories`) with a
    performance fault after the whole unit's warranty, as the decision says."""
    return any(c in MAIN_PART_CLAUSES for c in d.get("clauses") or [])


def portal_claim_preview(*, order: Order, line, reason: str, form, has_photo: bool) -> tuple[dict, dict]:
    """(decision JSON, claim data): the decision the customer's claim would get, as the customer will get it — a
    claim whose facts the customer states (price protection) is not approved automatically, so the preview does
    not say it is — and the facts it was decided on. Raises ClaimFormError or CaseError."""
    data = portal_claim_data(reason=reason, form=form, final=False, line=line)
    d = case_services.case_preview(shop=order.shop, order_line=line, reason=reason, claim_data=data,
                                   has_photo=has_photo).to_json()
    if needs_a_person_for_stated_facts(reason=reason, from_customer=True):
        d["auto_approved"] = False
    return d, data


# --- photos ----------------------------------------------------------------------------------------------

def portal_photo_problem(upload) -> str | None:
    """Why a photo the customer sent cannot be kept, in the reader's language, or None: core.uploads.check_image's
    checks (size, then the content), whose messages are Chinese whatever the page's language — an English reader
    who sent a PDF read 「文件不是支持的图片格式…」. check_image still runs when the photo is stored."""
    from shouhou.core.uploads import MAX_IMAGE_BYTES, sniff_image

    if upload is None:
        return gettext("请选择一张照片。")
    size = getattr(upload, "size", 0) or 0
    if size == 0:
        return gettext("照片是空文件，请重新拍摄或选择。")
    if size > MAX_IMAGE_BYTES:
        return gettext("照片太大（%(mb)s MB），请上传不超过 %(most)s MB 的照片。") % {
            "mb": f"{size / 1024 / 1024:.1f}", "most": MAX_IMAGE_BYTES // 1024 // 1024}
    upload.seek(0)
    head = upload.read(32)
    upload.seek(0)
    if sniff_image(head) is None:
        return gettext("文件不是支持的图片格式，请上传 JPG、PNG、WebP 或 GIF 照片。")
    return None
