import pytest

from sandbox import provider as sandbox


@pytest.fixture(autouse=True)
def _sandbox_failures_reset():
    sandbox.reset_failures()
    yield
    sandbox.reset_failures()


@pytest.fixture
def provider_must_not_be_called():
    """Arms the sandbox to fail any call: a test that passes proves no provider call was made."""
    sandbox.fail_next(AssertionError("the provider was called"), times=100)
    yield
    sandbox.reset_failures()
