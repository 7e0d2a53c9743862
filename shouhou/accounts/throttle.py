"""Login throttling: django-axes with one change to what a successful login forgives.

axes' database handler, on a successful login with `AXES_RESET_ON_SUCCESS`, deletes every failure that
matches *any* lockout parameter of that request — the account's, and also every failure from the client's
address on any other account. Anyone with one working login (their own staff account, in any shop of the
install) could then guess another account's password without limit: nine guesses at the shop admin, one
login of their own from the same address, nine more… neither the account's lock nor the address's lock was
ever reached.

Here a success forgives only the failures of the account that just proved its password (from any address):
the address's failures on other accounts stay counted. Configured with
`AXES_HANDLER = "shouhou.accounts.throttle.OwnFailuresResetHandler"`.
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt


class OwnFailuresResetHandler(AxesDatabaseHandler):
    def reset_user_attempts(self, request, credentials=None) -> int:
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count
