"""Start-up checks of the care-message settings (read from the environment since 2026-12-06): a provider or
channel name mistyped in SHOUHOU_NOTIFY_CHANNELS is named when the product starts (`shouhou check`, serve,
migrate), not found by the first customer message that fails with a KeyError at send time."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register


@register()
def notify_channels_check(app_configs=None, **kwargs) -> list[Error]:
    from shouhou.notifications.choices import MsgChannel
    from shouhou.notifications.providers import REGISTRY

    errors = []
    chosen = getattr(settings, "SHOUHOU_NOTIFY_CHANNELS", {}) or {}
    for channel, name in chosen.items():
        if channel not in MsgChannel.values:
            errors.append(Error(f"SHOUHOU_NOTIFY_CHANNELS：未知的渠道「{channel}」",
                                hint="可用的渠道：" + "、".join(MsgChannel.values), id="notifications.E001"))
        if not isinstance(name, str) or name not in REGISTRY:
            errors.append(Error(f"SHOUHOU_NOTIFY_CHANNELS：渠道「{channel}」的发送方「{name}」不存在",
                                hint="可用的发送方：" + "、".join(sorted(REGISTRY)), id="notifications.E002"))
    return errors
