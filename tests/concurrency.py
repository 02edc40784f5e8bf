"""Release several clients at the same moment: the concurrency tests' one helper (PostgreSQL row locks)."""

from __future__ import annotations

import threading

from django.db import connection


def in_parallel(functions, *, timeout: float = 60):
    """Each function in its own thread (its own DB connection), all released at once by a barrier; the
    results in order, an exception in place of the result of a function that raised."""
    start = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def run(index, fn):
        try:
            start.wait(5)
            results[index] = fn()
        except Exception as exc:  # noqa: BLE001 - returned to the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return results
