"""Who a CLI command acts as: `--as USERNAME` (that user's role in the shop decides) or `--system`
(an operator acting as the system, recorded as such). One of the two is required for commands that
change a shop's data, so the CLI passes the same role checks as pages and the API."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from shouhou.accounts.actors import SystemActor


def add_actor_arguments(parser) -> None:
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--as", dest="as_user", metavar="USERNAME",
                     help="以该用户身份执行（按其在店铺中的角色检查权限）")
    who.add_argument("--system", action="store_true", help="以系统身份执行（运维操作，审计中记为系统）")


def actor_from_options(options: dict, *, command: str):
    if options.get("system"):
        return SystemActor(name=f"cli:{command}")
    username = options.get("as_user") or ""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"--as：没有名为 {username!r} 的有效用户")
    return user
