import pytest

from shouhou.notifications.tests.httpstub import Stub


@pytest.fixture
def http_stub():
    stub = Stub()
    stub.base_url = stub.start()
    yield stub
    stub.stop()


@pytest.fixture(autouse=True)
def _notify_settings(settings):
    settings.SHOUHOU_NOTIFY_WEBHOOK_SECRET = "hook-secret"
    settings.SHOUHOU_NOTIFY_CHANNELS = {}
    settings.SHOUHOU_NOTIFY_PROVIDERS = {}
