"""Adapter per platform; `adapter_for(connection)` builds the one a connection uses."""

from __future__ import annotations


def adapter_for(connection, *, secret: str | None = None):
    from shouhou.platforms.adapters.doudian import DoudianAdapter
    from shouhou.platforms.crypto import unseal

    secret = secret if secret is not None else unseal(connection.secrets).get("app_secret", "")
    if connection.platform == "doudian":
        return DoudianAdapter(app_key=connection.app_key, app_secret=secret, api_base=connection.api_base)
    raise ValueError(f"没有平台 {connection.platform} 的适配器")
