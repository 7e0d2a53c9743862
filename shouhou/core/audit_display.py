"""The audit log as people read it: who did what to what, and each changed field as "label: old → new".

Audit events store codes (`case.awaiting_return`, `{'status': 'open', 'owner': 1}`) so that they stay
exact; this module is the one place that turns them into words in the reader's language. Labels come from
the models themselves (verbose names, choices) wherever the key is a model field; the registries below
name only what no model field does. `shouhou/core/tests/test_audit_display.py` checks that every action
written anywhere in the code has a label here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

ACTION_LABELS: dict[str, Any] = {
    "case.create": _lazy("创建售后单"),
    "case.platform_amount": _lazy("退款金额按平台申请更新"),
    "case.compensate": _lazy("补偿已发放"),
    "case.compensation_requested": _lazy("申请超额度补偿（待主管审批）"),
    "case.supervisor_approved": _lazy("主管批准补偿"),
    "case.supervisor_declined": _lazy("主管驳回补偿"),
    "case.inspection_result": _lazy("登记检测结果"),
    "case.platform": _lazy("售后单随平台状态变更"),
    "case.return_corrected": _lazy("更正寄回快递信息"),
    "case.pickup_requested": _lazy("顾客申请上门取件"),
    "case.repair_overdue": _lazy("维修超期提醒（三包第十二条）"),
    "recall.launch": _lazy("发起召回"),
    "policy.publish": _lazy("发布售后政策"),
    "return_address.save": _lazy("保存退货地址"),
    "review.remedy": _lazy("差评挽回：补偿"),
    "review.showcase": _lazy("好评展示设置"),
    "referral.reward": _lazy("发放推荐奖励"),
    "notifications.template.save": _lazy("保存消息模板"),
    "notifications.template.enable": _lazy("启用消息模板"),
    "notifications.template.disable": _lazy("停用消息模板"),
    "logistics.rules.update": _lazy("修改物流异常规则"),
    "token.issue": _lazy("签发 API 令牌"),
    "token.revoke": _lazy("吊销 API 令牌"),
    "membership.add": _lazy("添加店铺成员"),
    "membership.change": _lazy("修改成员角色"),
    "membership.remove": _lazy("移除店铺成员"),
    "shop.retention": _lazy("修改个人信息保留期"),
    "pii.reveal": _lazy("查看完整个人信息"),
    "pii.retention": _lazy("到期个人信息脱敏"),
    "sla.calendar.create": _lazy("新建工作日历"),
    "sla.calendar.update": _lazy("修改工作日历"),
    "sla.calendar.holiday_add": _lazy("工作日历：设为节假日"),
    "sla.calendar.holiday_remove": _lazy("工作日历：取消节假日"),
    "sla.calendar.makeup_workday_add": _lazy("工作日历：设为调休上班日"),
    "sla.calendar.makeup_workday_remove": _lazy("工作日历：取消调休上班日"),
    "sla.calendar.public_holidays": _lazy("工作日历：法定节假日来源"),
    "sla.policy.create": _lazy("新建 SLA 规则"),
    "sla.policy.update": _lazy("修改 SLA 规则"),
    "sla.defaults.install": _lazy("安装默认 SLA 规则"),
    "admin.add": _lazy("管理后台：新增"),
    "admin.change": _lazy("管理后台：修改"),
    "admin.delete": _lazy("管理后台：删除"),
    "link.revoke": _lazy("撤销顾客链接"),
    "platforms.connect": _lazy("连接电商平台店铺"),
    "platforms.settings": _lazy("修改平台连接设置"),
    "platforms.address_map": _lazy("修改平台退货地址对应"),
    "platforms.reject_defaults": _lazy("修改各场景默认拒绝原因"),
    "platforms.authorize_start": _lazy("发起平台跳转授权"),
    "platforms.authorize": _lazy("平台授权完成"),
    "platforms.order_receiver": _lazy("平台修改订单收货信息"),
    "platforms.order_parts_removed": _lazy("平台订单移除运单或商品行"),
    "platforms.decrypt_off": _lazy("平台拒绝解密，已关闭解密开关"),
    "improvement.create": _lazy("新建改进行动"),
    "improvement.update": _lazy("修改改进行动"),
    "improvement.status": _lazy("改进行动状态变更"),
    "improvement.announce": _lazy("改进行动：告知顾客"),
    "improvement.delete": _lazy("删除改进行动"),
}

# The filter of the audit page: a group of actions by the start of their code.
ACTION_GROUPS: list[tuple[str, Any]] = [
    ("case.", _lazy("售后单")),
    ("recall.", _lazy("召回")),
    ("policy.", _lazy("售后政策")),
    ("review.", _lazy("差评挽回")),
    ("improvement.", _lazy("改进行动")),
    ("pii.", _lazy("个人信息")),
    ("membership.", _lazy("店铺成员")),
    ("token.", _lazy("API 令牌")),
    ("shop.", _lazy("店铺设置")),
    ("sla.", _lazy("SLA 与工作日历")),
    ("notifications.", _lazy("消息模板")),
    ("logistics.", _lazy("物流异常规则")),
    ("link.", _lazy("顾客链接")),
    ("platforms.", _lazy("平台连接")),
    ("admin.", _lazy("管理后台")),
]

# Keys that are not a field of the audited model (or mean something else there), by action, then for all.
KEY_LABELS: dict[str, Any] = {
    "amount": _lazy("金额"),
    "note": _lazy("说明"),
    "reason": _lazy("原因"),
    "version": _lazy("版本"),
    "cases": _lazy("售后单数"),
    "user": _lazy("用户"),
    "role": _lazy("角色"),
    "field": _lazy("字段"),
    "days": _lazy("天数"),
    "scopes": _lazy("权限范围"),
    "prefix": _lazy("令牌前缀"),
    "object": _lazy("对象"),
    "object_id": _lazy("对象编号"),
    "revoked_at": _lazy("吊销时间"),
    "pending_compensation": _lazy("待审批补偿"),
    "remedy": _lazy("补救方式"),
    "orders": _lazy("订单"),
    "customers": _lazy("顾客"),
    "messages": _lazy("消息"),
    "holidays": _lazy("节假日"),
    "holidays_removed": _lazy("取消的节假日"),
    "makeup_workdays": _lazy("调休上班日"),
    "makeup_workdays_removed": _lazy("取消的调休上班日"),
    "public_holidays": _lazy("法定节假日来源"),
    "night_shift": _lazy("夜班"),
    "kind": _lazy("类型"),
}
TRUE_FALSE = (_lazy("是"), _lazy("否"))
LONG_TEXT = 120  # characters of a value shown in the table; the full value stays in the record and the API


# Values of keys whose choices are not the audited model field's own (case.compensate's "kind" is a
# compensation kind, not the case's kind).
ACTION_KEY_CHOICES: dict[tuple[str, str], str] = {
    ("case.compensate", "kind"): "shouhou.cases.choices.CompensationKind",
    ("membership.add", "role"): "shouhou.accounts.choices.Role",
    ("membership.change", "role"): "shouhou.accounts.choices.Role",
    ("membership.remove", "role"): "shouhou.accounts.choices.Role",
    ("token.issue", "role"): "shouhou.accounts.choices.Role",
    ("review.remedy", "remedy"): "shouhou.cases.choices.CompensationKind",
}


# A business calendar's spec (sla.calendar.calendar_from_spec) as a person reads it: each part a change of
# its own ("每周营业时间：周一至周五 09:00–18:00；周六至周日 不营业"), never the JSON.
DAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_LABELS = (_lazy("周一"), _lazy("周二"), _lazy("周三"), _lazy("周四"), _lazy("周五"), _lazy("周六"), _lazy("周日"))
SPEC_PARTS: dict[str, Any] = {
    "weekly": _lazy("每周营业时间"),
    "public_holidays": _lazy("法定节假日来源"),
    "holidays": _lazy("节假日"),
    "holidays_removed": _lazy("取消的节假日"),
    "makeup_workdays": _lazy("调休上班日"),
    "makeup_workdays_removed": _lazy("取消的调休上班日"),
    "makeup_weekday": _lazy("调休上班日的营业时间"),
}
COUNTRY_LABELS: dict[str, Any] = {"CN": _lazy("中国大陆（国务院办公厅放假安排）")}


def _list_sep() -> str:
    return _("、")


def weekly_text(weekly: Any) -> str:
    """{"mon": ["09:00-18:00"], ...} → 「周一至周五 09:00–18:00；周六至周日 不营业」 (days with the same hours
    run together)."""
    if not isinstance(weekly, dict):
        return _plain(weekly)
    runs: list[list] = []
    for i, code in enumerate(DAY_CODES):
        hours = tuple(str(h) for h in (weekly.get(code) or ()))
        if runs and runs[-1][2] == hours:
            runs[-1][1] = i
        else:
            runs.append([i, i, hours])
    parts = []
    for first, last, hours in runs:
        if first == last:
            days = str(DAY_LABELS[first])
        elif last == first + 1:
            days = f"{DAY_LABELS[first]}{_list_sep()}{DAY_LABELS[last]}"
        else:
            days = _("%(first)s至%(last)s") % {"first": DAY_LABELS[first], "last": DAY_LABELS[last]}
        text = _list_sep().join(h.replace("-", "–") for h in hours) if hours else _("不营业")
        parts.append(f"{days} {text}")
    return _("；").join(parts)


def spec_part_value(part: str, value: Any) -> str:
    """One part of a calendar spec in words."""
    if part == "weekly":
        return weekly_text(value)
    if part == "public_holidays":
        if not value:
            return _("不跟随")
        return str(COUNTRY_LABELS.get(value, value))
    if part == "makeup_weekday":
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
            return _("同%(day)s") % {"day": DAY_LABELS[value]}
        return _plain(value)
    if isinstance(value, list | tuple):
        return _shorten(_list_sep().join(str(v) for v in value)) if value else "—"
    return _plain(value)


def _is_calendar(model) -> bool:
    return model is not None and model._meta.label_lower == "sla.businesscalendar"


def _is_spec(model, key: str) -> bool:
    return key == "spec" and _is_calendar(model)


def _as_spec(value: Any) -> dict:
    """A spec as recorded: a dict, or (rows written before audit kept JSON) the text of a Python dict."""
    if isinstance(value, str) and value.startswith("{"):
        import ast

        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return {}
    return value if isinstance(value, dict) else {}


def _spec_changes(before: Any, after: Any, *, had_before: bool) -> list[Change]:
    old_spec, new_spec = _as_spec(before), _as_spec(after)
    changes = []
    parts = [*SPEC_PARTS, *[k for k in dict.fromkeys([*old_spec, *new_spec]) if k not in SPEC_PARTS]]
    for part in parts:
        if part not in old_spec and part not in new_spec:
            continue
        old = spec_part_value(part, old_spec.get(part)) if had_before and part in old_spec else "—"
        new = spec_part_value(part, new_spec.get(part)) if part in new_spec else "—"
        if old == new:
            continue
        changes.append(Change(label=str(SPEC_PARTS.get(part, part)), old=old, new=new))
    return changes


def action_label(code: str) -> str:
    if code in ACTION_LABELS:
        return str(ACTION_LABELS[code])
    if code.startswith("case."):
        from shouhou.cases.choices import CaseStatus

        status = code.removeprefix("case.")
        if status in CaseStatus.values:
            return _("售后单状态变为「%(status)s」") % {"status": CaseStatus(status).label}
    return code


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class AuditRow:
    at: Any
    who: str
    action: str
    target: str
    changes: list[Change] = field(default_factory=list)
    note: str = ""


class _Reader:
    """Caches model and object look-ups for one page of rows."""

    def __init__(self):
        self.objects: dict[tuple[str, str], str] = {}

    def model(self, object_type: str) -> type[models.Model] | None:
        try:
            return apps.get_model(object_type)
        except (LookupError, ValueError):
            return None

    def target(self, object_type: str, object_id: str) -> str:
        model = self.model(object_type)
        if model is None:
            return f"{object_type} #{object_id}"
        kind = str(model._meta.verbose_name)
        key = (object_type, object_id)
        if key not in self.objects:
            try:
                obj = model._default_manager.filter(pk=object_id).first()
            except (ValueError, TypeError):
                obj = None
            self.objects[key] = _shorten(str(obj)) if obj is not None else ""
        name = self.objects[key]
        return f"{kind} {name}" if name and name != object_id else f"{kind} #{object_id}"

    def related(self, model: type[models.Model], pk: Any) -> str:
        key = (model._meta.label_lower, str(pk))
        if key not in self.objects:
            obj = model._default_manager.filter(pk=pk).first() if str(pk).isdigit() else None
            self.objects[key] = _person(obj) if obj is not None else f"#{pk}"
        return self.objects[key]


def _person(obj) -> str:
    if hasattr(obj, "get_username"):
        return obj.get_full_name() or obj.first_name or obj.get_username()
    return _shorten(str(obj))


def _shorten(text: str) -> str:
    return text if len(text) <= LONG_TEXT else text[: LONG_TEXT - 1] + "…"


def _plain(value: Any) -> str:
    if value is None or value == "" or value == "None" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return str(TRUE_FALSE[0] if value else TRUE_FALSE[1])
    if isinstance(value, list | tuple):
        return _shorten("、".join(_plain(v) for v in value))
    if isinstance(value, dict):
        return _shorten("；".join(f"{KEY_LABELS.get(k, k)}: {_plain(v)}" for k, v in value.items()))
    return _shorten(str(value))


def _field(model, key: str):
    if model is None:
        return None
    try:
        return model._meta.get_field(key)
    except FieldDoesNotExist:
        return None


def _value(reader: _Reader, action: str, model, key: str, value: Any) -> str:
    enum_path = ACTION_KEY_CHOICES.get((action, key))
    if enum_path:
        module, name = enum_path.rsplit(".", 1)
        labels = dict(getattr(importlib.import_module(module), name).choices)
        return str(labels.get(value, _plain(value)))
    if key == "field" and model is not None and isinstance(value, str):  # pii.reveal names a column
        column = _field(model, value)
        return str(column.verbose_name) if column is not None else value
    model_field = _field(model, key)
    if model_field is not None and value not in (None, ""):
        if model_field.choices:
            return str(dict(model_field.flatchoices).get(value, _plain(value)))
        if model_field.is_relation and model_field.related_model is not None and not isinstance(value, list):
            return reader.related(model_field.related_model, value)
    if key in SPEC_PARTS and _is_calendar(model):  # the day and public-holiday actions name spec parts
        return spec_part_value(key, value)
    if key == "pending_compensation" and isinstance(value, dict) and value:
        from shouhou.cases.choices import CompensationKind

        kind = dict(CompensationKind.choices).get(value.get("kind"), value.get("kind", ""))
        return f"{kind} {value.get('amount', '')}".strip()
    return _plain(value)


def _label(action: str, model, key: str) -> str:
    if key in SPEC_PARTS and _is_calendar(model):
        return str(SPEC_PARTS[key])
    if key in KEY_LABELS and ((action, key) in ACTION_KEY_CHOICES or _field(model, key) is None):
        return str(KEY_LABELS[key])
    model_field = _field(model, key)
    if model_field is not None and hasattr(model_field, "verbose_name"):
        return str(model_field.verbose_name)
    return str(KEY_LABELS.get(key, key))


def audit_rows(events) -> list[AuditRow]:
    """Readable rows for a page of AuditEvent (a few queries per distinct object, not per field)."""
    reader = _Reader()
    rows = []
    for event in events:
        model = reader.model(event.object_type)
        before, after = event.before or {}, event.after or {}
        changes = []
        for key in list(dict.fromkeys([*before, *after])):
            if _is_spec(model, key):
                changes.extend(_spec_changes(before.get(key), after.get(key), had_before=key in before))
                continue
            old = _value(reader, event.action, model, key, before.get(key)) if key in before else "—"
            new = _value(reader, event.action, model, key, after.get(key)) if key in after else "—"
            if old == new:  # unchanged, or empty on both sides (a field left blank at creation)
                continue
            changes.append(Change(label=_label(event.action, model, key), old=old, new=new))
        who = _person(event.actor) if event.actor_id else _("系统/令牌")
        rows.append(AuditRow(at=event.at, who=who, action=action_label(event.action),
                             target=reader.target(event.object_type, event.object_id), changes=changes,
                             note=event.note))
    return rows
