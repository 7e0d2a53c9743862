"""The client's IP address, the one place it is derived (per-IP rate limits, login throttling, audit).

A request's peer is the client unless the peer is one of SHOUHOU_TRUSTED_PROXIES (addresses or networks,
none by default). Only then is X-Forwarded-For read, from the right: the first address that is not a
trusted proxy is the client (entries further left were written by the client and prove nothing).
`TrustedProxyMiddleware` (core/middleware.py) applies this once per request: it sets REMOTE_ADDR to the
client and removes the forwarded headers from any peer that is not trusted, so nothing later in the
stack (Django's SECURE_PROXY_SSL_HEADER, django-axes, views) can be fooled by them.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Headers a client could send to claim another address or scheme; dropped unless a trusted proxy sent them.
FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST",
                     "HTTP_X_FORWARDED_PORT", "HTTP_X_REAL_IP", "HTTP_FORWARDED")
PEER_KEY = "shouhou.peer_addr"  # request.META: the address the connection came from


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"SHOUHOU_TRUSTED_PROXIES：无法识别的地址 {entry!r}") from exc
    return tuple(networks)


def trusted_networks() -> tuple[Network, ...]:
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def is_trusted(address: str, networks: tuple[Network, ...] | None = None) -> bool:
    networks = trusted_networks() if networks is None else networks
    parsed = _address(address)
    return parsed is not None and any(parsed in net for net in networks)


def forwarded_client(*, peer: str, forwarded_for: str, networks: tuple[Network, ...]) -> str:
    """The client behind trusted proxies: the right-most X-Forwarded-For entry that is not one of them."""
    if not networks or not is_trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop, networks):
            parsed = _address(hop)
            return str(parsed) if parsed is not None else peer
    return str(_address(hops[0])) if hops and _address(hops[0]) else peer


def ip_limit_key(address: str) -> str:
    """What a per-IP limit counts: an IPv4 address as it is, an IPv6 address by its /64 network. One IPv6
    subscriber (a home line, a phone, a cloud server) is given a whole /64, 2^64 addresses: counted per
    address, the portal's 5 guesses per 15 minutes per IP were a fresh 5 for every address it chose."""
    parsed = _address(address or "")
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{parsed}/64", strict=False))
    return str(parsed) if parsed is not None else (address or "unknown")


def client_ip(request: HttpRequest) -> str:
    """The client's address (after TrustedProxyMiddleware); 'unknown' when the server gives none."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def client_ip_for_axes(request: HttpRequest) -> str | None:
    """The address django-axes counts login failures by (AXES_CLIENT_IP_CALLABLE): as `ip_limit_key` counts,
    an IPv6 client by its /64 — written as the network's first address, since axes keeps it in an inet
    column on PostgreSQL (a GenericIPAddressField) — and an IPv4-mapped one as IPv4. Counted per address, a
    client with a /64 had 10 fresh attempts on every account for each of its 2^64 addresses. None when
    there is no valid address (a request built in code, e.g. force_login, has no peer)."""
    parsed = _address(request.META.get("REMOTE_ADDR", ""))
    if parsed is None:
        return None
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{parsed}/64", strict=False).network_address)
    return str(parsed)
