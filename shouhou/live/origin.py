"""The WebSocket's Origin must be the page's own origin, as Django's CSRF check asks of a form.

Channels' AllowedHostsOriginValidator (config/asgi.py) compares only the Origin's host name with
ALLOWED_HOSTS: any port and any scheme pass. A page on another port of the same host (another web app, a
tool, a test server — the same site, so the browser sends the agent's Lax session cookie) could then open
/ws/desk/ in the agent's browser and read every message of the shop. Here the Origin's host and port must be
those the request was sent to (the Host header, which the proxy keeps: deploy/nginx.conf), or the origin is
listed in SHOUHOU_CSRF_TRUSTED_ORIGINS, which is what Django's CSRF check accepts for the pages' forms.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _host(scheme: str, host: str, port: int | None) -> str:
    """host[:port], the default port of the scheme left out, lower case."""
    host = host.lower()
    if ":" in host and not host.startswith("["):  # an IPv6 address, as the Host header writes it
        host = f"[{host}]"
    return host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"


def same_origin(scope) -> bool:
    """Whether the handshake's Origin is the origin the page was served from (or a trusted one)."""
    headers = {name: value for name, value in scope.get("headers", [])}
    origin = headers.get(b"origin", b"").decode("latin1").strip()
    host = headers.get(b"host", b"").decode("latin1").strip()
    if not origin or not host:
        return False
    if origin.rstrip("/") in {trusted.rstrip("/") for trusted in settings.CSRF_TRUSTED_ORIGINS}:
        return True
    try:
        parsed, requested = urlsplit(origin), urlsplit(f"//{host}")
        origin_port, requested_port = parsed.port, requested.port
    except ValueError:  # a port that is not a number
        return False
    if parsed.scheme not in _DEFAULT_PORTS or not parsed.hostname or not requested.hostname:
        return False
    if parsed.path not in ("", "/") or parsed.query or parsed.username is not None:
        return False
    # The Host header carries no scheme: its port is the Origin's default port when left out.
    return _host(parsed.scheme, parsed.hostname, origin_port) == _host(parsed.scheme, requested.hostname,
                                                                       requested_port)


class SameOriginOnly:
    """Wrap a WebSocket ASGI application: a handshake from another origin is refused (403), as a page's POST
    from another origin fails Django's CSRF check."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope.get("type") == "websocket" and not same_origin(scope):
            return await WebsocketDenier.as_asgi()(scope, receive, send)
        return await self.application(scope, receive, send)
