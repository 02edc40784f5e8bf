"""Django's Redis cache, with one redis.Redis client per connection pool instead of one per call.

Django's RedisCacheClient.get_client builds a new redis.Redis for every cache call, and each build fills the
client's table of response callbacks (about 170 entries): on the webhook path that was a third of the time
of the one SET it sends. A redis.Redis is thread-safe (each command borrows a connection from the pool), so
one per pool serves every call; after a fork the pool itself drops the parent's connections.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
