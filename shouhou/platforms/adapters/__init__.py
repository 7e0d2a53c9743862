"""Adapter per platform; `adapter_for(connection)` builds the one a connection uses."""

from __future__ import annotations


def adapter_class(platform: str):
    from shouhou.platforms.adapters.doudian import DoudianAdapter
    from shouhou.platforms.adapters.kuaishou import KuaishouAdapter
    from shouhou.platforms.adapters.wechat_shop import WechatShopAdapter
    from shouhou.platforms.adapters.youzan import YouzanAdapter

    classes = {"doudian": DoudianAdapter, "kuaishou": KuaishouAdapter, "wechat_shop": WechatShopAdapter,
               "youzan": YouzanAdapter}
    if platform not in classes:
        raise ValueError(f"没有平台 {platform} 的适配器")
    return classes[platform]


def adapter_for(connection, *, secret: str | None = None, secrets: dict | None = None, extra: dict | None = None):
    """The adapter with the connection's credentials: `secrets` (decrypted), or just the app `secret` (+ `extra`
    secrets such as 快手's sign and message secrets) while connecting; neither: read them from the connection."""
    from shouhou.platforms.crypto import unseal

    if secrets is None:
        secrets = {**(extra or {}), "app_secret": secret} if secret is not None else unseal(connection.secrets)
    return adapter_class(connection.platform).from_secrets(
        app_key=connection.app_key, secrets=secrets, api_base=connection.api_base)
