import pytest

from tests import sandbox_failures


@pytest.fixture
def provider_must_not_be_called():
    """Arms the sandbox to fail any call: a test that passes proves no provider call was made."""
    sandbox_failures.fail_next(AssertionError("the provider was called"), times=100)
    yield
    sandbox_failures.reset_failures()
