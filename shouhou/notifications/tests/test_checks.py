"""A mistyped provider or channel in SHOUHOU_NOTIFY_CHANNELS is named at start-up, not at the first send."""

from __future__ import annotations

from shouhou.notifications.checks import notify_channels_check


def test_known_channels_and_providers_pass(settings):
    settings.SHOUHOU_NOTIFY_CHANNELS = {"sms": "aliyun_sms"}
    assert notify_channels_check() == []


def test_a_mistyped_provider_and_an_unknown_channel_are_named(settings):
    settings.SHOUHOU_NOTIFY_CHANNELS = {"sms": "aliyun-sms", "fax": "local"}
    errors = notify_channels_check()
    assert [e.id for e in errors] == ["notifications.E002", "notifications.E001"]
    assert "aliyun-sms" in errors[0].msg and "aliyun_sms" in errors[0].hint
    assert "fax" in errors[1].msg
