"""话术: reply templates with variables (stub; replaced by the scripts work)."""

from __future__ import annotations


class ScriptError(ValueError):
    pass


def scripts_suggest(*, ticket, limit: int = 5) -> list:
    from shouhou.inbox.models import Script

    return list(Script.objects.filter(shop=ticket.shop, is_active=True)[:limit])


def script_render(*, script, ticket=None, extra: dict | None = None) -> str:
    return script.body


def scripts_install_defaults(*, shop) -> int:
    return 0
