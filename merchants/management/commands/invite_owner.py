"""`manage.py invite_owner <merchant slug> <email>`: the superuser's step from an empty installation.

A new merchant has no staff, so nobody could send the first invitation from Staff: this sends it. It goes
through the same service as Staff > Invite (membership, audit event, set-password email); the actor is
the installation (no user), as for other actions no staff member took.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from merchants.models import Merchant, Role
from merchants.services import AlreadyMemberError, staff_invite


class Command(BaseCommand):
    help = "Invite the owner of a merchant by email (set-password link), as Staff > Invite does."

    def add_arguments(self, parser):
        parser.add_argument("merchant", help="the merchant's slug")
        parser.add_argument("email")
        parser.add_argument("--role", default=Role.OWNER, choices=Role.values)

    def handle(self, *args, merchant, email, role, **options):
        found = Merchant.objects.filter(slug=merchant).first()
        if found is None:
            raise CommandError(f"No merchant with the slug {merchant!r}.")
        try:
            membership = staff_invite(
                merchant=found,
                actor=None,
                now=timezone.now(),
                email=email,
                role=role,
                base_url=settings.TELLER_PUBLIC_URL,
            )
        except AlreadyMemberError as exc:
            raise CommandError(str(exc)) from exc
        role_name = membership.get_role_display()
        self.stdout.write(f"Invited {membership.user.email} to {found.name} as {role_name}.")
