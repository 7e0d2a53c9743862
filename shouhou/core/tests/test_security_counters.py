"""Security counters (core/counters.py): one atomic step per hit, shared by every process — Redis' INCR when
SHOUHOU_REDIS_URL is set, else one upsert in the database (SQLite, PostgreSQL); rate limits over two
processes; django-axes counting an IPv6 client by its /64."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import time_machine
from django.http import HttpResponse
from django.test import RequestFactory

from shouhou.core.counters import counter_give_back, counter_hit, counter_values
from shouhou.core.models import SecurityCounter
from shouhou.core.ratelimit import rate_check, rate_limit
from shouhou.core.testing.bursts import burst_in_two_processes

REPO = Path(__file__).resolve().parents[3]
T0 = dt.datetime(2026, 11, 11, 12, 0, 5, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_a_count_grows_then_starts_again_when_its_time_runs_out():
    with time_machine.travel(T0, tick=False) as clock:
        assert [counter_hit("k", expires_in=900) for _ in range(3)] == [1, 2, 3]
        clock.shift(899)  # a live count keeps the end its first hit gave it
        assert counter_hit("k", expires_in=900) == 4
        assert counter_values(["k", "other"]) == [4, 0]
        clock.shift(1)  # 900 s after the first hit: ended
        assert counter_values(["k"]) == [0]
        assert counter_hit("k", expires_in=900) == 1
        row = SecurityCounter.objects.get(key="k")
        assert row.expires_at == int(T0.timestamp()) + 900 + 900  # the new count's own end


@pytest.mark.django_db
def test_a_give_back_never_goes_below_zero_nor_touches_an_ended_count():
    with time_machine.travel(T0, tick=False) as clock:
        counter_hit("k", expires_in=60)
        for _ in range(3):
            counter_give_back("k")
        assert SecurityCounter.objects.get(key="k").hits == 0
        counter_give_back("absent")  # nothing to give back: nothing created
        assert not SecurityCounter.objects.filter(key="absent").exists()
        assert counter_hit("k", expires_in=60) == 1
        counter_hit("k", expires_in=60)
        clock.shift(60)
        counter_give_back("k")  # the window ended meanwhile
        assert SecurityCounter.objects.get(key="k").hits == 2
        assert counter_hit("k", expires_in=60) == 1


@pytest.mark.django_db
def test_long_keys_fit_the_row_and_stay_apart():
    a, b = "portal:fail:order:" + "x" * 400, "portal:fail:order:" + "x" * 399 + "y"
    with time_machine.travel(T0, tick=False):
        assert [counter_hit(a, expires_in=60), counter_hit(a, expires_in=60), counter_hit(b, expires_in=60)] == [1, 2, 1]
        assert counter_values([a, b]) == [2, 1]
    assert all(len(key) <= 200 for key in SecurityCounter.objects.values_list("key", flat=True))


@pytest.mark.django_db
def test_ended_counts_are_purged_by_an_hourly_schedule():
    from django.utils.module_loading import import_string

    from shouhou.config.schedule import declared_schedules

    with time_machine.travel(T0, tick=False) as clock:
        counter_hit("short", expires_in=60)
        counter_hit("long", expires_in=3600)
        clock.shift(61)
        job = next(j for j in declared_schedules() if j["name"].endswith("counters_purge"))
        assert job["minutes"] == 60
        assert import_string(job["func"])() == 1
    assert list(SecurityCounter.objects.values_list("key", flat=True)) == ["long"]


@pytest.mark.django_db
def test_without_redis_a_hit_is_one_statement_in_the_database(django_assert_num_queries, one_rate_window):
    from django.core.cache import cache

    with django_assert_num_queries(1):
        assert rate_check(scope="one", key="10.0.0.1", rate="3/h").count == 1
    with django_assert_num_queries(1):
        assert counter_hit("portal:fail:ip:10.0.0.1", expires_in=900) == 1
    assert SecurityCounter.objects.count() == 2
    assert not cache.has_key("portal:fail:ip:10.0.0.1")  # a memory or file cache is never the count


@pytest.fixture
def redis_cache(settings):
    """The default cache on the local Redis, as SHOUHOU_REDIS_URL makes it, under a key prefix of its own."""
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:6379/0",
                                   "KEY_PREFIX": f"shouhou-test-{uuid.uuid4().hex}"}}
    yield cache
    cache.delete_many(["rk", "absent"])


@pytest.mark.django_db
def test_with_redis_the_count_is_redis_incr_and_the_database_is_not_touched(redis_cache,
                                                                           django_assert_num_queries):
    with django_assert_num_queries(0):
        assert [counter_hit("rk", expires_in=900) for _ in range(3)] == [1, 2, 3]
        assert counter_values(["rk", "absent"]) == [3, 0]
        for _ in range(5):
            counter_give_back("rk")
        counter_give_back("absent")
    assert redis_cache.get("rk") == 0  # given back to zero, not below
    assert not redis_cache.has_key("absent")  # a give-back never creates a key (it would never expire)
    client = redis_cache._cache.get_client(write=True)
    assert 0 < client.ttl(redis_cache.make_and_validate_key("rk")) <= 900
    assert SecurityCounter.objects.count() == 0


def test_the_settings_with_shouhou_redis_url_take_the_redis_path():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHOUHOU_", "PYTEST"))}
    env.update({"SHOUHOU_REDIS_URL": "redis://127.0.0.1:6379/0", "DJANGO_SETTINGS_MODULE": "shouhou.config.settings",
                "SHOUHOU_DATA_DIR": os.environ.get("SHOUHOU_DATA_DIR", "/tmp")})
    code = ("import django; django.setup(); from shouhou.core.counters import _redis; "
            "print(type(_redis('default')).__name__)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.strip() == "RedisCache", done.stderr[-2000:]


@rate_limit(scope="burst", rate="5/h", key="ip")
def _limited_view(request):
    return HttpResponse("ok")


def _hit_view(address: str) -> int:
    return _limited_view(RequestFactory().get("/x", REMOTE_ADDR=address)).status_code


@pytest.mark.django_db(transaction=True)  # the other process must see the rows
def test_a_rate_limit_holds_for_a_burst_over_two_processes(one_rate_window):
    """12 requests at once from fresh addresses of one IPv6 /64, half in each process: 5 allowed."""
    codes, pids = burst_in_two_processes(_hit_view, [(f"2001:db8:9:9::{n + 1:x}",) for n in range(12)])
    assert len(pids) == 2
    assert codes == [200] * 5 + [429] * 7


@pytest.mark.parametrize(("address", "counted"), [
    ("198.51.100.7", "198.51.100.7"),
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::"),
    ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::"),
    ("::ffff:10.0.0.7", "10.0.0.7"),
    ("", None),
    ("unknown", None),
])
def test_axes_counts_an_ipv6_client_by_its_64_network(address, counted):
    from shouhou.core.clientip import client_ip_for_axes

    assert client_ip_for_axes(RequestFactory().get("/", REMOTE_ADDR=address)) == counted


@pytest.mark.django_db
def test_a_client_changing_its_ipv6_address_is_locked_out_of_staff_login(client, settings):
    """Ten failures from ten addresses of one /64 lock that network (axes' AXES_FAILURE_LIMIT); another
    network still logs in. Per address, each new address was a fresh ten."""
    from axes.models import AccessAttempt

    from shouhou.core.testing.factories import UserFactory

    assert settings.AXES_CLIENT_IP_CALLABLE == "shouhou.core.clientip.client_ip_for_axes"
    UserFactory(username="kefu9", is_staff=True)  # password pass-12345

    def login(username: str, address: str) -> int:
        return client.post("/accounts/login/", {"username": username, "password": "pass-12345"},
                           REMOTE_ADDR=address).status_code

    for n in range(settings.AXES_FAILURE_LIMIT):
        login(f"guess{n}", f"2001:db8:5:5::{n + 1:x}")
    assert login("kefu9", "2001:db8:5:5:abcd::1") == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"2001:db8:5:5::"}
    assert login("kefu9", "2001:db8:5:6::1") == 302
