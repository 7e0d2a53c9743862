"""Rate limits, the webhook verifier, PII masking, the database-down middleware."""

from __future__ import annotations

import time

import pytest
import time_machine
from django.db import OperationalError, transaction
from django.http import HttpResponse
from django.test import RequestFactory

from shouhou.core.middleware import DatabaseUnavailableMiddleware
from shouhou.core.models import IdempotencyKey
from shouhou.core.pii import has_phone, mask_address, mask_name, scrub_phones
from shouhou.core.ratelimit import cache_safe, parse_rate, rate_check, rate_limit
from shouhou.core.signatures import SignatureError
from shouhou.core.webhooks import WebhookReplay, signed_headers, webhook_verify


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.mark.parametrize(("rate", "expected"), [("10/m", (10, 60)), ("5/h", (5, 3600)), ("100/5m", (100, 300)),
                                                ("1/s", (1, 1)), ("3/d", (3, 86400))])
def test_parse_rate(rate, expected):
    assert parse_rate(rate) == expected


def test_parse_rate_refuses_nonsense():
    with pytest.raises(ValueError, match="无法识别"):
        parse_rate("ten/m")


@pytest.mark.django_db  # counted in the database when there is no Redis (core/counters.py)
def test_rate_check_counts_per_key_and_resets_with_the_window():
    with time_machine.travel("2026-11-11 12:00:05+00:00", tick=False):
        results = [rate_check(scope="t", key="1.2.3.4", rate="3/m") for _ in range(4)]
        other = rate_check(scope="t", key="5.6.7.8", rate="3/m")
    assert [r.allowed for r in results] == [True, True, True, False]
    assert results[-1].retry_after == 55
    assert other.allowed is True
    with time_machine.travel("2026-11-11 12:01:01+00:00", tick=False):
        assert rate_check(scope="t", key="1.2.3.4", rate="3/m").allowed is True


@pytest.mark.django_db  # counted in the database when there is no Redis (core/counters.py)
def test_a_key_from_the_request_is_hashed_into_the_cache_key_and_still_counted_apart():
    # an IP or a user id stands as it is; a token, a Chinese text or a long value is hashed, so the cache key
    # stays short and plain whatever a client sends (memcached refuses spaces, non-ASCII and > 250 bytes)
    from shouhou.core.counters import counter_values

    assert cache_safe("1.2.3.4") == "1.2.3.4" and cache_safe("user:17") == "user:17"
    long_token, chinese = "x" * 5000, "店铺机密 文本"
    assert cache_safe(long_token) != cache_safe("x" * 4999)
    assert all(len(cache_safe(k)) == 33 and cache_safe(k).isascii() and " " not in cache_safe(k)
               for k in (long_token, chinese, "a b"))
    with time_machine.travel("2026-11-11 12:00:05+00:00", tick=False):
        first = [rate_check(scope="t", key=chinese, rate="2/m").allowed for _ in range(3)]
        other = rate_check(scope="t", key="店铺机密 文本2", rate="2/m").allowed
        assert counter_values([f"rl:t:{cache_safe(chinese)}:{1794398400}"]) == [3]
    assert first == [True, True, False] and other is True


@pytest.mark.django_db  # counted in the database when there is no Redis (core/counters.py)
def test_rate_limit_decorator_answers_429_in_chinese_with_retry_after(one_rate_window):
    @rate_limit(scope="lookup", rate="2/m", key="ip")
    def view(request):
        return HttpResponse("ok")

    rf = RequestFactory()
    codes = [view(rf.get("/p/lookup", REMOTE_ADDR="10.0.0.1")).status_code for _ in range(2)]
    blocked = view(rf.get("/p/lookup", REMOTE_ADDR="10.0.0.1"))
    elsewhere = view(rf.get("/p/lookup", REMOTE_ADDR="10.0.0.2"))

    assert codes == [200, 200]
    assert blocked.status_code == 429
    assert "请求过于频繁" in blocked.content.decode()
    assert 1 <= int(blocked["Retry-After"]) <= 60
    assert elsewhere.status_code == 200


@pytest.mark.parametrize(("address", "key"), [
    ("10.0.0.1", "10.0.0.1"),
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
    ("::ffff:10.0.0.7", "10.0.0.7"),
    ("unknown", "unknown"),
])
def test_an_ipv6_client_is_counted_by_its_64_network(address, key):
    from shouhou.core.clientip import ip_limit_key

    assert ip_limit_key(address) == key


@pytest.mark.django_db  # counted in the database when there is no Redis (core/counters.py)
def test_the_per_ip_limit_holds_for_a_client_changing_its_ipv6_address(one_rate_window):
    """One subscriber holds a whole /64: a fresh address for each request used to be a fresh budget."""
    @rate_limit(scope="lookup6", rate="2/m", key="ip")
    def view(request):
        return HttpResponse("ok")

    rf = RequestFactory()
    codes = [view(rf.get("/p/lookup", REMOTE_ADDR=f"2001:db8:1:2::{n:x}")).status_code for n in range(1, 4)]
    neighbour = view(rf.get("/p/lookup", REMOTE_ADDR="2001:db8:1:3::1"))
    assert codes == [200, 200, 429] and neighbour.status_code == 200


@pytest.mark.django_db  # counted in the database when there is no Redis (core/counters.py)
def test_rate_limit_by_custom_key_only_for_listed_methods(one_rate_window):
    @rate_limit(scope="survey", rate="1/h", key=lambda r: r.POST.get("token", ""), methods=("POST",))
    def view(request):
        return HttpResponse("ok")

    rf = RequestFactory()
    assert view(rf.post("/s", {"token": "abc"})).status_code == 200
    assert view(rf.post("/s", {"token": "abc"})).status_code == 429
    assert view(rf.post("/s", {"token": "xyz"})).status_code == 200
    assert view(rf.get("/s")).status_code == 200


@pytest.mark.parametrize(("address", "masked"), [
    ("浙江省杭州市西湖区文三路1号", "浙江省杭州市****"),
    ("北京市朝阳区", "北京市****"),
    ("", ""),
])
def test_mask_address(address, masked):
    assert mask_address(address) == masked


def test_mask_name_and_phone_scrubbing():
    assert mask_name("张三丰") == "张**"
    text = "我电话13812345678，备用 +86 139-1234-5678，订单号 202611110001234567"
    assert scrub_phones(text) == "我电话138****5678，备用 139****5678，订单号 202611110001234567"
    assert has_phone(text) is True
    assert has_phone("订单号 202611110001234567") is False


def _signed_request(body: bytes, secret="s3cret", **kw):
    headers = signed_headers(secret, body, **kw)
    meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return RequestFactory().post("/hook", data=body, content_type="application/json", **meta)


@pytest.mark.django_db
def test_webhook_verify_accepts_once_then_flags_the_replay():
    body = b'{"event":"signed"}'
    request = _signed_request(body)

    first = webhook_verify(request, secret="s3cret", scope="test")
    first.remember({"ok": True, "id": 7})
    again = webhook_verify(request, secret="s3cret", scope="test")

    assert first.first is True
    assert again.first is False and again.result == {"ok": True, "id": 7}
    with pytest.raises(WebhookReplay, match="重复"):
        webhook_verify(request, secret="s3cret", scope="test", reject_replays=True)


@pytest.mark.django_db
def test_a_replay_with_another_nonce_is_still_a_replay():
    # given a signed delivery applied once
    body = b'{"event":"signed"}'
    first = webhook_verify(_signed_request(body, timestamp=int(time.time()), nonce="a"), secret="s3cret", scope="t")
    # when the same signed request is sent again with a nonce of the attacker's choosing (the nonce is unsigned)
    again = _signed_request(body, timestamp=int(first.row.key.split(":")[0]), nonce="b")
    # then it is the same delivery, not a new one
    assert first.first is True and webhook_verify(again, secret="s3cret", scope="t").first is False
    with pytest.raises(WebhookReplay):
        webhook_verify(_signed_request(body, timestamp=int(first.row.key.split(":")[0]), nonce="c"),
                       secret="s3cret", scope="t", reject_replays=True)


@pytest.mark.django_db
def test_webhook_verify_refuses_bad_signature_and_stale_timestamp():
    body = b'{"event":"x"}'
    with pytest.raises(SignatureError, match="签名不匹配"):
        webhook_verify(_signed_request(body, secret="wrong"), secret="s3cret", scope="test")
    with pytest.raises(SignatureError, match="重放"):
        webhook_verify(_signed_request(body, timestamp=1_000_000_000), secret="s3cret", scope="test")
    assert IdempotencyKey.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_webhook_nonce_is_released_when_the_work_rolls_back():
    request = _signed_request(b'{"event":"y"}', nonce="n-1")

    with pytest.raises(RuntimeError), transaction.atomic():
        webhook_verify(request, secret="s3cret", scope="test")
        raise RuntimeError("database went away mid-write")
    retry = webhook_verify(request, secret="s3cret", scope="test")

    assert retry.first is True


@pytest.mark.django_db
def test_database_unavailable_middleware_answers_503_with_retry_after():
    def boom(request):
        raise OperationalError("server closed the connection unexpectedly")

    response = DatabaseUnavailableMiddleware(boom)(RequestFactory().post("/hook"))

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "数据库连接中断" in response.content.decode()


def test_rate_check_on_redis_counts_across_processes_sharing_the_cache(settings, one_rate_window):
    """With SHOUHOU_REDIS_URL the counter lives in Redis; two cache clients see the same count."""
    import uuid

    from django.core.cache import caches

    prefix = f"shouhou-test-{uuid.uuid4().hex}"
    settings.CACHES = {**settings.CACHES, "redis_a": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                                      "LOCATION": "redis://127.0.0.1:6379/0", "KEY_PREFIX": prefix},
                       "redis_b": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:6379/0", "KEY_PREFIX": prefix}}
    # (a unique key prefix; the counter expires with its window, nothing else in Redis is touched)
    a = [rate_check(scope="r", key="ip", rate="3/h", cache_alias="redis_a").allowed for _ in range(2)]
    b = [rate_check(scope="r", key="ip", rate="3/h", cache_alias="redis_b").allowed for _ in range(2)]

    assert a + b == [True, True, True, False]
    assert caches["redis_a"].get(f"rl:r:ip:{_hour_bucket()}") == 4


def _hour_bucket() -> int:
    import time

    now = int(time.time())
    return now - now % 3600


@pytest.mark.django_db
def test_old_webhook_nonces_are_purged_and_content_keys_kept():
    import datetime as dt

    import time_machine

    from shouhou.core.idempotency import idempotency_claim
    from shouhou.core.models import IdempotencyKey
    from shouhou.core.webhooks import webhook_nonces_purge

    t0 = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
    with time_machine.travel(t0, tick=False):
        idempotency_claim(scope="webhook:logistics.generic", key="1763640000:sig-old")
        idempotency_claim(scope="reviews.webhook", key="7:evt-1")
    with time_machine.travel(t0 + dt.timedelta(days=2, hours=1), tick=False):
        idempotency_claim(scope="webhook:logistics.generic", key="1763820000:sig-new")
        assert webhook_nonces_purge() == 1
    assert sorted(IdempotencyKey.objects.values_list("scope", "key")) == [
        ("reviews.webhook", "7:evt-1"), ("webhook:logistics.generic", "1763820000:sig-new")]
