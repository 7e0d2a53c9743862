"""Log records as an operator reads them (settings.LOGGING)."""

from __future__ import annotations

import logging


class SecurityOneLine(logging.Filter):
    """A request refused for what the client sent (django.security.*: a host name not served, DisallowedHost; a
    malformed upload) is one line: the message names the host. It came with a 15-line stack trace of Django's
    middleware, for every scanner that reaches a public address with another Host header.

    A refusal of access (PermissionDenied: a user asking for a shop or an action their role does not have, 403) is
    one line too: Django logs it with the exception attached, and each one printed 40 lines of stack trace. A server
    error (500) keeps its stack trace."""

    def filter(self, record: logging.LogRecord) -> bool:
        refused = record.name == "django.request" and getattr(record, "status_code", None) == 403
        if (record.name.startswith("django.security.") or refused) and record.exc_info:
            record.exc_info = None
            record.exc_text = None
        return True
