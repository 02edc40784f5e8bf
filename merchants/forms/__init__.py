"""The merchants app's forms: sign-in, merchant switch and preferences (`account`), staff (`staff`)."""

from .account import EmailAuthenticationForm, MerchantSwitchForm, PreferencesForm
from .staff import StaffInviteForm, StaffRoleForm

__all__ = [
    "EmailAuthenticationForm",
    "MerchantSwitchForm",
    "PreferencesForm",
    "StaffInviteForm",
    "StaffRoleForm",
]
