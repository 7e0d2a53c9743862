"""Act-back details for a platform's after-sale request (writes, role-checked like services.py):

- the platform's reject reasons, read through the adapter and cached per connection and request type;
- a rejection from the case page with the platform's reason code, the agent's words and evidence photos
  (uploaded to the platform's image API where it has one, else a note with the manual path);
- the return address per case: shouhou's ReturnAddress for the case mapped to the platform's address id,
  else the connection's default;
- the exchange's new parcel and the 补寄 parcel (carrier + tracking number) sent back and subscribed for tracking;
- arbitration evidence (words and case photos) where the platform publishes an API for it (抖店);
- more time to take in a return (抖店 afterSale/timeExtend) and a return, exchange or repair turned into a refund
  (抖店 operate 121/321/621);
- the authorisation redirect: a signed, expiring `state` naming the connection, the shop and the staff user,
  the platform's authorise page, and the callback that exchanges the code for tokens.
The network goes through the adapters (adapters/), via services._call (token refresh, re-authorisation)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets as pysecrets
from dataclasses import asdict

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse

from shouhou.accounts.actors import require_role
from shouhou.accounts.permissions import CASE_APPROVE, REFUND_APPROVE, SETTINGS_EDIT
from shouhou.cases import services as case_services
from shouhou.cases.choices import CaseKind, CaseStatus
from shouhou.cases.models import Case, CaseEvidence
from shouhou.commerce.choices import Carrier, ShipmentStatus, carrier_label
from shouhou.commerce.models import ReturnAddress, Shipment
from shouhou.core import clock
from shouhou.core.audit import audit_record
from shouhou.platforms import services
from shouhou.platforms.adapters import adapter_class, adapter_for
from shouhou.platforms.adapters.base import PlatformError
from shouhou.platforms.choices import ActionKind, ActionStatus, ConnectedPlatform
from shouhou.platforms.crypto import CredentialsUnreadable, seal, unseal
from shouhou.platforms.models import OutboundAction, PlatformAftersale, PlatformConnection

REASONS_TTL = dt.timedelta(hours=24)  # the platforms change their reason lists rarely
EVIDENCE_LINK_MAX_AGE = 7 * 86400  # seconds a signed evidence link works (the platform fetches it once)
AUTH_STATE_MAX_AGE = 30 * 60  # seconds between "connect by authorisation" and the callback
MAX_EVIDENCE = 6  # 快手 takes at most 6 images; the smallest limit of the three
EVIDENCE_SALT = "shouhou.platforms.evidence"
STATE_SALT = "shouhou.platforms.authorize"
SHIP_STATUSES = {CaseStatus.IN_TRANSIT_BACK, CaseStatus.RECEIVED, CaseStatus.INSPECTING, CaseStatus.FULFILLING}
RESEND_STATUSES = {CaseStatus.APPROVED, CaseStatus.FULFILLING}  # 补寄: the platform agreed, nothing back to wait for


class ActbackError(ValueError):
    """Refused input; the message is shown to the person as is."""


def _settings_update(conn: PlatformConnection, **changes) -> dict:
    """Merge keys into the connection's settings under a row lock (two pages saving at once lose nothing)."""
    with transaction.atomic():
        row = PlatformConnection.objects.select_for_update().get(pk=conn.pk)
        merged = {**(row.settings or {}), **changes}
        PlatformConnection.objects.filter(pk=conn.pk).update(settings=merged)
    conn.settings = merged
    return merged


# --- reject reasons -------------------------------------------------------------------------------------
def reject_reasons_for(link: PlatformAftersale, *, refresh: bool = False) -> list[dict]:
    """The platform's reject reasons for this kind of request: [{code, text, evidence_need, hint}], from the
    connection's cache when younger than REASONS_TTL, else read again. Unreadable: the cached list (maybe
    stale) or [] — the page then takes the agent's words alone."""
    conn = link.connection
    # per type and status: a platform may offer other reasons at another step (微信小店: an exchange's first review
    # is reject_scene 5, its refusal once the goods are back 6); until 2026-12-06 the key was the type alone
    key = f"{link.aftersale_type or '_'}/{link.status or '_'}"
    entry = ((conn.settings or {}).get("reject_reasons") or {}).get(key)
    if entry and not refresh:
        try:
            fresh = clock.now() - dt.datetime.fromisoformat(entry["at"]) < REASONS_TTL
        except (KeyError, TypeError, ValueError):
            fresh = False
        if fresh:
            return entry.get("items") or []
    try:
        reasons = services._call(conn, lambda a, token: a.reject_reasons(token, link.aftersale_id))
    except PlatformError as exc:
        services._error(conn, f"读取拒绝原因失败：{exc.message}")
        return (entry or {}).get("items") or []
    items = [asdict(r) for r in reasons]
    cached = dict((conn.settings or {}).get("reject_reasons") or {})
    cached[key] = {"at": clock.now().isoformat(), "items": items}
    _settings_update(conn, reject_reasons=cached)
    return items


def case_reject_on_platform(*, case: Case, actor, reason: str, reject_reason_code: str | int | None = None,
                            evidence_ids: list | None = None) -> Case:
    """Reject a case from its page: with a platform request behind it, the platform's reason code (checked
    against the platform's list) and the chosen evidence photos ride on the rejection, and the decision hook
    sends them (services.case_decided → outbox → evidence upload → the platform's reject API)."""
    require_role(actor, case.shop, CASE_APPROVE, case_id=case.pk)
    link = PlatformAftersale.objects.select_related("connection").filter(case=case).first()
    data: dict = {}
    ids: list[int] = []
    for raw in evidence_ids or []:
        try:
            ids.append(int(raw))
        except (TypeError, ValueError) as exc:
            raise ActbackError("凭证编号不正确。") from exc
        if not 0 < ids[-1] < 2**63:  # past a database integer: an OverflowError on SQLite
            raise ActbackError("凭证编号不正确。")
    if ids:
        if CaseEvidence.objects.filter(case=case, pk__in=ids).count() != len(set(ids)):
            raise ActbackError("所选凭证不属于该售后单。")
        if len(set(ids)) > MAX_EVIDENCE:
            raise ActbackError(f"最多附 {MAX_EVIDENCE} 张凭证图片。")
        data["evidence_ids"] = sorted(set(ids))
    if link is not None and reject_reason_code not in (None, ""):
        try:
            code = int(reject_reason_code)
        except (TypeError, ValueError) as exc:
            raise ActbackError("平台拒绝原因编号不正确。") from exc
        known = reject_reasons_for(link)
        match = next((r for r in known if r.get("code") == code), None)
        if known and match is None:
            raise ActbackError("所选拒绝原因不在平台提供的列表中，请刷新页面后重新选择。")
        if match and match.get("evidence_need") and not ids:
            hint = f"（{match['hint']}）" if match.get("hint") else ""
            raise ActbackError(f"平台要求拒绝原因「{match['text']}」附凭证图片{hint}：请先上传并勾选凭证。")
        data["reject_reason_code"] = code
        if match:
            data["reject_reason_text"] = match.get("text", "")
    return case_services.case_reject(case=case, actor=actor, reason=reason, data=data or None)


# --- evidence --------------------------------------------------------------------------------------------
def evidence_public_url(ev: CaseEvidence) -> str:
    """A signed link the platform can fetch the photo from (valid EVIDENCE_LINK_MAX_AGE; views.evidence_public)."""
    token = signing.dumps({"e": ev.pk, "c": ev.case_id}, salt=EVIDENCE_SALT, compress=True)
    return settings.SHOUHOU["PUBLIC_BASE_URL"].rstrip("/") + reverse("platforms:evidence", args=[token])


def evidence_from_token(token: str) -> CaseEvidence | None:
    try:
        data = signing.loads(token, salt=EVIDENCE_SALT, max_age=EVIDENCE_LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    return CaseEvidence.objects.filter(pk=data.get("e"), case_id=data.get("c")).first()


def evidence_upload(action: OutboundAction) -> list[str]:
    """Upload the rejection's (or the arbitration evidence's) photos to the platform (once; the URLs are kept on the action so a
    retry does not upload again). A platform whose reject API takes no images gets none, and the case says
    where to add them by hand. Raises PlatformError (the outbox retries)."""
    conn, link = action.connection, action.aftersale
    case = link.case
    evidence = list(CaseEvidence.objects.filter(case_id=link.case_id, pk__in=action.payload.get("evidence_ids") or [])
                    .order_by("pk")[:MAX_EVIDENCE])
    urls: list[str] = []
    # arbitration evidence may need another image API than a rejection (微信小店: media ids for 商家举证)
    uploader = "upload_arbitration_evidence" if action.kind == ActionKind.SUBMIT_EVIDENCE else "upload_evidence"
    for ev in evidence:
        name = f"{case.number if case else link.aftersale_id}-{ev.pk}.{ev.kind or 'jpg'}"
        url = services._call(conn, lambda a, token, ev=ev, name=name: getattr(a, uploader, a.upload_evidence)(
            token, public_url=evidence_public_url(ev), name=name))
        if url is None:
            urls = []
            if case is not None:
                manual = adapter_for(conn, secret="").manual_link(link.aftersale_id)
                case_services.case_platform_note(
                    case=case, actor=services.PLATFORM,
                    note=f"{conn.get_platform_display()}的拒绝接口不接收图片凭证：已发送拒绝原因与说明，"
                         f"{len(evidence)} 张凭证请在平台后台补充：{manual}",
                    data={"action_id": action.pk, "evidence_ids": [e.pk for e in evidence]})
            break
        urls.append(url)
    payload = {**action.payload, "evidence_urls": urls}
    OutboundAction.objects.filter(pk=action.pk).update(payload=payload)
    action.payload = payload
    return urls


# --- return address per case ------------------------------------------------------------------------------
def return_address_id_for(link: PlatformAftersale) -> str:
    """The platform address id sent with an approval: the case's return address (commerce's choice, the one
    the customer was told) mapped on the connection page, else the connection's default id, else "" (the
    platform's own default)."""
    conn_settings = link.connection.settings or {}
    mapping = conn_settings.get("address_map") or {}
    if link.case_id and mapping:
        from shouhou.commerce.selectors import return_address_for_case

        address = return_address_for_case(link.case)
        if address is not None and mapping.get(str(address.pk)):
            return str(mapping[str(address.pk)])
    return str(conn_settings.get("return_address_id") or "")


def address_map_save(*, conn: PlatformConnection, actor, mapping: dict) -> dict:
    """Save which platform address id each of the shop's return addresses is (blank: not mapped)."""
    require_role(actor, conn.shop, SETTINGS_EDIT)
    own = set(ReturnAddress.objects.filter(shop=conn.shop).values_list("pk", flat=True))
    clean: dict[str, str] = {}
    for key, value in mapping.items():
        if not str(key).isdigit() or int(key) not in own:
            raise ActbackError("退货地址不属于本店铺。")
        value = str(value or "").strip()
        if len(value) > 64 or (value and not value.replace("-", "").replace("_", "").isalnum()):
            raise ActbackError(f"平台地址ID「{value[:20]}」格式不正确。")
        if value:
            clean[str(int(key))] = value
    before = (conn.settings or {}).get("address_map") or {}
    _settings_update(conn, address_map=clean)
    audit_record(action="platforms.address_map", obj=conn, actor=actor, before={"address_map": before},
                 after={"address_map": clean})
    return clean


def platform_addresses_refresh(*, conn: PlatformConnection, actor) -> list[dict]:
    """Read the shop's address book on the platform (to choose the ids on the connection page)."""
    require_role(actor, conn.shop, SETTINGS_EDIT)
    try:
        found = services._call(conn, lambda a, token: a.addresses(token))
    except PlatformError as exc:
        services._error(conn, f"读取平台地址库失败：{exc.message}")
        raise ActbackError(f"读取平台地址库失败：{exc.message}") from exc
    items = [asdict(a) for a in found]
    _settings_update(conn, platform_addresses={"at": clock.now().isoformat(), "items": items})
    return items


def _platform_request(case: Case) -> PlatformAftersale:
    """The platform request behind a case, or the error an action without one gets."""
    link = PlatformAftersale.objects.select_related("connection").filter(case=case).first()
    if link is None:
        raise ActbackError("该售后单没有关联平台售后申请。")
    return link


# --- exchange: the new parcel; 补寄: the missing part ----------------------------------------------------------
def exchange_ship(*, case: Case, actor, carrier: str, tracking_no: str) -> OutboundAction:
    """The exchange's new parcel left the warehouse: record the shipment (subscribed for tracking like any
    other), note it on the case, and send carrier + number back to the platform through the outbox."""
    require_role(actor, case.shop, CASE_APPROVE, case_id=case.pk)
    link = _platform_request(case)
    if case.kind != CaseKind.EXCHANGE:
        raise ActbackError("只有换货售后单可以登记换货寄出。")
    if case.status not in SHIP_STATUSES:
        raise ActbackError(f"售后单当前状态为「{case.get_status_display()}」，买家退回商品后才能寄出换货。")
    return _ship(case=case, actor=actor, link=link, carrier=carrier, tracking_no=tracking_no,
                 kind=ActionKind.EXCHANGE_SHIP, words="换货新商品已寄出", note="换货寄出")


def resend_supported(link: PlatformAftersale) -> bool:
    return bool(getattr(adapter_class(link.connection.platform), "resend_shipping", False))


def resend_ship(*, case: Case, actor, carrier: str, tracking_no: str) -> OutboundAction:
    """补寄: the missing part left the warehouse after the platform agreed (case approved or fulfilling): record
    the shipment (tracked like any other), note it on the case and send carrier + number back through the outbox
    (抖店 afterSale/fillLogistics send_type=1). A platform without a 补寄 shipping API gets the back-office link."""
    require_role(actor, case.shop, CASE_APPROVE, case_id=case.pk)
    link = _platform_request(case)
    if case.kind != CaseKind.RESEND:
        raise ActbackError("只有补寄售后单可以登记补寄发货。")
    if not resend_supported(link):
        raise ActbackError(f"{link.connection.get_platform_display()}没有公开的补寄发货接口，请在平台后台登记："
                           f"{link.manual_url}")
    if case.status not in RESEND_STATUSES:
        raise ActbackError(f"售后单当前状态为「{case.get_status_display()}」，平台同意补寄后才能登记补寄发货。")
    return _ship(case=case, actor=actor, link=link, carrier=carrier, tracking_no=tracking_no,
                 kind=ActionKind.RESEND_SHIP, words="补寄商品已寄出", note="补寄发货")


def _ship(*, case: Case, actor, link: PlatformAftersale, carrier: str, tracking_no: str, kind: str, words: str,
          note: str) -> OutboundAction:
    carrier, tracking_no = (carrier or "").strip(), (tracking_no or "").strip()
    if carrier not in Carrier.values or carrier == Carrier.OTHER:
        raise ActbackError("请选择快递公司。")
    if not tracking_no or len(tracking_no) > 64 or not tracking_no.replace("-", "").isalnum():
        raise ActbackError("请填写正确的运单号。")
    from shouhou.logistics.subscriptions import subscriptions_enqueue

    with transaction.atomic():
        shipment, created = Shipment.objects.get_or_create(
            shop=case.shop, carrier=carrier, tracking_no=tracking_no,
            defaults={"order": case.order, "status": ShipmentStatus.INFO_RECEIVED, "shipped_at": clock.now()})
        if not created and shipment.order_id != case.order_id:
            raise ActbackError("该运单号已登记在另一个订单上。")
        subscriptions_enqueue(shop=case.shop, shipments=[shipment])
        case_services.case_platform_note(case=case, actor=actor, visible=True,
                                         note=f"{words}：{carrier_label(carrier)} {tracking_no}",
                                         data={"shipment_id": shipment.pk})
        return services.action_enqueue(link=link, kind=kind, note=note,
                                       payload={"carrier": carrier, "tracking_no": tracking_no,
                                                "shipment_id": shipment.pk})


# --- arbitration evidence ------------------------------------------------------------------------------------
def arbitration_evidence_limit(link: PlatformAftersale) -> int:
    """How many images the platform's arbitration-evidence API takes; 0: the platform publishes none."""
    return int(getattr(adapter_class(link.connection.platform), "arbitration_evidence", 0) or 0)


def evidence_submit(*, case: Case, actor, comment: str, evidence_ids: list | None = None) -> OutboundAction:
    """Send arbitration / negotiation evidence for the platform's request (the agent's words and chosen case
    photos, uploaded to the platform's image API) through the outbox. The same words and photos twice are sent
    once; other ones are sent again (the platform keeps each submission)."""
    require_role(actor, case.shop, CASE_APPROVE, case_id=case.pk)
    link = _platform_request(case)
    limit = arbitration_evidence_limit(link)
    if not limit:
        raise ActbackError(f"{link.connection.get_platform_display()}没有公开的仲裁凭证接口，请在平台后台提交凭证："
                           f"{link.manual_url}")
    comment = _words(comment, "凭证说明", required=True)
    ids: list[int] = []
    for raw in evidence_ids or []:
        try:
            ids.append(int(raw))
        except (TypeError, ValueError) as exc:
            raise ActbackError("凭证编号不正确。") from exc
    ids = sorted(set(ids))
    if ids and CaseEvidence.objects.filter(case=case, pk__in=ids).count() != len(ids):
        raise ActbackError("所选凭证不属于该售后单。")
    if len(ids) > limit:
        raise ActbackError(f"{link.connection.get_platform_display()}每次最多提交 {limit} 张凭证图片。")
    digest = hashlib.sha256(f"{comment}|{ids}".encode()).hexdigest()[:16]
    with transaction.atomic():
        case_services.case_platform_note(case=case, actor=actor,
                                         note=f"提交平台仲裁凭证：{comment}（{len(ids)} 张图片）",
                                         data={"evidence_ids": ids})
        return services.action_enqueue(link=link, kind=ActionKind.SUBMIT_EVIDENCE, note="提交仲裁凭证",
                                       payload={"reason": comment, "evidence_ids": ids}, key_extra=digest)


# --- more time, or a refund instead (抖店) ---------------------------------------------------------------------------
OPEN_STATUSES = frozenset(s for s in CaseStatus.values
                          if s not in (CaseStatus.RESOLVED, CaseStatus.REJECTED, CaseStatus.CANCELLED))


def time_extend_offered(link: PlatformAftersale) -> bool | None:
    """None: the platform publishes no time extension; False: not at the request's current platform status."""
    statuses = getattr(adapter_class(link.connection.platform), "time_extend_statuses", None)
    if not statuses:
        return None
    return link.status in statuses


def refund_instead_offered(link: PlatformAftersale) -> str | None:
    """The platform's words for turning this request into a refund (退货转退款…) when it may be done now, else None."""
    table = getattr(adapter_class(link.connection.platform), "refund_instead", None) or {}
    statuses, words = table.get(link.aftersale_type, ((), ""))
    return words if link.status in statuses else None


def _words(text: str | None, what: str, *, required: bool = False, limit: int = 200) -> str:
    """A note sent to the platform with an action: stripped, said plainly when missing or too long."""
    text = (text or "").strip()
    if required and not text:
        raise ActbackError(f"请填写{what}。")
    if len(text) > limit:
        raise ActbackError(f"{what}最多 {limit} 字。")
    return text


def _not_twice(link: PlatformAftersale, kind: str, what: str) -> None:
    """One such action per request version (the outbox's key): say so instead of queueing nothing silently."""
    same = OutboundAction.objects.filter(idempotency_key=services.action_key(link=link, kind=kind)).first()
    if same is None:
        return
    if same.status in (ActionStatus.REFUSED, ActionStatus.FAILED):
        raise ActbackError(f"平台未受理此前的「{what}」（{same.last_error or same.get_status_display()}），"
                           f"请在平台后台处理：{link.manual_url}")
    raise ActbackError(f"已向平台{what}（{same.get_status_display()}），平台状态变化前不会重复发送。")


def time_extend(*, case: Case, actor, note: str = "") -> OutboundAction:
    """Ask the platform for more time to take in the buyer's return (抖店 afterSale/timeExtend, 延长售后收货时限):
    through the outbox; the new deadline comes back with the request (read after the action; tag 209) and becomes
    the case's. Where the platform has no such API, or not at this status, the service says so."""
    require_role(actor, case.shop, CASE_APPROVE, case_id=case.pk)
    link = _platform_request(case)
    offered = time_extend_offered(link)
    if offered is None:
        raise ActbackError(f"{link.connection.get_platform_display()}没有公开的延长售后时限接口，请在平台后台处理："
                           f"{link.manual_url}")
    if case.status not in OPEN_STATUSES or not offered:
        raise ActbackError(f"平台售后状态为「{link.status_text or link.status}」：买家寄回商品、等待商家收货时才能"
                           "延长收货时限。")
    note = _words(note, "说明")
    _not_twice(link, ActionKind.TIME_EXTEND, "申请延长收货时限")
    with transaction.atomic():
        case_services.case_platform_note(
            case=case, actor=actor, note="申请延长平台收货时限" + (f"：{note}" if note else ""),
            data={"deadline_before": link.status_deadline.isoformat() if link.status_deadline else None})
        return services.action_enqueue(link=link, kind=ActionKind.TIME_EXTEND, note=note or "延长收货时限")


def refund_instead(*, case: Case, actor, note: str) -> OutboundAction:
    """Turn the platform's return, exchange or repair request into a refund (抖店 operate 121 退货转退款 / 321 换货转退款
    / 621 维修转退款) through the outbox: the platform refunds the buyer, and once it says so (12 售后成功) the case
    is resolved as a refund and the buyer told, as for any resolution. The agent's reason stays on the case."""
    require_role(actor, case.shop, CASE_APPROVE, case_id=case.pk)
    require_role(actor, case.shop, REFUND_APPROVE, case_id=case.pk)  # the buyer gets money back
    link = _platform_request(case)
    table = getattr(adapter_class(link.connection.platform), "refund_instead", None)
    if not table:
        raise ActbackError(f"{link.connection.get_platform_display()}没有公开的转退款接口，请在平台后台处理："
                           f"{link.manual_url}")
    if link.aftersale_type not in table:
        raise ActbackError("只有退货退款、换货或维修的平台售后单可以转为退款。")
    words = refund_instead_offered(link)
    if case.status not in OPEN_STATUSES or not words:
        raise ActbackError(f"售后单当前状态为「{case.get_status_display()}」，平台状态「{link.status_text or link.status}」，"
                           f"不能{table[link.aftersale_type][1]}。")
    note = _words(note, "转为退款的原因", required=True)
    _not_twice(link, ActionKind.REFUND_INSTEAD, f"申请{words}")
    with transaction.atomic():
        case_services.case_platform_note(case=case, actor=actor, note=f"向平台申请{words}：{note}",
                                         data={"platform_type": link.aftersale_type, "reason": note})
        return services.action_enqueue(link=link, kind=ActionKind.REFUND_INSTEAD, note=note,
                                       payload={"reason": note})


# --- authorisation redirect -------------------------------------------------------------------------------
def authorize_start(*, shop, actor, platform: str, redirect_uri: str, conn: PlatformConnection | None = None,
                    app_key: str = "", app_secret: str = "", platform_shop_id: str = "", api_base: str = "",
                    authorize_base: str = "", service_id: str = "", extra_secrets: dict | None = None) -> str:
    """Start "connect by authorisation": keep the app credentials on a connection (a new one waits, disabled,
    until the callback), sign a state naming it, the shop and the staff user, and return the platform's
    authorise page URL."""
    require_role(actor, shop, SETTINGS_EDIT)
    if platform not in ConnectedPlatform.values:
        raise ActbackError("未知的平台。")
    if conn is None:
        app_key, app_secret = app_key.strip(), app_secret.strip()
        if not app_key or not app_secret:
            raise ActbackError("请填写 App Key 与 App Secret。")
        extra = {k: v.strip() for k, v in (extra_secrets or {}).items() if v and v.strip()}
        try:
            api_base = services.api_base_checked(platform, api_base)
        except services.ConnectionError_ as exc:
            raise ActbackError(str(exc)) from None
        probe = PlatformConnection(shop=shop, platform=platform, app_key=app_key, api_base=api_base)
        try:  # a platform without merchant authorisation says so before anything is stored
            adapter_for(probe, secret=app_secret, extra=extra).authorize_url(
                state="-", redirect_uri=redirect_uri, service_id=service_id.strip(), base=authorize_base.strip())
        except PlatformError as exc:
            raise ActbackError(exc.message) from exc
        shop_id = platform_shop_id.strip() or f"{services.PENDING_SHOP_ID}{pysecrets.token_hex(6)}"
        with transaction.atomic():
            conn = PlatformConnection.objects.select_for_update().filter(platform=platform,
                                                                         platform_shop_id=shop_id).first()
            if conn is not None and conn.shop_id != shop.pk:
                raise ActbackError("该平台店铺已连接到另一个店铺。")
            kept = {}
            if conn is not None:
                try:
                    kept = unseal(conn.secrets)
                except CredentialsUnreadable:
                    kept = {}
            else:
                conn = PlatformConnection(shop=shop, platform=platform, platform_shop_id=shop_id, enabled=False,
                                          needs_reauth=True)
            conn.app_key, conn.api_base = app_key, api_base.strip()
            conn.secrets = seal({**kept, **extra, "app_secret": app_secret})
            conn.settings = {**(conn.settings or {}), "service_id": service_id.strip(),
                             "authorize_base": authorize_base.strip()}
            conn.save()
    elif conn.shop_id != shop.pk:
        raise ActbackError("该连接不属于本店铺。")
    conn_settings = conn.settings or {}
    nonce = pysecrets.token_hex(8)
    state = signing.dumps({"c": conn.pk, "s": shop.pk, "u": getattr(actor, "pk", None), "n": nonce}, salt=STATE_SALT)
    try:
        url = adapter_for(conn).authorize_url(state=state, redirect_uri=redirect_uri,
                                              service_id=str(conn_settings.get("service_id") or service_id or ""),
                                              base=str(conn_settings.get("authorize_base") or authorize_base or ""))
    except (PlatformError, CredentialsUnreadable) as exc:
        raise ActbackError(getattr(exc, "message", str(exc))) from exc
    audit_record(action="platforms.authorize_start", obj=conn, actor=actor, after={"platform": platform})
    return url


def authorize_complete(*, platform: str, code: str, state: str, actor) -> PlatformConnection:
    """The platform sent the merchant back: check the state (signature, age, same staff user, used once),
    exchange the code for tokens, store them encrypted and enable the connection (back-filled when new)."""
    try:
        data = signing.loads(state or "", salt=STATE_SALT, max_age=AUTH_STATE_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ActbackError("授权已超时（30 分钟内有效），请在平台对接页重新发起授权。") from exc
    except signing.BadSignature as exc:
        raise ActbackError("授权回调的 state 无效，未做任何更改。") from exc
    conn = (PlatformConnection.objects.select_related("shop")
            .filter(pk=data.get("c"), shop_id=data.get("s"), platform=platform).first())
    if conn is None:
        raise ActbackError("发起授权的平台连接已不存在，请重新发起授权。")
    if getattr(actor, "pk", None) != data.get("u"):
        raise ActbackError("请使用发起授权的账号完成授权。")
    require_role(actor, conn.shop, SETTINGS_EDIT)
    if not (code or "").strip():
        raise ActbackError("平台没有返回授权码（商家可能取消了授权），未做任何更改。")
    if not cache.add(f"platforms:authorize:{data.get('n')}", 1, timeout=AUTH_STATE_MAX_AGE):
        raise ActbackError("该授权回调已处理过，请勿重复提交。")
    try:
        secrets = unseal(conn.secrets)
        tokens = adapter_for(conn, secrets=secrets).create_token(code=code.strip(), shop_id="")
    except CredentialsUnreadable as exc:
        raise ActbackError(str(exc)) from exc
    except PlatformError as exc:
        services._error(conn, f"授权失败：{exc.message}")
        raise ActbackError(f"授权失败：{exc.message}") from exc
    shop_id = tokens.platform_shop_id or conn.platform_shop_id
    first_time = conn.last_sync_at is None
    with transaction.atomic():
        other = (PlatformConnection.objects.select_for_update().filter(platform=platform, platform_shop_id=shop_id)
                 .exclude(pk=conn.pk).first())
        if other is not None and other.shop_id != conn.shop_id:
            raise ActbackError("该平台店铺已连接到另一个店铺。")
        target = conn
        if other is not None:  # the shop was connected before: its connection takes the new tokens
            other.app_key, other.api_base, other.settings = conn.app_key, conn.api_base, {**(other.settings or {}),
                                                                                        **(conn.settings or {})}
            conn.delete()
            target = other
            first_time = other.last_sync_at is None
        target.platform_shop_id = shop_id
        target.secrets = seal({**secrets, "access_token": tokens.access_token,
                               "refresh_token": tokens.refresh_token or secrets.get("refresh_token", "")})
        target.token_expires_at, target.needs_reauth, target.enabled, target.last_error = \
            tokens.expires_at, False, True, ""
        target.save()
        audit_record(action="platforms.authorize", obj=target, actor=actor,
                     after={"platform": platform, "platform_shop_id": shop_id})
    if first_time:
        services.connection_sync(target, backfill=True)
    return target


def authorize_platforms() -> list[tuple[str, str]]:
    """Platforms whose merchants authorise on the platform's page (the others connect with app credentials)."""
    return [(value, label) for value, label in ConnectedPlatform.choices
            if getattr(adapter_class(value), "merchant_authorization", False)]
