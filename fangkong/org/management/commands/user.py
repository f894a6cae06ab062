"""`fangkong user create USERNAME --role ROLE --unit CODE [--password P]`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from fangkong.org import actions
from fangkong.org.models import Role, Unit


class Command(BaseCommand):
    help = "Manage users: `user create` makes the user if new and grants a role on a unit."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="create the user if new and grant ROLE on the unit")
        create.add_argument("username")
        create.add_argument("--role", required=True, choices=Role.values)
        create.add_argument("--unit", required=True, help="code of the unit the role is granted on")
        create.add_argument("--password", help="set this password (otherwise new users get an unusable one)")
        create.add_argument("--email", default="")

    def handle(self, *args, verb: str, **opts):
        if verb == "create":
            self._create(**opts)

    def _create(self, *, username: str, role: str, unit: str, password: str | None, email: str, **_):
        target = Unit.objects.filter(code=unit).first()
        if target is None:
            raise CommandError(f"--unit: no unit with code {unit!r}")
        actor = f"cli:{username}"
        user, created = actions.ensure_user(actor, username, password, email)
        actions.grant_role(actor, user, role, target)
        verb = "created" if created else "updated"
        self.stdout.write(f"user {username} {verb}; role {role} on {target.code} {target.name}")
