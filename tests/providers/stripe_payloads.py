"""The provider tests' name for the in-repository Stripe payload builders (tests/stripe_shapes.py)."""

from tests.stripe_shapes import *  # noqa: F403
from tests.stripe_shapes import _merge  # noqa: F401
