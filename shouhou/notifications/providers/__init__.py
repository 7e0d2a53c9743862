"""Provider registry: channel -> provider name comes from settings.SHOUHOU_NOTIFY_CHANNELS,
defaulting to the local outbox for every channel (the embedded default)."""

from __future__ import annotations

from django.conf import settings

from shouhou.notifications.providers.aliyun_sms import AliyunSmsProvider
from shouhou.notifications.providers.base import (
    PermanentError,
    Provider,
    RetryableError,
    SendResult,
    provider_options,
)
from shouhou.notifications.providers.email import EmailProvider, InAppProvider
from shouhou.notifications.providers.local import LocalProvider
from shouhou.notifications.providers.tencent_sms import TencentSmsProvider
from shouhou.notifications.providers.wechat import (
    WeChatSubscribeProvider,
    WeChatTemplateProvider,
    WeComProvider,
)

REGISTRY: dict[str, type[Provider]] = {
    p.name: p for p in (LocalProvider, AliyunSmsProvider, TencentSmsProvider, WeChatTemplateProvider,
                        WeChatSubscribeProvider, WeComProvider, EmailProvider, InAppProvider)
}

__all__ = ["REGISTRY", "PermanentError", "Provider", "RetryableError", "SendResult", "provider_for_channel",
           "register"]


def register(cls: type[Provider]) -> type[Provider]:
    REGISTRY[cls.name] = cls
    return cls


def provider_for_channel(channel: str) -> Provider:
    name = getattr(settings, "SHOUHOU_NOTIFY_CHANNELS", {}).get(channel, "local")
    return REGISTRY[name](provider_options(name))
