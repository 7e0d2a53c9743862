"""A shop admin cannot make the server send requests to an address of their choosing (SSRF): a connection's
API address is the platform's official gateway or one the operator listed in SHOUHOU_PLATFORM_API_BASES."""

from __future__ import annotations

import pytest

from shouhou.accounts.actors import SYSTEM
from shouhou.notifications.tests.httpstub import Stub
from shouhou.platforms import services
from shouhou.platforms.actback import ActbackError, authorize_start
from shouhou.platforms.models import PlatformConnection

pytestmark = pytest.mark.django_db


@pytest.fixture
def internal():
    """Something on this machine that must not be reached: it answers with a secret to see if it is shown."""
    stub = Stub()
    url = stub.start()
    stub.default = (500, {"code": 1, "msg": "INTERNAL-SECRET redis_password=hunter2"})
    yield url, stub
    stub.stop()


@pytest.fixture
def nothing_listed(settings):
    settings.SHOUHOU = {**settings.SHOUHOU, "PLATFORM_API_BASES": []}


@pytest.mark.parametrize("platform", ["doudian", "kuaishou", "wechat_shop", "youzan"])
def test_the_connect_page_refuses_an_unlisted_address_before_sending_anything(client, shop, shop_admin, internal,
                                                                              nothing_listed, platform):
    url, stub = internal
    client.force_login(shop_admin)
    # when a shop admin connects with an internal address as the API base
    page = client.post("/platforms/", {"platform": platform, "app_key": "k", "app_secret": "s",
                                       "platform_shop_id": "123", "api_base": f"{url}/internal/"}, follow=True)
    # then nothing was sent, nothing is stored, and the page says why without anything from that address
    text = page.content.decode()
    assert stub.requests == [] and not PlatformConnection.objects.exists()
    assert "SHOUHOU_PLATFORM_API_BASES" in text and "hunter2" not in text


def test_the_authorisation_start_refuses_it_too(shop, internal, nothing_listed):
    url, stub = internal
    with pytest.raises(ActbackError, match="接口地址只能留空"):
        authorize_start(shop=shop, actor=SYSTEM, platform="doudian", redirect_uri="http://x/cb", app_key="k",
                        app_secret="s", api_base=url)
    assert stub.requests == [] and not PlatformConnection.objects.exists()


@pytest.mark.parametrize(("platform", "base", "ok"), [
    ("doudian", "", True),
    ("doudian", "https://openapi-fxg.jinritemai.com", True),
    ("doudian", "https://openapi-fxg.jinritemai.com:443/", True),
    ("doudian", "http://openapi-fxg.jinritemai.com", False),  # not over TLS
    ("doudian", "https://openapi-fxg.jinritemai.com.evil.example", False),
    ("doudian", "https://openapi.kwaixiaodian.com", False),  # another platform's gateway
    ("kuaishou", "https://openapi.kwaixiaodian.com", True),
    ("wechat_shop", "https://api.weixin.qq.com", True),
    ("youzan", "https://open.youzanyun.com", True),
    ("youzan", "http://169.254.169.254/latest/meta-data", False),
    ("youzan", "http://[::1]:6379", False),
])
def test_only_the_official_gateway_without_a_list(nothing_listed, platform, base, ok):
    if ok:
        assert services.api_base_checked(platform, base) == base.strip()
    else:
        with pytest.raises(services.ConnectionError_):
            services.api_base_checked(platform, base)


def test_the_operators_list_admits_a_host_or_a_host_and_port(settings):
    settings.SHOUHOU = {**settings.SHOUHOU, "PLATFORM_API_BASES": ["http://127.0.0.1", "https://sandbox.example:8443"]}
    assert services.api_base_checked("doudian", "http://127.0.0.1:9999/x") == "http://127.0.0.1:9999/x"
    assert services.api_base_checked("doudian", "https://sandbox.example:8443/") == "https://sandbox.example:8443/"
    for refused in ("https://sandbox.example:9443/", "https://127.0.0.1:9999", "http://localhost:9999"):
        with pytest.raises(services.ConnectionError_):
            services.api_base_checked("doudian", refused)
