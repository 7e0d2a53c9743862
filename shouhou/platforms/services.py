"""Platform connector writes: connect a shop, take pushes into the inbox, apply them to cases, pull and
reconcile, send actions back through the outbox, keep tokens fresh.

Every network call goes through the connection's adapter (adapters/); this module knows cases and the
outbox, the adapter knows the platform."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext

from shouhou.accounts.actors import SystemActor, require_role
from shouhou.accounts.permissions import SETTINGS_EDIT
from shouhou.cases import services as case_services
from shouhou.cases.choices import CaseKind, CaseStatus, Resolution
from shouhou.cases.models import Case, CaseEvent
from shouhou.commerce.models import Order, OrderLine
from shouhou.core import clock
from shouhou.core.audit import audit_record
from shouhou.platforms.adapters import adapter_class, adapter_for, doudian, kuaishou, wechat_shop, youzan
from shouhou.platforms.adapters.base import Action, Aftersale, PlatformError, PushRefused
from shouhou.platforms.choices import ActionKind, ActionStatus, EventStatus
from shouhou.platforms.crypto import CredentialsUnreadable, seal, unseal
from shouhou.platforms.models import OutboundAction, PlatformAftersale, PlatformConnection, PlatformEvent

log = logging.getLogger("shouhou.platforms")
PLATFORM = SystemActor("platforms")  # who acts when a platform's push, pull or answer changes a case

REFRESH_MARGIN = dt.timedelta(hours=12)  # refresh a token this long before it expires
BACKFILL_DAYS = 30  # on connect, read the requests changed in this many days
RECONCILE_OVERLAP = 10 * 60  # seconds read again on each reconciliation (late index updates)
MAX_ATTEMPTS = 8
LAST_PUSH_GRANULARITY = dt.timedelta(seconds=60)
WAKE_SECONDS = 2  # a queued "apply the inbox" task's mark lasts at most this long if the task is lost (_wake)
APPLY_BATCH = 200
RETRY_BATCH = 500  # messages taken by one events_retry pass (the next pass, a minute later, takes the rest)
APPLY_LEASE = dt.timedelta(minutes=5)  # a claimed message whose worker never finished is taken again after this
PENDING_EVENT_STATUSES = (EventStatus.RECEIVED, EventStatus.WAITING_ORDER, EventStatus.RETRY)
MAX_EVENT_ATTEMPTS = 10  # a message the platform keeps refusing to explain (or that cannot become a case)
BACKOFF_BASE = 30  # seconds; doubled each attempt, at most BACKOFF_MAX
BACKOFF_MAX = 3600


class ConnectionError_(ValueError):
    """A connection that cannot be made; the message is shown as is."""


def _async(func: str, *args) -> None:
    """Queue a task after commit, as the other apps do (django-q2; sync in tests)."""
    from django_q.tasks import async_task

    sync = bool(settings.Q_CLUSTER.get("sync", False))
    transaction.on_commit(lambda: async_task(func, *args, sync=sync))


def _error(conn: PlatformConnection, message: str) -> None:
    PlatformConnection.objects.filter(pk=conn.pk).update(last_error=message[:500], last_error_at=clock.now())
    conn.last_error = message[:500]


# --- connect and tokens -----------------------------------------------------------------------------
OFFICIAL_API_BASES = {"doudian": doudian.GATEWAY, "kuaishou": kuaishou.GATEWAY, "wechat_shop": wechat_shop.API_BASE,
                      "youzan": youzan.API_BASE}


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


def api_base_checked(platform: str, api_base: str) -> str:
    """The API address a connection may use: empty (the platform's official gateway), the official gateway
    itself, or one the operator listed in SHOUHOU_PLATFORM_API_BASES. Anything else is refused before a
    request is sent: the server would otherwise post credentials to any address a shop admin types, an
    internal one included, and show what it answered."""
    base = (api_base or "").strip()
    if not base:
        return ""
    try:
        scheme, host, port = _origin(base)
    except ValueError:
        raise ConnectionError_("接口地址格式不正确。") from None
    official = OFFICIAL_API_BASES.get(platform)
    if official and (scheme, host) == _origin(official)[:2] and port in (None, 443):
        return base
    for allowed in settings.SHOUHOU.get("PLATFORM_API_BASES", []):
        a_scheme, a_host, a_port = _origin(allowed)
        if (scheme, host) == (a_scheme, a_host) and (a_port is None or a_port == port):
            return base
    raise ConnectionError_(f"接口地址只能留空（使用平台官方网关 {official or ''}）；测试网关或沙箱的地址须由运维登记在 "
                           "SHOUHOU_PLATFORM_API_BASES 中。")


def connection_connect(*, shop, actor, platform: str, app_key: str, app_secret: str, platform_shop_id: str = "",
                       code: str = "", api_base: str = "", backfill: bool = True,
                       extra_secrets: dict | None = None) -> PlatformConnection:
    """Authorise a shop: exchange the code (service-market app) or the shop id (self-built app) for tokens,
    store them encrypted, then back-fill recent after-sale requests."""
    require_role(actor, shop, SETTINGS_EDIT)
    app_key, app_secret = app_key.strip(), app_secret.strip()
    if not app_key or not app_secret:
        raise ConnectionError_("请填写 App Key 与 App Secret。")
    if not code and not platform_shop_id.strip():
        raise ConnectionError_("自用型应用请填写平台店铺ID；服务市场应用请先完成授权取得 code。")
    api_base = api_base_checked(platform, api_base)
    conn = PlatformConnection(shop=shop, platform=platform, app_key=app_key, api_base=api_base.strip(),
                              platform_shop_id=platform_shop_id.strip())
    extra = {k: v.strip() for k, v in (extra_secrets or {}).items() if v and v.strip()}
    adapter = adapter_for(conn, secret=app_secret, extra=extra)
    try:
        tokens = adapter.create_token(code=code.strip(), shop_id=platform_shop_id.strip())
    except PlatformError as exc:
        raise ConnectionError_(f"授权失败：{exc.message}") from exc
    shop_id = tokens.platform_shop_id or platform_shop_id.strip()
    with transaction.atomic():
        existing = PlatformConnection.objects.select_for_update().filter(platform=platform,
                                                                         platform_shop_id=shop_id).first()
        if existing is not None and existing.shop_id != shop.pk:
            raise ConnectionError_("该平台店铺已连接到另一个店铺。")
        conn = existing or conn
        conn.platform_shop_id, conn.app_key, conn.api_base = shop_id, app_key, api_base.strip()
        conn.secrets = seal({**extra, "app_secret": app_secret, "access_token": tokens.access_token,
                             "refresh_token": tokens.refresh_token})
        conn.token_expires_at, conn.needs_reauth, conn.enabled = tokens.expires_at, False, True
        conn.last_error = ""
        conn.save()
        audit_record(action="platforms.connect", obj=conn, actor=actor,
                     after={"platform": platform, "platform_shop_id": shop_id})
    if backfill:
        connection_sync(conn, backfill=True)
        from shouhou.platforms.orders import orders_sync

        orders_sync(conn, backfill=True)  # the last ORDER_BACKFILL_DAYS of orders (platforms/orders.py)
    return conn


@transaction.atomic
def connection_settings(*, conn: PlatformConnection, actor, push_auto_decisions: bool,
                        auto_refund_limit: Decimal, return_address_id: str = "",
                        decrypt_buyer: bool | None = None, inspect_returns: bool | None = None) -> PlatformConnection:
    """`decrypt_buyer` (None: unchanged): buyer data decrypted on a staff reveal (platforms/decrypt.py), only on
    a platform that publishes a decrypt API; turn it on only when the shop's app holds that permission.
    `inspect_returns` (None: unchanged): the shop inspects returned goods before refunding, so 确认收货 is held
    until the inspection decides (held_confirms_settle); off, 确认收货 goes back at once."""
    from shouhou.platforms.decrypt import SETTING, platform_decrypts

    require_role(actor, conn.shop, SETTINGS_EDIT)
    if auto_refund_limit < 0:
        raise ConnectionError_("自动回传金额上限不能为负数。")
    if decrypt_buyer and not platform_decrypts(conn.platform):
        raise ConnectionError_(f"{conn.get_platform_display()}没有可用的买家信息解密接口，无法开启解密。")
    was_decrypting = bool((conn.settings or {}).get(SETTING))
    before = {"push_auto_decisions": conn.push_auto_decisions, "auto_refund_limit": str(conn.auto_refund_limit),
              SETTING: was_decrypting}
    conn.push_auto_decisions, conn.auto_refund_limit = push_auto_decisions, auto_refund_limit
    decrypting = was_decrypting if decrypt_buyer is None else bool(decrypt_buyer)
    inspecting = inspects_returns(conn) if inspect_returns is None else bool(inspect_returns)
    before[INSPECT_RETURNS] = inspects_returns(conn)
    conn.settings = {**(conn.settings or {}), "return_address_id": return_address_id.strip(), SETTING: decrypting,
                     INSPECT_RETURNS: inspecting}
    conn.save(update_fields=["push_auto_decisions", "auto_refund_limit", "settings", "updated_at"])
    audit_record(action="platforms.settings", obj=conn, actor=actor, before=before,
                 after={"push_auto_decisions": push_auto_decisions, "auto_refund_limit": str(auto_refund_limit),
                        SETTING: decrypting, INSPECT_RETURNS: inspecting})
    return conn


INSPECT_RETURNS = "inspect_returns"  # connection setting: returned goods are inspected before the platform refunds


def inspects_returns(conn: PlatformConnection) -> bool:
    return bool((conn.settings or {}).get(INSPECT_RETURNS))


def _secrets(conn: PlatformConnection) -> dict:
    return unseal(conn.secrets)


def _stored_tokens(conn: PlatformConnection) -> tuple[dict, PlatformConnection] | None:
    """The connection's tokens as stored now (another worker may have renewed them since `conn` was read)."""
    try:
        fresh = PlatformConnection.objects.get(pk=conn.pk)
        return _secrets(fresh), fresh
    except (PlatformConnection.DoesNotExist, CredentialsUnreadable):
        return None


def _adopt(conn: PlatformConnection, fresh: PlatformConnection) -> None:
    conn.secrets, conn.token_expires_at, conn.needs_reauth = fresh.secrets, fresh.token_expires_at, fresh.needs_reauth


def token_refresh(conn: PlatformConnection, *, used_access_token: str | None = None) -> bool:
    """Refresh the access token. A refusal marks the connection "needs re-authorisation"; nothing else is
    touched (pushes are still stored, actions wait).

    Several workers share a connection (the outbox, the push task, the order sync), each with the row as it read
    it, and the platforms rotate the refresh token (快手, 抖店: the old one dies once used). So the stored tokens are
    read again first: when the access token the platform refused (`used_access_token`) has already been replaced by
    another worker, that one is taken instead of refreshing again; and a refusal of the refresh is checked against
    the stored refresh token before the connection is marked — until 2026-12-07 a worker holding the old row renewed
    with the spent refresh token, was refused, and marked a healthy connection 需重新授权."""
    stored = _stored_tokens(conn)
    if stored is not None and used_access_token is not None and not stored[1].needs_reauth \
            and stored[0].get("access_token") and stored[0].get("access_token") != used_access_token:
        _adopt(conn, stored[1])
        return True
    try:
        secrets = stored[0] if stored is not None else _secrets(conn)
        tokens = adapter_for(conn, secrets=secrets).refresh_token(secrets.get("refresh_token", ""))
    except CredentialsUnreadable as exc:
        PlatformConnection.objects.filter(pk=conn.pk).update(needs_reauth=True)
        conn.needs_reauth = True
        _error(conn, str(exc))
        return False
    except PlatformError as exc:
        if exc.retryable and exc.kind != "token_expired":
            _error(conn, f"刷新令牌失败（稍后重试）：{exc.message}")
            return False
        again = _stored_tokens(conn)
        if again is not None and stored is not None and not again[1].needs_reauth \
                and again[0].get("refresh_token") != stored[0].get("refresh_token"):
            _adopt(conn, again[1])  # another worker renewed meanwhile: its tokens stand
            return True
        PlatformConnection.objects.filter(pk=conn.pk).update(needs_reauth=True)
        conn.needs_reauth = True
        _error(conn, f"令牌无法刷新，需要商家重新授权：{exc.message}")
        return False
    secrets.update(access_token=tokens.access_token, refresh_token=tokens.refresh_token or secrets["refresh_token"])
    conn.secrets, conn.token_expires_at, conn.needs_reauth = seal(secrets), tokens.expires_at, False
    PlatformConnection.objects.filter(pk=conn.pk).update(secrets=conn.secrets, token_expires_at=tokens.expires_at,
                                                         needs_reauth=False)
    return True


def _call(conn: PlatformConnection, fn):
    """Run fn(adapter, access_token); refresh the token first when it is close to expiry, and once more if
    the platform says it expired. Raises PlatformError."""
    if conn.needs_reauth:
        raise PlatformError("token_expired", "店铺授权已失效，需要重新授权")
    if conn.token_expires_at is None or conn.token_expires_at - clock.now() < _refresh_margin(conn.platform):
        if not token_refresh(conn) and conn.needs_reauth:
            raise PlatformError("token_expired", "店铺授权已失效，需要重新授权")
    secrets = _secrets(conn)
    adapter = adapter_for(conn, secrets=secrets)
    try:
        return fn(adapter, secrets.get("access_token", ""))
    except PlatformError as exc:
        if exc.kind != "token_expired":
            raise
        if not token_refresh(conn, used_access_token=secrets.get("access_token", "")):
            raise PlatformError("token_expired", f"店铺授权已失效，需要重新授权（{exc.message}）",
                                answer=exc.answer) from exc
    secrets = _secrets(conn)
    return fn(adapter_for(conn, secrets=secrets), secrets.get("access_token", ""))


def _refresh_margin(platform: str) -> dt.timedelta:
    """An adapter may ask for a shorter margin (微信小店's token lives two hours, not days)."""
    return getattr(adapter_class(platform), "refresh_margin", REFRESH_MARGIN)


def tokens_refresh_due() -> int:
    """Refresh every token that expires within REFRESH_MARGIN (schedule)."""
    done = 0
    for conn in PlatformConnection.objects.filter(enabled=True, needs_reauth=False,
                                                  token_expires_at__lt=clock.now() + REFRESH_MARGIN):
        if conn.token_expires_at - clock.now() < _refresh_margin(conn.platform):
            done += token_refresh(conn)
    return done


# --- pushes (the inbox) -----------------------------------------------------------------------------
@dataclass
class PushResult:
    status: int
    answer: dict
    stored: int = 0
    duplicates: int = 0


def push_receive(*, platform: str, headers: dict, body: bytes, url_app_key: str | None = None) -> PushResult:
    """Take one push exactly as the platform sends it. Refused (nothing stored) unless it is signed by a
    connected app; otherwise every message is kept once by its message id and answered as the platform
    expects; the work happens in a task (events_apply_pending).

    `url_app_key`: the app named in the push URL (`/platforms/<platform>/push/<app_key>/`, one URL per app saved in
    the platform's console). Only that app's connections are tried, so a platform that names its app only inside
    the encrypted or signed body (快手, 微信小店) costs one attempt instead of one per connected app; a push from
    another app on that URL is refused. Without it (the plain URL) every connected app of the platform is tried."""
    cls = adapter_class(platform)
    app_key = cls.push_app_key(headers)
    candidates = PlatformConnection.objects.filter(platform=platform).order_by("pk")
    if url_app_key is not None:
        candidates = candidates.filter(app_key=url_app_key)
    if app_key is not None:
        candidates = candidates.filter(app_key=app_key) if app_key else candidates.none()
    by_app: dict[str, list[PlatformConnection]] = {}
    for candidate in candidates:
        by_app.setdefault(candidate.app_key, []).append(candidate)
    conns, messages, refused = [], [], "unknown app"
    for group in by_app.values():  # one app almost always; 快手 names it only inside the encrypted body
        try:
            adapter = adapter_for(group[0])
            adapter.verify_push(headers, body)
            messages = adapter.parse_push(body)
        except (PushRefused, CredentialsUnreadable) as exc:
            refused = str(exc)
            continue
        conns = group
        break
    if not conns:
        log.warning("platform push refused (%s): %s", platform, refused)
        code, answer = cls.refusal(refused)
        return PushResult(code, answer)
    by_shop = {c.platform_shop_id: c for c in conns}
    stored = duplicates = 0
    wake: set[int] = set()
    touched: set[int] = set()
    now = clock.now()
    with transaction.atomic():
        for msg in messages:
            conn = _push_connection(by_shop, conns, msg.platform_shop_id,
                                    app_is_shop=getattr(cls, "push_app_is_shop", False))
            if conn is not None:
                touched.add(conn.pk)
            if msg.handshake:
                continue
            status = EventStatus.RECEIVED if msg.known else EventStatus.IGNORED
            try:
                with transaction.atomic():
                    PlatformEvent.objects.create(
                        platform=platform, message_id=msg.message_id, connection=conn, tag=msg.tag,
                        aftersale_id=msg.aftersale_id, order_id=msg.order_id, payload=msg.data, status=status)
            except IntegrityError:
                duplicates += 1
                continue
            stored += 1
            if not msg.known:
                log.info("platform push: message type %s not handled (%s), acknowledged", msg.tag, msg.message_id)
            elif conn is not None and conn.enabled:
                # a disabled connection's pushes are stored and acknowledged (the platform stops retrying) but not
                # applied: re-enabled, events_retry applies what arrived meanwhile
                wake.add(conn.pk)
        for conn_id in wake:
            _wake(conn_id)
        # health, not a log: written at most every LAST_PUSH_GRANULARITY (a burst of pushes costs no writes); only the
        # connections a message was filed under (another shop's push says nothing of this one's health)
        PlatformConnection.objects.filter(pk__in=touched).filter(
            Q(last_push_at__isnull=True) | Q(last_push_at__lt=now - LAST_PUSH_GRANULARITY)).update(last_push_at=now)
    code, answer = adapter.push_answer(True)
    return PushResult(code, answer, stored=stored, duplicates=duplicates)


PENDING_SHOP_ID = "pending-"  # actback.authorize_start's placeholder until the platform names the shop


def _shop_id_known(conn: PlatformConnection) -> bool:
    return bool(conn.platform_shop_id) and not conn.platform_shop_id.startswith(PENDING_SHOP_ID)


def _push_connection(by_shop: dict[str, PlatformConnection], conns: list[PlatformConnection], shop_id: str, *,
                     app_is_shop: bool = False) -> PlatformConnection | None:
    """The connection a verified message is filed under: the one of the shop it names (抖店 shop_id, 快手 userId,
    有赞 kdt_id, 微信小店 ToUserName). The app's only connection takes a message that names no shop, or when that
    connection does not know its own platform shop id (a 快手 connection authorised without the seller id), or when
    the app is the shop (`app_is_shop`: 微信小店, whose pushes open only with the shop's own AppID). A message naming
    another shop — one more shop that authorised the same service-market app (抖店, 快手, 有赞 工具型) — is filed under
    no connection and never applied: until 2026-12-08 it went to the only connection, whose token then read another
    shop's request and whose page showed the errors."""
    if shop_id in by_shop:
        return by_shop[shop_id]
    if len(conns) != 1:
        return None
    only = conns[0]
    return only if not shop_id or app_is_shop or not _shop_id_known(only) else None


def _wake_key(conn_id: int) -> str:
    return f"platforms:wake:{conn_id}"


def _wake(conn_id: int) -> None:
    """Queue one task that applies the connection's new messages. While a queued task has not started, more
    pushes queue nothing (it will read their messages: each enqueue costs a queue write); the task releases
    the mark as it starts (`wake_release`), so a push arriving while it runs queues the next one and is
    applied within seconds, not by the every-minute retry (`events_retry`). WAKE_SECONDS only bounds a mark
    whose task was lost."""
    from django.core.cache import cache

    if settings.Q_CLUSTER.get("sync", False) or cache.add(_wake_key(conn_id), 1, timeout=WAKE_SECONDS):
        _async("shouhou.platforms.tasks.events_apply_task", conn_id)


def wake_release(conn_id: int) -> None:
    """Called by the task before it reads the connection's messages (see `_wake`)."""
    from django.core.cache import cache

    cache.delete(_wake_key(conn_id))


def events_apply_pending(connection_id: int) -> int:
    """Apply the connection's received messages in arrival order, a batch at a time."""
    applied = 0
    while True:
        ids = list(PlatformEvent.objects.filter(connection_id=connection_id, status=EventStatus.RECEIVED)
                   .order_by("pk").values_list("pk", flat=True)[:APPLY_BATCH])
        for pk in ids:
            applied += event_apply(pk) == EventStatus.APPLIED
        if len(ids) < APPLY_BATCH:
            return applied


def event_apply(event_id: int) -> str:
    """Apply one stored message: read the request's detail from the platform and bring its case up to date.
    Kept for later when the order is not known yet or the platform cannot be read."""
    # Claim it first, counting the attempt in the same statement: the wake task and the every-minute retry may
    # both pick the same message, and only one may read the platform and apply it (a worker that died mid-way
    # leaves its claim, taken again after APPLY_LEASE).
    at = clock.now()
    claimed = (PlatformEvent.objects.filter(pk=event_id, connection__isnull=False, connection__enabled=True)
               .filter(Q(status__in=PENDING_EVENT_STATUSES) | Q(status=EventStatus.APPLYING, updated_at__lt=at - APPLY_LEASE))
               .update(status=EventStatus.APPLYING, attempts=F("attempts") + 1, updated_at=at))
    event = PlatformEvent.objects.select_related("connection", "connection__shop").get(pk=event_id)
    if not claimed:
        return event.status  # done, ignored, without a connection or a disabled one, or another worker has it now
    conn = event.connection
    try:
        return _event_apply_claimed(conn, event)
    except Exception as exc:  # noqa: BLE001 — an adapter or a rule tripping over an unexpected payload
        return _event_crashed(conn, event, exc)


def _event_crashed(conn: PlatformConnection, event: PlatformEvent, exc: Exception) -> str:
    """An error that is not the platform's answer (a KeyError / TypeError / ValueError on a payload no one
    expected): logged with its traceback, said on the connection page with the message id, and the message is
    retried with the back-off like an outage, then marked failed after MAX_EVENT_ATTEMPTS. Before 2026-12-07 the
    exception left the message claimed (处理中) until the lease ended, then it was taken again for ever, silently."""
    log.exception("platform message %s:%s (after-sale %s, order %s) could not be applied", conn.platform,
                  event.message_id, event.aftersale_id, event.order_id)
    subject = f"售后单 {event.aftersale_id}" if event.aftersale_id else f"订单 {event.order_id}"
    message = f"平台消息 {event.message_id}（{subject}）处理出错：{type(exc).__name__}: {exc}"
    _error(conn, message)
    status = EventStatus.FAILED if event.attempts >= MAX_EVENT_ATTEMPTS else EventStatus.RETRY
    event_kept(event, status, message)
    return status


def _event_retry_at(attempts: int) -> dt.datetime:
    """When a message that failed its `attempts`-th attempt is due again: the outbox's back-off from now."""
    return clock.now() + _backoff(attempts)


def event_kept(event: PlatformEvent, status: str, error: str) -> None:
    """Keep a message after a failed attempt: for retry (due again after the back-off) or failed (never again)."""
    PlatformEvent.objects.filter(pk=event.pk).update(
        status=status, error=error[:500],
        next_attempt_at=_event_retry_at(event.attempts) if status == EventStatus.RETRY else None)


def _event_apply_claimed(conn: PlatformConnection, event: PlatformEvent) -> str:
    if event.tag in getattr(adapter_class(conn.platform), "order_tags", ()) and not event.aftersale_id:
        from shouhou.platforms.orders import order_event_apply

        return order_event_apply(event)  # an order message: read that order (order sync)
    try:
        aftersale = _call(conn, lambda a, token: a.fetch_aftersale(token, event.aftersale_id))
    except PlatformError as exc:
        _error(conn, exc.message)
        status = EventStatus.FAILED if event.attempts >= MAX_EVENT_ATTEMPTS and not exc.retryable \
            else EventStatus.RETRY
        event_kept(event, status, exc.message)
        return status
    try:
        outcome = aftersale_apply(conn, aftersale)
    except case_services.CaseError as exc:  # the request cannot become a case as it is: say why, try later
        message = f"售后单 {event.aftersale_id} 无法建立：{exc}"
        _error(conn, message)
        status = EventStatus.FAILED if event.attempts >= MAX_EVENT_ATTEMPTS else EventStatus.RETRY
        event_kept(event, status, message)
        return status
    status = EventStatus.WAITING_ORDER if outcome == "waiting_order" else EventStatus.APPLIED
    PlatformEvent.objects.filter(pk=event.pk).update(
        status=status, error="" if status == EventStatus.APPLIED else "订单尚未导入或同步，订单到达后自动处理",
        applied_at=clock.now() if status == EventStatus.APPLIED else None, next_attempt_at=None)
    if status == EventStatus.APPLIED and event.tag in getattr(adapter_class(conn.platform), "evidence_request_tags", ()):
        _evidence_requested(conn, event)
    return status


def _evidence_requested(conn: PlatformConnection, event: PlatformEvent) -> None:
    """The platform's staff ask the merchant for arbitration evidence (抖店 tag 213): say so on the case, where the
    evidence form is (once: an event is applied once)."""
    link = (PlatformAftersale.objects.select_related("case")
            .filter(connection=conn, aftersale_id=event.aftersale_id, case__isnull=False).first())
    if link is not None:
        case_services.case_platform_note(
            case=link.case, actor=PLATFORM, data={"tag": event.tag, "message_id": event.message_id},
            note=f"{conn.get_platform_display()}客服要求商家上传仲裁凭证：请在本售后单的「提交仲裁凭证」中提交说明与照片。")


def events_retry(*, connection: PlatformConnection | None = None) -> int:
    """Apply what is still waiting: not yet applied, waiting for its order, or for the platform once its back-off
    has run (schedule; also after each reconciliation). Chosen in SQL: a message kept for retry carries the time
    it is due again (`next_attempt_at`, set by event_kept: 30 s doubled each attempt, at most an hour; empty, as
    from before that field, counts as due), so one that keeps failing is not read every minute."""
    now = clock.now()
    stale = Q(status=EventStatus.APPLYING, updated_at__lt=now - APPLY_LEASE)
    waiting = Q(status__in=[s for s in PENDING_EVENT_STATUSES if s != EventStatus.RETRY])
    retry = Q(status=EventStatus.RETRY) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    qs = PlatformEvent.objects.filter(waiting | retry | stale, connection__isnull=False, connection__enabled=True)
    if connection is not None:
        qs = qs.filter(connection=connection)
    applied = 0
    # least recently tried first (a claim writes updated_at): more than a batch of messages waiting for their orders
    # no longer fills every pass while a message due for retry, or a new one, waits behind them for ever
    for pk in list(qs.order_by("updated_at", "pk").values_list("pk", flat=True)[:RETRY_BATCH]):
        applied += event_apply(pk) == EventStatus.APPLIED
    return applied


# --- applying a platform request to a case ------------------------------------------------------------
def _line_for(conn: PlatformConnection, a: Aftersale) -> OrderLine | None:
    order = Order.objects.filter(shop=conn.shop, order_no=a.order_id).first()
    if order is None:
        return None
    lines = list(order.lines.order_by("pk"))
    by_key = [line for line in lines if line.line_key == a.sub_order_id]
    if conn.platform == "wechat_shop" and a.sub_order_id:
        # 微信小店 names the SKU only: the order's further lines of that SKU are keyed sku_id-… (wechat_shop.line_keys).
        # Take one without an open platform case first (a second request on the SKU goes to its second line),
        # then, for a request with money, a line the buyer paid for (not the gift)
        by_key += [line for line in lines if line.line_key.startswith(f"{a.sub_order_id}-")]
        if len(by_key) > 1:
            open_statuses = [s for s in CaseStatus.values if case_services.TRANSITIONS[s]]
            busy = set(Case.objects.filter(order_line__in=by_key, status__in=open_statuses, platform_link__isnull=False)
                       .values_list("order_line_id", flat=True))
            by_key.sort(key=lambda ln: (ln.pk in busy, a.refund_amount > 0 and not ln.price_paid))
    if by_key:
        return by_key[0]
    return lines[0] if len(lines) == 1 else None


def aftersale_apply(conn: PlatformConnection, a: Aftersale) -> str:
    """Create or update the case for one platform request. Returns "created", "updated" or "waiting_order"."""
    with transaction.atomic():
        link, _ = PlatformAftersale.objects.get_or_create(connection=conn, aftersale_id=a.aftersale_id,
                                                          defaults={"shop": conn.shop})
        link = PlatformAftersale.objects.select_for_update().get(pk=link.pk)
        if a.updated and link.platform_updated_at and a.updated < link.platform_updated_at:
            return "updated"  # an older view of the request arrived after a newer one: nothing to change
        seen_before = link.platform_updated_at
        link.order_id, link.sub_order_id = a.order_id, a.sub_order_id
        link.aftersale_type, link.status, link.status_text = a.platform_type, a.platform_status, a.status_text
        link.status_deadline, link.refund_amount = a.deadline, a.refund_amount
        link.platform_updated_at, link.synced_at = max(a.updated, link.platform_updated_at), clock.now()
        outcome = "updated"
        if link.case_id is None and a.not_a_request:
            link.save()
            return "updated"
        # already closed on the platform when first read (a back-fill on connecting): recorded, nobody told or asked
        settled = False
        if link.case_id is None:
            line = _line_for(conn, a)
            if line is None:
                link.save()
                return "waiting_order"
            settled = a.case_status in (CaseStatus.RESOLVED, CaseStatus.REJECTED, CaseStatus.CANCELLED)
            link.case, created = _case_open(conn, line, a, settled=settled)
            settled = settled and created  # a case the customer filed here before is followed as usual
            outcome = "created"
            if len(a.sub_order_ids) > 1:
                _whole_request_note(conn, link.case, a)
        link.save()
        case = link.case
        # "": a platform state with no case step; 待审核 never walks a case back (an approval not yet delivered)…
        status = a.case_status if a.case_status not in ("", CaseStatus.REQUESTED) else case.status
        if case.status == CaseStatus.REJECTED and a.case_status and case_services.TRANSITIONS[a.case_status]:
            # …except a refused request the platform shows open again: filed again, or taken on by its arbitration
            status = a.case_status if _open_again(link, a, seen_before) else case.status
        case_services.case_follow_platform(
            case=case, actor=PLATFORM, status=status,
            note=f"平台状态：{a.status_text}", data={"platform": conn.platform, "status": a.platform_status},
            deadline_at=a.deadline, resolution=a.resolution, tell_customer=not settled,
            refund_amount=a.refund_amount or None)
        if outcome == "created" and case.auto_approved and a.case_status == CaseStatus.REQUESTED \
                and _may_push_automatic(conn, link):
            action_enqueue(link=link, kind=ActionKind.APPROVE, note="政策自动通过")
    return outcome


def _open_again(link: PlatformAftersale, a: Aftersale, seen_before: int) -> bool:
    """A refused request the platform shows open is open again only when that view is newer than the one read before
    and the merchant's refusal is not still on its way to the platform: until it lands the platform rightly shows the
    request as it was (a refusal queued in the outbox, a reconciliation read meanwhile)."""
    if not a.updated or a.updated <= seen_before:
        return False
    return not OutboundAction.objects.filter(
        aftersale=link, kind=ActionKind.REJECT,
        status__in=[ActionStatus.PENDING, ActionStatus.SENDING, ActionStatus.HELD]).exists()


def _case_open(conn: PlatformConnection, line: OrderLine, a: Aftersale, *, settled: bool = False) -> tuple[Case, bool]:
    """The platform request goes through the policy engine like a self-service one (cases.case_create);
    an open case already on that line (opened by hand before) is linked instead of duplicated. (case, created)"""
    existing = Case.objects.filter(order_line=line, status__in=[s for s in CaseStatus.values
                                                                if case_services.TRANSITIONS[s]]).first()
    if existing is not None and not PlatformAftersale.objects.filter(case=existing).exists():
        return existing, False
    description = f"{conn.get_platform_display()}售后申请 {a.aftersale_id}" + (f"：{a.reason_text}" if a.reason_text else "")
    # already decided on the platform (back-fill, a late push): record it and follow, do not decide again
    return case_services.case_create(shop=conn.shop, order_line=line, reason=a.reason, kind=a.kind,
                                     description=description, channel=conn.platform, from_customer=True, actor=PLATFORM,
                                     auto_approve=a.case_status == CaseStatus.REQUESTED, platform_request=True,
                                     requested_at=a.applied_at, settled_on_platform=settled,
                                     refund_amount=a.refund_amount or None), True


def _whole_request_note(conn: PlatformConnection, case: Case, a: Aftersale) -> None:
    """A request naming several order lines (抖店 店铺单, after_sale_order_type 2: a whole-order refund) stays one case,
    on its first line, so that the platform request is acted on once; the case says which lines it covers and the
    amount the platform names for all of them (until 2026-12-08 the other lines went unmentioned)."""
    lines = {line.line_key: line for line in OrderLine.objects.filter(order=case.order_line.order,
                                                                      line_key__in=a.sub_order_ids)}
    named = []
    for key in a.sub_order_ids:
        line = lines.get(key)
        if line is None:
            named.append(gettext("子订单 %(key)s（尚未同步）") % {"key": key})
        else:
            named.append(gettext("%(name)s（%(key)s，实付 ¥%(paid)s）") % {
                "name": line.product_name, "key": key, "paid": line.price_paid})
    note = gettext("%(platform)s整单售后：本平台售后单涵盖 %(count)s 个商品行（%(lines)s），平台申请金额合计 ¥%(amount)s；"
                   "只建此一个售后单，其余商品行不另建。") % {
        "platform": conn.get_platform_display(), "count": len(named), "lines": "；".join(named), "amount": a.refund_amount}
    case_services.case_platform_note(case=case, actor=PLATFORM, note=note, data={
        "sub_order_ids": list(a.sub_order_ids), "refund_amount": str(a.refund_amount)})


def _may_push_automatic(conn: PlatformConnection, link: PlatformAftersale) -> bool:
    if not conn.push_auto_decisions:
        return False
    return not conn.auto_refund_limit or link.refund_amount <= conn.auto_refund_limit


def case_decided(*, case: Case, decision: str, actor) -> None:
    """Decision hook (cases.services.decision_hooks): a decision on a platform's request goes back to it.
    An agent's decision always does; an automatic one only when the shop turned the switch on."""
    link = PlatformAftersale.objects.select_related("connection").filter(case=case).first()
    if link is None:
        return
    if actor is None and not _may_push_automatic(link.connection, link):
        return
    if decision == "approved":
        action_enqueue(link=link, kind=ActionKind.APPROVE, note="客服同意" if actor else "政策自动通过")
    elif decision == "received":
        if case.kind == CaseKind.EXCHANGE:  # an exchange is confirmed by shipping the new parcel (exchange_ship)
            return
        # the platform's 确认收货 refunds the buyer (抖店 111, 快手 confirm.receipt, 微信小店 acceptapply, 有赞 refund.agree):
        # a shop that inspects first holds it until the inspection decides (held_confirms_settle)
        action_enqueue(link=link, kind=ActionKind.CONFIRM_RECEIPT, note="仓库确认收货",
                       held=inspects_returns(link.connection))
    elif decision in MOVED_ON:  # a later step of the case (if cases ever reports it): settle a held 确认收货 now
        held_confirms_settle(link=link)
    elif decision == "rejected":
        event = CaseEvent.objects.filter(case=case, to_status=CaseStatus.REJECTED).order_by("-pk").first()
        reason, data = (event.note, event.data or {}) if event is not None else ("", {})
        payload = {"reason": reason}
        if data.get("reject_reason_code") is not None:
            payload["reject_reason_code"] = int(data["reject_reason_code"])
        if data.get("evidence_ids"):
            payload["evidence_ids"] = [int(i) for i in data["evidence_ids"]]
        action_enqueue(link=link, kind=ActionKind.REJECT, note=reason, payload=payload)
        _held_drop(link, note="已拒绝：不再向平台确认收货")


MOVED_ON = ("inspected", "fulfilling", "resolved")
# the case statuses where a held 确认收货 keeps waiting: the goods are in, the inspection or a supervisor still decides
HOLDING = (CaseStatus.RECEIVED, CaseStatus.INSPECTING, CaseStatus.AWAITING_SUPERVISOR)


def _held_drop(link: PlatformAftersale, *, note: str) -> int:
    """Cancel the held 确认收货 of a request (conditional: a pass releasing it at the same time wins or loses whole)."""
    dropped = 0
    for pk in OutboundAction.objects.filter(aftersale=link, kind=ActionKind.CONFIRM_RECEIPT,
                                            status=ActionStatus.HELD).values_list("pk", flat=True):
        dropped += OutboundAction.objects.filter(pk=pk, status=ActionStatus.HELD).update(
            status=ActionStatus.CANCELLED, last_error=note[:500])
    if dropped and link.case_id:
        case_services.case_platform_note(case=link.case, actor=PLATFORM, note=note, data={"held": "cancelled"})
    return dropped


def _last_move(case: Case) -> CaseEvent | None:
    return CaseEvent.objects.filter(case=case, to_status=case.status).exclude(from_status=case.status) \
        .order_by("-pk").first()


def held_confirms_settle(*, link: PlatformAftersale | None = None) -> dict:
    """A held 确认收货 follows the merchant's decision once the case moves on from 已收货 / 检测中: passed or no
    inspection (待履约, 已完结) → released to the outbox, sent once; refused by the inspection (已拒绝) → never sent,
    the platform's refusal of the returned goods goes instead (a REJECT with the inspection's note and the staff's
    photos, unless the agent's own rejection already sent one); settled by the platform itself, or withdrawn →
    dropped. Run before each outbox pass (every minute) and on a decision hook."""
    qs = OutboundAction.objects.filter(kind=ActionKind.CONFIRM_RECEIPT, status=ActionStatus.HELD)
    if link is not None:
        qs = qs.filter(aftersale=link)
    counts = {"released": 0, "refused": 0, "dropped": 0}
    for action in qs.select_related("aftersale", "aftersale__case", "connection").order_by("pk"):
        link_, case = action.aftersale, action.aftersale.case
        if case is None or case.status in HOLDING:
            continue
        with transaction.atomic():
            move = _last_move(case)
            by_platform = move is not None and move.kind == "platform"
            if case.status in (CaseStatus.FULFILLING, CaseStatus.RESOLVED) and not by_platform \
                    and case.kind == CaseKind.RETURN_REFUND and case.inspection_result not in ("", Resolution.REFUND):
                # the inspection chose a replacement, a repair or compensation: the platform's confirm receipt would
                # refund the buyer on top of it; the request is left to the back office, and the case says so
                counts["dropped"] += _held_drop(link_, note=(
                    f"检测结论为「{Resolution(case.inspection_result).label}」：平台确认收货即退款，未回传；请在平台后台处理该退货退款单："
                    f"{adapter_for(action.connection, secret='').manual_link(link_.aftersale_id)}"))
                continue
            if case.status in (CaseStatus.FULFILLING, CaseStatus.RESOLVED) and not by_platform:
                if OutboundAction.objects.filter(pk=action.pk, status=ActionStatus.HELD).update(
                        status=ActionStatus.PENDING, next_attempt_at=None) == 1:
                    case_services.case_platform_note(
                        case=case, actor=PLATFORM, note=f"已排队回传平台：{ActionKind.CONFIRM_RECEIPT.label}（检测通过或无需检测）",
                        data={"action_id": action.pk})
                    counts["released"] += 1
                    _async("shouhou.platforms.tasks.outbox_send_task")  # sent now, not at the next pass
                continue
            if case.status == CaseStatus.REJECTED and not by_platform:
                already = OutboundAction.objects.filter(aftersale=link_, kind=ActionKind.REJECT, pk__gt=action.pk).exists()
                if _held_drop(link_, note="检测未通过：不向平台确认收货（确认收货即退款），改为拒绝退货") and not already:
                    _refuse_returned(link_, case, move)
                    counts["refused"] += 1
                continue
            counts["dropped"] += _held_drop(link_, note="平台已处理或售后单已撤销：不再向平台确认收货")
    return counts


def _refuse_returned(link: PlatformAftersale, case: Case, move: CaseEvent | None) -> None:
    """The inspection refused the returned goods: the platform's refusal after the return (抖店 112/312/612 at 11,
    快手 open.refund.reject, 微信小店 rejectapply with a scene-4 reason, 有赞 returngoods.refuse), with the inspection's
    words and the photos staff added to the case (the customer's own are not evidence against them)."""
    from shouhou.cases.models import CaseEvidence
    from shouhou.platforms.actback import MAX_EVIDENCE

    reason = (move.note if move is not None else "") or "检测未通过"
    ids = list(CaseEvidence.objects.filter(case=case, from_customer=False).order_by("pk")
               .values_list("pk", flat=True)[:MAX_EVIDENCE])
    payload: dict = {"reason": reason, "after_inspection": True}
    if ids:
        payload["evidence_ids"] = ids
    action_enqueue(link=link, kind=ActionKind.REJECT, note=reason, payload=payload)


def action_key(*, link: PlatformAftersale, kind: str, key_extra: str = "") -> str:
    """The outbox's idempotency key: one action per request version and kind (plus `key_extra`)."""
    key = f"{link.connection_id}:{link.aftersale_id}:{kind}:{link.platform_updated_at}"
    return f"{key}:{key_extra}" if key_extra else key


def action_enqueue(*, link: PlatformAftersale, kind: str, note: str = "", payload: dict | None = None,
                   key_extra: str = "", held: bool = False) -> OutboundAction:
    """Put an action in the outbox (once per request version and kind — and `key_extra`, for an action that may
    rightly be sent more than once per version, e.g. arbitration evidence) and wake the sender after commit.
    `held`: kept back until the merchant's decision releases or cancels it (held_confirms_settle)."""
    key = action_key(link=link, kind=kind, key_extra=key_extra)
    action, created = OutboundAction.objects.get_or_create(
        idempotency_key=key, defaults={"shop_id": link.shop_id, "connection_id": link.connection_id,
                                       "aftersale": link, "kind": kind, "payload": {"note": note, **(payload or {})},
                                       "status": ActionStatus.HELD if held else ActionStatus.PENDING})
    if created and held:
        if link.case_id:
            case_services.case_platform_note(
                case=link.case, actor=PLATFORM, data={"action_id": action.pk},
                note=f"「{ActionKind(kind).label}」待检测结论后再回传平台（平台确认收货即退款）：检测通过或直接完结时发送，检测不通过则改为拒绝退货")
    elif created:
        if link.case_id:
            case_services.case_platform_note(case=link.case, actor=PLATFORM, note=f"已排队回传平台：{ActionKind(kind).label}",
                                             data={"action_id": action.pk})
        _async("shouhou.platforms.tasks.outbox_send_task")
    return action


# --- the outbox -------------------------------------------------------------------------------------
def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(BACKOFF_MAX, BACKOFF_BASE * 2 ** max(0, attempts - 1)))


def outbox_send_due(*, limit: int = 50) -> dict:
    """Send the due actions. Each is claimed by a conditional update (pending → sending) so two workers
    never send the same one; the request version (update_time) rides along so a repeat is refused by the
    platform rather than applied twice. Held 确认收货 whose case has moved on are settled first."""
    held_confirms_settle()
    now = clock.now()
    due = list(OutboundAction.objects.filter(status=ActionStatus.PENDING)
               .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
               .order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit])
    counts = {"done": 0, "retry": 0, "refused": 0, "failed": 0}
    for pk in due:
        if OutboundAction.objects.filter(pk=pk, status=ActionStatus.PENDING).update(
                status=ActionStatus.SENDING, attempts=F("attempts") + 1) != 1:
            continue
        counts[_send(OutboundAction.objects.select_related("connection", "connection__shop", "aftersale",
                                                           "aftersale__case").get(pk=pk))] += 1
    return counts


def _send(action: OutboundAction) -> str:
    from shouhou.platforms import actback

    conn, link = action.connection, action.aftersale
    payload = action.payload or {}
    carrier = str(payload.get("carrier") or "")
    request = Action(kind=action.kind, aftersale_id=link.aftersale_id, platform_type=link.aftersale_type,
                     updated=link.platform_updated_at, reason=payload.get("reason", ""),
                     reject_reason_code=payload.get("reject_reason_code")
                     or (conn.settings or {}).get("reject_reason_type"),  # the shop's default (微信小店 needs one)
                     reject_reason_chosen=payload.get("reject_reason_code") is not None,
                     default_reject_reasons=dict((conn.settings or {}).get("reject_reason_types") or {}),
                     evidence_urls=payload.get("evidence_urls") or [],  # reject / arbitration photos
                     return_address_id=actback.return_address_id_for(link),
                     amount_fen=int(link.refund_amount * 100), platform_status=link.status,
                     carrier=carrier, tracking_no=str(payload.get("tracking_no") or ""),
                     express_code=str(((conn.settings or {}).get("express_codes") or {}).get(carrier) or ""))
    try:
        if action.kind in (ActionKind.REJECT, ActionKind.SUBMIT_EVIDENCE) and payload.get("evidence_ids") \
                and "evidence_urls" not in payload:
            request.evidence_urls = actback.evidence_upload(action)  # once: kept on the action for a retry
        answer = _call(conn, lambda a, token: a.act(token, request))
    except PlatformError as exc:
        return _send_failed(action, exc)
    now = clock.now()
    OutboundAction.objects.filter(pk=action.pk).update(status=ActionStatus.DONE, answer=answer, sent_at=now,
                                                       last_error="", next_attempt_at=None)
    PlatformAftersale.objects.filter(pk=link.pk).update(last_answer=answer)
    if link.case_id:
        case_services.case_platform_note(case=link.case, actor=PLATFORM, note=f"平台已受理：{ActionKind(action.kind).label}",
                                         data={"action_id": action.pk, "answer": answer})
    aftersale_refresh(link)
    return "done"


def _send_failed(action: OutboundAction, exc: PlatformError) -> str:
    conn, link = action.connection, action.aftersale
    _error(conn, exc.message)
    attempts = action.attempts
    if exc.retryable and attempts < MAX_ATTEMPTS:
        OutboundAction.objects.filter(pk=action.pk).update(status=ActionStatus.PENDING, last_error=exc.message[:500],
                                                           next_attempt_at=clock.now() + _backoff(attempts))
        return "retry"
    status = ActionStatus.FAILED if exc.retryable else ActionStatus.REFUSED
    OutboundAction.objects.filter(pk=action.pk).update(status=status, last_error=exc.message[:500],
                                                       answer=exc.answer, next_attempt_at=None)
    PlatformAftersale.objects.filter(pk=link.pk).update(last_answer=exc.answer or {"error": exc.message})
    if link.case_id:
        what = "平台拒绝" if status == ActionStatus.REFUSED else "多次发送失败"
        hint = "该售后单已在平台被处理，已重新同步。" if exc.kind == "already_handled" else \
            f"请在平台后台处理：{adapter_for(conn, secret='').manual_link(link.aftersale_id)}"
        case_services.case_platform_note(case=link.case, actor=PLATFORM, note=f"{what}「{ActionKind(action.kind).label}」：{exc.message}。{hint}",
                                         data={"action_id": action.pk, "answer": exc.answer, "kind": exc.kind})
    aftersale_refresh(link)
    return "refused" if status == ActionStatus.REFUSED else "failed"


def aftersale_refresh(link: PlatformAftersale) -> bool:
    """Read one request again and follow it (after an action, or on demand). False when unreachable."""
    conn = link.connection
    try:
        aftersale = _call(conn, lambda a, token: a.fetch_aftersale(token, link.aftersale_id))
    except PlatformError as exc:
        _error(conn, exc.message)
        return False
    aftersale_apply(conn, aftersale)
    return True


# --- pull: back-fill and reconciliation -----------------------------------------------------------------
def connection_sync(conn: PlatformConnection, *, backfill: bool = False, max_pages: int = 200) -> int:
    """Read the requests changed since the cursor (back-fill: the last BACKFILL_DAYS) and apply each; a push
    that never arrived is found here. Returns the number of requests read."""
    adapter = adapter_for(conn, secret="")
    if backfill or not conn.sync_cursor:
        cursor = adapter.initial_cursor(clock.now() - dt.timedelta(days=BACKFILL_DAYS))
    else:
        cursor = adapter.reconcile_cursor(dict(conn.sync_cursor), RECONCILE_OVERLAP)
    read = 0
    for _ in range(max_pages):
        try:
            page = _call(conn, lambda a, token, c=cursor: a.fetch_aftersales(token, c))
        except PlatformError as exc:
            _error(conn, f"同步失败：{exc.message}")
            return read
        for aftersale in page.items:
            aftersale_apply(conn, aftersale)
        read += len(page.items)
        cursor = page.cursor
        if not page.has_more:
            break
    PlatformConnection.objects.filter(pk=conn.pk).update(sync_cursor=cursor, last_sync_at=clock.now())
    conn.sync_cursor = cursor
    events_retry(connection=conn)
    return read


@dataclass
class SyncNow:
    what: str  # aftersales | orders
    read: int = 0
    written: int = 0
    error: str = ""


SYNC_KINDS = ("aftersales", "orders")


def connection_sync_now(*, conn: PlatformConnection, actor, what: str) -> SyncNow:
    """A person (a page) or a script (the API) asks for a pass now: the after-sale requests or the orders. The
    shop's admins only, as for the connection's other settings; the scheduled passes run as the system."""
    require_role(actor, conn.shop, SETTINGS_EDIT)
    if what not in SYNC_KINDS:
        raise ConnectionError_(f"未知的同步内容：{what}（可用：{'、'.join(SYNC_KINDS)}）")
    if what == "aftersales":
        read = connection_sync(conn)
        conn.refresh_from_db(fields=["last_error", "last_error_at", "last_sync_at"])
        return SyncNow(what=what, read=read, written=read)
    from shouhou.platforms.orders import orders_sync

    result = orders_sync(conn)
    return SyncNow(what=what, read=result.read, written=result.written, error=result.error)


def connections_sync_all() -> int:
    return sum(connection_sync(c) for c in PlatformConnection.objects.filter(enabled=True, needs_reauth=False)
               .select_related("shop"))
