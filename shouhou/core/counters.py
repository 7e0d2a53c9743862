"""Security counters every web process, the worker and every machine share: rate-limit windows
(core/ratelimit.py) and the portal's guesses (portal/services.py).

    count = counter_hit("portal:fail:ip:10.0.0.1", expires_in=900)   # this hit included
    counter_give_back("portal:fail:ip:10.0.0.1")                      # never below zero
    counter_values(["a", "b"])                                        # [0, 3]: 0 when absent or expired

Each hit is one atomic operation wherever the count lives, so a burst spread over processes cannot get more
than its budget:

- Redis (the cache is RedisCache, i.e. SHOUHOU_REDIS_URL is set): SET NX EX then INCR in one MULTI/EXEC;
  a give-back is a small Lua script that decrements only a live count above zero.
- otherwise the database (SQLite or PostgreSQL, table core_securitycounter): one INSERT … ON CONFLICT DO
  UPDATE … RETURNING per hit, which starts the count again when the row's time ran out. A file or memory
  cache is not used: its add/incr are a read and a write, not one step, across processes.

A count lives `expires_in` seconds from its first hit (a rate-limit key carries its calendar window, so its
row ends with the window). Ended rows are deleted by `counters_purge` (core/schedules.py, hourly).
Time is this process's clock (time.time()), so tests move it with time_machine.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence

from django.core.cache import caches
from django.db import connections, router

MAX_KEY = 200  # SecurityCounter.key

# KEYS[1]: decrement a live count above zero; an absent key is not created (it would have no expiry).
_GIVE_BACK = ("local v = tonumber(redis.call('GET', KEYS[1]) or '0') "
              "if v and v > 0 then return redis.call('DECR', KEYS[1]) end return 0")


def _model():
    from shouhou.core.models import SecurityCounter  # when used: importing ratelimit needs no app loaded

    return SecurityCounter


def _now() -> int:
    return int(time.time())


def _redis(cache_alias: str):
    """The cache when it is Redis (its INCR is atomic across processes and machines), else None."""
    from django.core.cache.backends.redis import RedisCache

    cache = caches[cache_alias]
    return cache if isinstance(cache, RedisCache) else None


def _row_key(key: str) -> str:
    """The key as a row's primary key: kept when it fits, else shortened with a digest of the whole key."""
    if len(key) <= MAX_KEY:
        return key
    return key[:MAX_KEY - 41] + "#" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def _upsert_sql(connection) -> str:
    qn = connection.ops.quote_name
    table, key, hits, expires = (qn(_model()._meta.db_table), qn("key"), qn("hits"), qn("expires_at"))
    # SQLite (3.35+) and PostgreSQL both read this alike; the SET expressions see the row as it was.
    # Only the model's own quoted names are formatted in; every value is a parameter.
    return (f"INSERT INTO {table} ({key}, {hits}, {expires}) VALUES (%s, 1, %s) "  # noqa: S608
            f"ON CONFLICT ({key}) DO UPDATE SET "
            f"{hits} = CASE WHEN {table}.{expires} <= %s THEN 1 ELSE {table}.{hits} + 1 END, "
            f"{expires} = CASE WHEN {table}.{expires} <= %s THEN excluded.{expires} ELSE {table}.{expires} END "
            f"RETURNING {hits}")


def counter_hit(key: str, *, expires_in: int, cache_alias: str = "default") -> int:
    """Count one hit on `key` and return the count with it. A new key, or one whose time ran out, starts
    at 1 and lives `expires_in` seconds from now; a live one keeps its end."""
    expires_in = max(1, int(expires_in))
    cache = _redis(cache_alias)
    if cache is not None:
        cache_key = cache.make_and_validate_key(key)
        client = cache._cache.get_client(cache_key, write=True)
        with client.pipeline(transaction=True) as pipe:
            pipe.set(cache_key, 0, ex=expires_in, nx=True)
            pipe.incr(cache_key)
            _, count = pipe.execute()
        return int(count)
    now = _now()
    connection = connections[router.db_for_write(_model())]
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(connection), [_row_key(key), now + expires_in, now, now])
        return int(cursor.fetchone()[0])


def counter_give_back(key: str, *, cache_alias: str = "default") -> None:
    """Take one hit back (a guess that was right, one refused after it was counted): never below zero,
    and a count whose time ran out stays ended."""
    cache = _redis(cache_alias)
    if cache is not None:
        cache_key = cache.make_and_validate_key(key)
        cache._cache.get_client(cache_key, write=True).eval(_GIVE_BACK, 1, cache_key)
        return
    from django.db.models import F

    (_model().objects.filter(key=_row_key(key), hits__gt=0, expires_at__gt=_now())
     .update(hits=F("hits") - 1))


def counter_values(keys: Sequence[str], *, cache_alias: str = "default") -> list[int]:
    """The live count of each key (0 when absent or ended), in one read."""
    cache = _redis(cache_alias)
    if cache is not None:
        found = cache.get_many(list(keys))
        return [int(found.get(key) or 0) for key in keys]
    rows = {row_key: hits for row_key, hits in _model().objects.filter(
        key__in=[_row_key(k) for k in keys], expires_at__gt=_now()).values_list("key", "hits")}
    return [rows.get(_row_key(key), 0) for key in keys]


def counters_purge() -> int:
    """Delete database counts whose time ran out (Redis expires its own). Returns how many."""
    deleted, _ = _model().objects.filter(expires_at__lte=_now()).delete()
    return deleted
