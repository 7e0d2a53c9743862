"""Log records as an operator reads them (settings.LOGGING)."""

from __future__ import annotations

import logging


class SecurityOneLine(logging.Filter):
    """A request refused for what the client sent (django.security.*: a host name not served, DisallowedHost; a
    malformed upload) is one line: the message names the host. It came with a 15-line stack trace of Django's
    middleware, for every scanner that reaches a public address with another Host header."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("django.security.") and record.exc_info:
            record.exc_info = None
            record.exc_text = None
        return True
