"""`fangkong token create USERNAME` prints a new API token alone on the last line."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from fangkong.org import actions
from fangkong.org.models import ApiToken


class Command(BaseCommand):
    help = "Manage API tokens: `token create USERNAME`, `token revoke PREFIX`, `token list USERNAME`."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="print a new API token for the user, alone on the last line")
        create.add_argument("username")
        create.add_argument("--label", default="")
        revoke = sub.add_parser("revoke", help="revoke the token whose first 8 characters are PREFIX")
        revoke.add_argument("prefix")
        listing = sub.add_parser("list", help="list a user's tokens (prefixes only)")
        listing.add_argument("username")

    def handle(self, *args, verb: str, **opts):
        getattr(self, f"_{verb}")(**opts)

    def _user(self, username: str):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        if not user.is_active:
            raise CommandError(f"user {username!r} is disabled")
        return user

    def _create(self, *, username: str, label: str, **_):
        user = self._user(username)
        raw = actions.create_token("cli", user, label)
        self.stdout.write(f"token for {username} (shown once, keep it secret):")
        self.stdout.write(raw)

    def _revoke(self, *, prefix: str, **_):
        tokens = list(ApiToken.objects.filter(prefix=prefix, revoked_at__isnull=True))
        if len(tokens) != 1:
            raise CommandError(f"{len(tokens)} active tokens start with {prefix!r}; need exactly one")
        actions.revoke_token("cli", tokens[0])
        self.stdout.write(f"revoked {prefix}")

    def _list(self, *, username: str, **_):
        for t in ApiToken.objects.filter(user=self._user(username)).order_by("created_at"):
            state = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
            self.stdout.write(f"{t.prefix}  {t.created_at:%Y-%m-%d %H:%M}  {state}  {t.label}")
