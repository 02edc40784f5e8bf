"""Serialise staff actions on one row across processes, without holding a transaction over a network call.

A provider-first action (cancel a subscription, ...) must call the provider outside any transaction, yet two
clicks at once must not both call it. `action_lock` takes a PostgreSQL session-level advisory lock keyed by
(namespace, row id) for the whole action: the second request waits, then re-reads the row and sees what the
first did ("already ..."). Session-level locks need no open transaction, so nothing else is held while the
provider answers. SQLite serves one process: a per-key thread lock does the same there.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

WAIT_SECONDS = 30.0  # longer than a provider call with its retry (20 s timeout)
_local_locks: dict[tuple[int, int], threading.Lock] = {}
_local_guard = threading.Lock()


class ActionBusy(Exception):
    """Another action on the same row is still running after WAIT_SECONDS."""


def _key(namespace: str, pk: int) -> tuple[int, int]:
    # Two int4 keys: a stable hash of the namespace, the id folded into 31 bits (a collision only serialises).
    return zlib.crc32(namespace.encode()) & 0x7FFFFFFF, int(pk) & 0x7FFFFFFF


@contextmanager
def action_lock(namespace: str, pk: int, *, wait: float = WAIT_SECONDS) -> Iterator[None]:
    """Hold the lock on (namespace, pk) for the block; raises ActionBusy after `wait` seconds."""
    key = _key(namespace, pk)
    if connection.vendor != "postgresql":
        with _local_guard:
            lock = _local_locks.setdefault(key, threading.Lock())
        if not lock.acquire(timeout=wait):
            raise ActionBusy(namespace, pk)
        try:
            yield
        finally:
            lock.release()
        return
    deadline = time.monotonic() + wait
    while True:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", list(key))
            if cursor.fetchone()[0]:
                break
        if time.monotonic() > deadline:
            raise ActionBusy(namespace, pk)
        time.sleep(0.05)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", list(key))
