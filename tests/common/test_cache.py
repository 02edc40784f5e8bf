"""common.cache.RedisCache: one redis.Redis client per pool, and still a working cache."""

import uuid

from django.conf import settings

from common.cache import RedisCache


def _cache():
    return RedisCache(settings.REDIS_URL or "redis://127.0.0.1:6379/0", {"KEY_PREFIX": uuid.uuid4().hex})


def test_the_client_is_built_once_per_pool_not_once_per_call():
    cache = _cache()
    client = cache._cache.get_client(write=True)

    assert cache._cache.get_client(write=True) is client
    assert cache._cache.get_client() is client  # one server: reads use the same pool


def test_add_is_still_set_if_absent_with_a_timeout():
    cache = _cache()
    try:
        assert cache.add("wake", 1, timeout=30) is True
        assert cache.add("wake", 1, timeout=30) is False
        assert cache.get("wake") == 1
        cache.delete("wake")
        assert cache.add("wake", 1, timeout=30) is True
    finally:
        cache.delete("wake")
