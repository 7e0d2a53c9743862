"""微信小店's default refusal reason per scene, set on the connection page.

rejectapply / rejectexchangereship require a `reject_reason_type` from rejectreason/get, and each listed reason
belongs to one reject_scene (1 仅退款, 4 退货退款 — after receipt too, 5 换货, 6 换货 once its goods are back). A refusal
without the agent's pick uses the connection's `settings["reject_reason_types"]` {scene: code} (the adapter's
`_reject_code`); this module offers the platform's list per scene and keeps only codes that list gives that scene.
Until 2026-12-07 the map could only be typed into the admin's JSON."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from shouhou.accounts.actors import require_role
from shouhou.accounts.permissions import SETTINGS_EDIT
from shouhou.core import clock
from shouhou.core.audit import audit_record
from shouhou.platforms import services
from shouhou.platforms.actback import REASONS_TTL, ActbackError, _settings_update
from shouhou.platforms.adapters.base import PlatformError
from shouhou.platforms.adapters.wechat_shop import EXCHANGE_RESHIP_SCENE, REJECT_SCENES, SCENE_LABELS
from shouhou.platforms.crypto import CredentialsUnreadable
from shouhou.platforms.models import PlatformConnection

PLATFORM = "wechat_shop"
SETTING = "reject_reason_types"  # {scene: code}, read by the adapter
CACHE = "reject_reason_list"  # {"at": iso, "items": [{code, text, scene}]}: the platform's list, as last read
FAILED_AT = "reject_reason_list_failed_at"  # the last read that failed: the page does not ask again at once
RETRY_AFTER = dt.timedelta(minutes=5)  # a page view waits for the platform's answer: not on every view while it fails
SCENES = [str(s) for s in sorted({*REJECT_SCENES.values(), EXCHANGE_RESHIP_SCENE})]  # 1, 4, 5, 6


def offered(conn: PlatformConnection) -> bool:
    return conn.platform == PLATFORM


def reason_list(conn: PlatformConnection, *, refresh: bool = False) -> list[dict] | None:
    """The platform's reasons [{code, text, scene}], from the connection's cache when younger than REASONS_TTL,
    else read again; None when it was never read and cannot be read now (the form then takes numbers)."""
    settings = conn.settings or {}
    entry = settings.get(CACHE)
    if entry and not refresh:
        try:
            if clock.now() - dt.datetime.fromisoformat(entry["at"]) < REASONS_TTL:
                return list(entry.get("items") or [])
        except (KeyError, TypeError, ValueError):
            pass
    try:
        failed_recently = clock.now() - dt.datetime.fromisoformat(settings.get(FAILED_AT) or "") < RETRY_AFTER
    except (TypeError, ValueError):
        failed_recently = False
    if failed_recently and not refresh:
        return list(entry.get("items") or []) if entry else None
    try:
        items = services._call(conn, lambda a, token: a.reject_reason_list(token))
    except (PlatformError, CredentialsUnreadable) as exc:
        services._error(conn, f"读取拒绝原因失败：{getattr(exc, 'message', None) or exc}")
        _settings_update(conn, **{FAILED_AT: clock.now().isoformat()})
        return list(entry.get("items") or []) if entry else None
    _settings_update(conn, **{CACHE: {"at": clock.now().isoformat(), "items": items}, FAILED_AT: None})
    return items


def _scene_label(scene: str) -> str:
    """The scene's name in the reader's language (the adapter's table is the platform's Chinese)."""
    label = SCENE_LABELS.get(str(scene))
    return _(label) if label else ""


def form_rows(conn: PlatformConnection) -> list[dict]:
    """One row per scene for the page: {scene, label, value, choices} — choices None when the list is unreadable
    (a number field), else that scene's reasons (a reason naming no scene fits every scene)."""
    if not offered(conn):
        return []
    items = reason_list(conn)
    saved = (conn.settings or {}).get(SETTING) or {}
    rows = []
    for scene in SCENES:
        choices = None if items is None else [r for r in items if r.get("scene") in ("", scene)]
        rows.append({"scene": scene, "label": _scene_label(scene) or scene, "value": str(saved.get(scene) or ""),
                     "choices": choices})
    return rows


def reject_defaults_save(*, conn: PlatformConnection, actor, values: dict[str, str]) -> dict[str, int]:
    """Save the default reason per scene (blank: none for that scene). A code must be a positive whole number and,
    when the platform's list can be read, one it lists for that scene: a reason of another scene is what the platform
    refuses (the adapter refuses it too when it sends the single default)."""
    require_role(actor, conn.shop, SETTINGS_EDIT)
    if not offered(conn):
        raise ActbackError(_("只有微信小店按拒绝场景设置默认拒绝原因。"))
    items = reason_list(conn)
    listed = None if items is None else {str(r["code"]): r.get("scene", "") for r in items}
    clean: dict[str, int] = {}
    for scene in SCENES:
        value = str(values.get(scene) or "").strip()
        if not value:
            continue
        label = _scene_label(scene) or scene
        if not value.isdigit() or int(value) <= 0:
            raise ActbackError(_("「%(label)s」的默认拒绝原因应为平台拒绝原因编号（正整数）。") % {"label": label})
        if listed is not None:
            if value not in listed:
                raise ActbackError(_("拒绝原因 %(code)s 不在微信小店的拒绝原因列表中（%(label)s）。") % {
                    "code": value, "label": label})
            if listed[value] not in ("", scene):
                raise ActbackError(_("拒绝原因 %(code)s 属于拒绝场景 %(other)s（%(other_label)s），不能作为「%(label)s」的默认拒绝原因。") % {
                    "code": value, "other": listed[value], "other_label": _scene_label(listed[value]),
                    "label": label})
        clean[scene] = int(value)
    before = (conn.settings or {}).get(SETTING) or {}
    _settings_update(conn, **{SETTING: clean})
    audit_record(action="platforms.reject_defaults", obj=conn, actor=actor, before={SETTING: before},
                 after={SETTING: clean})
    return clean
