"""Every action view against the permission table (merchants/permissions.py), enforced by the server.

Routes come from the URL resolver, so a view added tomorrow is checked too: it must be decorated with
merchants.guards.merchant_required(permission) (which sets `teller_permission`) or be explicitly allowlisted.
"""

import re
from pathlib import Path

import pytest

from merchants.models import Role
from merchants.permissions import PERMISSIONS, has_permission
from tests.factories import MembershipFactory
from tests.security.urlwalk import UNDECORATED_ALLOWLIST, routes

pytestmark = pytest.mark.django_db

ROUTES = [r for r in routes() if not r.allowlisted]
GUARDED = [r for r in ROUTES if r.permission]
DENIALS = [
    (route, role) for route in GUARDED for role in Role.values if role not in PERMISSIONS[route.permission]
]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"


def test_every_view_is_behind_merchant_required_or_explicitly_allowlisted():
    undecorated = [r.name for r in ROUTES if not r.permission]

    assert undecorated == [], "add @merchant_required(<permission>) or allowlist in tests/security/urlwalk.py"


def test_every_view_names_a_permission_of_the_table():
    unknown = {r.name: r.permission for r in GUARDED if r.permission not in PERMISSIONS}

    assert unknown == {}


def test_the_allowlist_names_only_routes_that_exist():
    names = {r.name for r in routes()}

    assert set(UNDECORATED_ALLOWLIST) <= names


@pytest.mark.parametrize(("route", "role"), DENIALS, ids=[f"{r.name}-{role}" for r, role in DENIALS])
def test_a_role_without_the_permission_is_refused_by_the_server(client, merchant, route, role):
    client.force_login(MembershipFactory(merchant=merchant, role=role).user)
    url = route.url()

    by_method = {"GET": client.get(url).status_code, "POST": client.post(url, {"x": "1"}).status_code}

    # 405 only means the view does not take that method at all; every method it takes must answer 403.
    assert set(by_method.values()) <= {403, 405}, by_method
    assert 403 in by_method.values(), by_method


@pytest.mark.parametrize("route", GUARDED, ids=[r.name for r in GUARDED])
def test_a_role_with_the_permission_is_not_refused(client, merchant, route):
    allowed_role = next(
        role for role in (Role.SUPPORT, Role.MANAGER, Role.OWNER) if role in PERMISSIONS[route.permission]
    )
    client.force_login(MembershipFactory(merchant=merchant, role=allowed_role).user)

    response = client.get(route.url())

    assert response.status_code != 403  # 404 for the sample object, 405 for POST-only views, 200 for pages


def test_has_permission_refuses_without_a_membership():
    assert not has_permission(None, "view")


def _documented_matrix() -> dict[str, set[str]]:
    """Rows of docs/permissions.md's table: | `permission` | ✓ | ✓ | — | ..."""
    header, *rows = [
        line for line in DOCS.read_text().splitlines() if line.startswith("| ") and "---" not in line
    ]
    roles = [cell.strip().upper() for cell in header.strip("|").split("|")[1:4]]
    matrix = {}
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        permission = re.sub(r"[`*]", "", cells[0])
        matrix[permission] = {role for role, cell in zip(roles, cells[1:4], strict=True) if cell == "✓"}
    return matrix


def test_the_documented_matrix_matches_the_permission_table():
    assert _documented_matrix() == {name: {str(r) for r in roles} for name, roles in PERMISSIONS.items()}


def test_every_settings_url_is_refused_to_managers_and_support():
    """Settings are the owner's: each /settings/ route (Stripe, import and its progress, business,
    Telegram) is among the denials above for both other roles, so the 403 test runs for each of them."""
    settings_routes = {r.name for r in GUARDED if r.url().startswith("/settings/")}
    denied = {(route.name, role) for route, role in DENIALS}

    assert {"settings:stripe", "settings:import-progress", "settings:import-resync", "access:settings"} <= (
        settings_routes
    )
    assert {(name, role) for name in settings_routes for role in (Role.MANAGER, Role.SUPPORT)} <= denied
