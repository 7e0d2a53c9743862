import pytest
from django.core.cache import cache

pytestmark = pytest.mark.django_db


def test_survey_page_is_rate_limited_per_ip(client, one_rate_window):
    cache.clear()
    codes = [client.get("/insight/s/no-such-token/", REMOTE_ADDR="10.9.8.7").status_code for _ in range(31)]
    assert codes[:30] == [404] * 30
    assert codes[30] == 429
    # Another client is not affected.
    assert client.get("/insight/s/no-such-token/", REMOTE_ADDR="10.9.8.8").status_code == 404
