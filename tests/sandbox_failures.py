"""Test-only failure hooks for the SandboxProvider: the runtime provider has none.

The autouse fixture in tests/conftest.py registers FailingSandboxProvider for SANDBOX merchants, so these
hooks reach the provider whatever code constructs it (services, tasks, the live server's thread):

    with sandbox_failures.failing(ProviderUnavailable("Timed out"), method="refund_create"):
        ...  # the next refund_create raises that exception, without changing any state

`fail_next(exc, method=None, times=1)` arms the same thing without a context manager; `reset_failures()`
disarms everything (the fixture calls it around every test).
"""

from contextlib import contextmanager

from payments.base import Provider, ProviderError
from sandbox.provider import SandboxProvider

_failures: list[list] = []  # [method or None, exception, remaining times]


def fail_next(exc: Exception | None = None, *, method: str | None = None, times: int = 1) -> None:
    """Make the next `times` calls (of `method`, or of any method) raise `exc` before touching any state."""
    _failures.append(
        [method, exc or ProviderError("The sandbox was told to fail.", code="sandbox_failure"), times]
    )


def reset_failures() -> None:
    _failures.clear()


@contextmanager
def failing(exc: Exception | None = None, *, method: str | None = None, times: int = 1):
    fail_next(exc, method=method, times=times)
    try:
        yield
    finally:
        reset_failures()


def _maybe_fail(method: str) -> None:
    for armed in _failures:
        if armed[0] in (None, method) and armed[2] > 0:
            armed[2] -= 1
            if armed[2] == 0:
                _failures.remove(armed)
            raise armed[1]


def _armed(name: str):
    def method(self, *args, **kwargs):
        _maybe_fail(name)
        # Looked up at call time, so a test that patches SandboxProvider (to count calls) is seen here too.
        return getattr(SandboxProvider, name)(self, *args, **kwargs)

    method.__name__ = name
    return method


# Every method of the Provider protocol, so a method added to both later can fail on demand too.
PROVIDER_METHODS = sorted(
    name
    for name in vars(Provider)
    if not name.startswith("_") and callable(getattr(SandboxProvider, name, None))
)
FailingSandboxProvider = type(
    "FailingSandboxProvider", (SandboxProvider,), {name: _armed(name) for name in PROVIDER_METHODS}
)
