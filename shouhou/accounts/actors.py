"""Who is acting, and the one check every write service makes: `require_role(actor, shop, action)`.

An actor is one of:
- a user (a page, or the CLI run `--as USER`): their membership role in the shop decides;
- an API principal (`shouhou.api.auth.Principal`, a session or a token): its shop and role decide;
- `SYSTEM` (or another `SystemActor`): the scheduler, webhooks, the demo, the CLI run `--system`;
  named on purpose by the caller, never assumed;
- a `CustomerActor`: the customer on the self-service pages, holding one case's follow link; may only
  open, withdraw, ship back or add photos to that case.

`None` is no actor: it is refused. A service that forgot to pass who acts fails loudly instead of
skipping the check (an analyst once cancelled a case through a page that passed nobody's role)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext

from shouhou.accounts.permissions import CASE_CREATE, action_refused_message, role_can


@dataclass(frozen=True)
class SystemActor:
    """Code acting on its own: the scheduler, a webhook, the demo, an operator's `--system` CLI run."""

    name: str = "system"

    def __str__(self) -> str:
        return f"system:{self.name}"


@dataclass(frozen=True)
class CustomerActor:
    """The customer on the self-service pages. `case_id` is the case whose follow link they hold (None
    while they open a new case from their order page)."""

    case_id: int | None = None


SYSTEM = SystemActor()
# What a customer may do, and only to their own case.
CUSTOMER_ACTIONS = frozenset({CASE_CREATE})


def _principal(actor) -> bool:
    return hasattr(actor, "shop") and hasattr(actor, "role") and hasattr(actor, "scopes")


def actor_role(actor, shop) -> str | None:
    """The role `actor` has in `shop`, or None (a user with no membership, a principal of another shop)."""
    if _principal(actor):
        return actor.role if actor.shop.pk == shop.pk else None
    if getattr(actor, "is_authenticated", False):
        from shouhou.accounts.access import role_for

        return role_for(actor, shop)
    return None


def actor_can(actor, shop, action: str, *, case_id: int | None = None) -> bool:
    """The rule, without raising: pages use it to offer only what the role may do."""
    if isinstance(actor, SystemActor):
        return True
    if isinstance(actor, CustomerActor):
        return action in CUSTOMER_ACTIONS and actor.case_id == case_id
    if actor is None or shop is None:
        return False
    return role_can(actor_role(actor, shop), action)


def require_role(actor, shop, action: str, *, case_id: int | None = None) -> None:
    """Raise PermissionDenied unless `actor` may do `action` in `shop`. Every write service calls it."""
    if actor is None:
        raise PermissionDenied(gettext("未指明操作人：请以用户、API 令牌或系统身份执行。"))
    if not actor_can(actor, shop, action, case_id=case_id):
        raise PermissionDenied(action_refused_message(action))


def acting_user(actor):
    """The user to record on events and audit rows (None for a token, the system or a customer)."""
    if _principal(actor):
        actor = getattr(actor, "user", None)
    return actor if getattr(actor, "is_authenticated", False) else None
