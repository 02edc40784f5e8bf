"""What each role may do. The one table the views and the permission-matrix test read.

Views name a permission with merchants.guards.merchant_required("<permission>"); a role not listed gets 403.
docs/permissions.md shows this table to people; tests/security/test_permission_matrix.py fails when the two
differ, when a view names a permission missing here, or when a view is not behind merchant_required.
"""

from .models import Role

ALL = {Role.OWNER, Role.MANAGER, Role.SUPPORT}
MANAGERS = {Role.OWNER, Role.MANAGER}
OWNERS = {Role.OWNER}

PERMISSIONS: dict[str, set[str]] = {
    "view": ALL,
    "note.add": ALL,
    "identifier.block": ALL,
    "identifier.unblock": MANAGERS,
    "purchase.cancel": ALL,
    "subscription.recover": ALL,
    "credit.create": ALL,  # support agents only up to the merchant's limit (checked in the credit service)
    "credit.above_limit": MANAGERS,
    "repayment.create": MANAGERS,
    "dispute.respond": MANAGERS,  # evidence drafts, submissions and accepting a dispute
    "access_code.manage": MANAGERS,
    "event.replay": MANAGERS,
    "attention.claim": ALL,  # take / release a row of the "Needs attention" queue
    "audit.view": MANAGERS,
    # CSV exports of the lists a role can open (the audit export also needs audit.view: checked per list)
    "export": ALL,
    "staff.manage": OWNERS,
    "settings.manage": OWNERS,  # Stripe connection, history import, business settings (/settings/...)
    "telegram.settings": OWNERS,
    "telegram.members": MANAGERS,
}


def has_permission(membership, permission: str) -> bool:
    return membership is not None and membership.role in PERMISSIONS[permission]


class RolePermissions:
    """What the signed-in role may do, for templates: `{% if can.repayment_create %}` (dots become "_").

    A role never sees an action it cannot take; the server still refuses it (403) if it is tried.
    An unknown name raises KeyError, so a misspelt check fails loudly in tests instead of hiding a button.
    """

    _NAMES = {name.replace(".", "_"): name for name in PERMISSIONS}

    def __init__(self, membership):
        self.membership = membership

    def __getitem__(self, key: str) -> bool:
        return has_permission(self.membership, self._NAMES[key])

    def __contains__(self, key: str) -> bool:
        return key in self._NAMES
