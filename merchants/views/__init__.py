"""The merchants app's views: sign-in, preferences, merchant switch (`account`); staff (`staff`)."""

from .account import LoginView, home, preferences, switch_merchant
from .staff import SetPasswordView, staff_deactivate, staff_invite, staff_list, staff_reactivate, staff_role

__all__ = [
    "LoginView",
    "SetPasswordView",
    "home",
    "preferences",
    "staff_deactivate",
    "staff_invite",
    "staff_list",
    "staff_reactivate",
    "staff_role",
    "switch_merchant",
]
