"""localstripe (a stateful fake Stripe from PyPI) as a subprocess on a free loopback port, for provider tests.

The `localstripe_url` fixture in tests/conftest.py starts one server per test session; modules that test
StripeProvider through the real SDK point `settings.STRIPE_API_BASE` at it.
"""

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

# localstripe keeps its state here whatever its working directory; each session starts from scratch.
PICKLE = Path("/tmp/localstripe.pickle")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_localstripe(workdir: Path, *, startup_timeout: float = 20) -> Iterator[str]:
    """Start localstripe, wait until it answers, yield its base URL; stop it (and drop its state) at the
    end."""
    PICKLE.unlink(missing_ok=True)
    port = free_port()
    binary = Path(sys.executable).with_name("localstripe")
    proc = subprocess.Popen(
        [str(binary), "--port", str(port), "--from-scratch"],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + startup_timeout
    while True:
        try:
            httpx.get(f"{url}/v1/customers", auth=("sk_test_ping", ""), timeout=1)
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError("localstripe did not start") from None
            time.sleep(0.2)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
        PICKLE.unlink(missing_ok=True)
