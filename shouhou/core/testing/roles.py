"""Every role, for the role × write-operation tables (each app's tests/test_roles.py).

`outsider` is a signed-in user with no membership in the shop; `system` is the explicit SYSTEM actor."""

from __future__ import annotations

from shouhou.accounts.choices import Role
from shouhou.core.testing.factories import MembershipFactory, UserFactory

STAFF_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN, Role.ANALYST, "outsider")
WRITERS = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
SUPERVISORS = frozenset({Role.SUPERVISOR, Role.ADMIN})
ADMINS = frozenset({Role.ADMIN})


def user_with_role(shop, role: str):
    """A user whose role in `shop` is `role` (an outsider has none)."""
    user = UserFactory(username=f"u-{role}")
    if role != "outsider":
        MembershipFactory(shop=shop, user=user, role=role, approval_limit=50)
    return user


def token_with_role(shop, role: str) -> str:
    """`Authorization` header value for an all-scopes API token with `role` in `shop`."""
    from shouhou.accounts.actors import SYSTEM
    from shouhou.accounts.services import token_issue

    return f"Bearer {token_issue(shop=shop, name=f'{role} token', scopes=['*'], role=role, actor=SYSTEM).secret}"
