"""Which role may do which action. One table; `can()` is the only way to ask."""

from __future__ import annotations

from shouhou.accounts.choices import Role

VIEW = "view"
REPLY = "reply"
CASE_CREATE = "case.create"
CASE_APPROVE = "case.approve"
REFUND_APPROVE = "refund.approve"
COMPENSATE = "compensation.issue"
COMPENSATE_ABOVE_LIMIT = "compensation.above_limit"
POLICY_EDIT = "policy.edit"
DATA_EXPORT = "data.export"
PII_REVEAL = "pii.reveal"
TEAM_MANAGE = "team.manage"
RECALL_LAUNCH = "recall.launch"
IMPORT = "data.import"
AUDIT_VIEW = "audit.view"
TOKEN_MANAGE = "token.manage"  # noqa: S105 (an action name, not a secret)
SETTINGS_EDIT = "settings.edit"
IMPROVEMENT_EDIT = "improvement.edit"  # insight's improvement actions

_AGENT = {VIEW, REPLY, CASE_CREATE, CASE_APPROVE, REFUND_APPROVE, COMPENSATE, IMPROVEMENT_EDIT}
_SUPERVISOR = _AGENT | {COMPENSATE_ABOVE_LIMIT, DATA_EXPORT, PII_REVEAL, TEAM_MANAGE, RECALL_LAUNCH, IMPORT}
_ADMIN = _SUPERVISOR | {POLICY_EDIT, AUDIT_VIEW, TOKEN_MANAGE, SETTINGS_EDIT}
_ANALYST = {VIEW, DATA_EXPORT}

# Human-readable names for the permission table on docs/security.md and the admin.
ACTION_LABELS: dict[str, str] = {
    VIEW: "查看",
    REPLY: "回复会话",
    CASE_CREATE: "创建售后单",
    CASE_APPROVE: "审核售后单",
    REFUND_APPROVE: "同意退款",
    COMPENSATE: "额度内补偿",
    COMPENSATE_ABOVE_LIMIT: "超额度补偿",
    POLICY_EDIT: "编辑售后政策",
    DATA_EXPORT: "导出数据",
    PII_REVEAL: "查看完整手机号/地址",
    TEAM_MANAGE: "管理班组与排班",
    RECALL_LAUNCH: "发起召回",
    IMPORT: "导入数据",
    AUDIT_VIEW: "查看审计日志",
    TOKEN_MANAGE: "管理 API 令牌与成员",
    SETTINGS_EDIT: "修改店铺设置（含数据保留期）",
    IMPROVEMENT_EDIT: "管理改进行动",
}


def action_refused_message(action: str) -> str:
    """What a refused person reads: the action's name in their language, never its internal code."""
    from django.utils.translation import gettext

    label = ACTION_LABELS.get(action)
    return gettext("当前角色无权执行：%(action)s") % {"action": gettext(label) if label else gettext("此操作")}


# Roles that may change nothing, whatever the action table says (enforced for every unsafe API call).
READ_ONLY_ROLES = frozenset({Role.ANALYST})

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.AGENT: frozenset(_AGENT),
    Role.SUPERVISOR: frozenset(_SUPERVISOR),
    Role.ADMIN: frozenset(_ADMIN),
    Role.ANALYST: frozenset(_ANALYST),
}


def role_can(role: str | None, action: str) -> bool:
    return role is not None and action in ROLE_ACTIONS.get(role, frozenset())


def role_may_write(role: str | None) -> bool:
    return role is not None and role in ROLE_ACTIONS and role not in READ_ONLY_ROLES
