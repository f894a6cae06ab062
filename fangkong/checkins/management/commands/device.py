"""`fangkong device register|revoke|list`: device tokens (kiosks, gate thermometers) of an enterprise."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from fangkong.checkins import actions
from fangkong.checkins.models import Device
from fangkong.org.models import Unit


class Command(BaseCommand):
    help = (
        "Manage device tokens: `device register ENTERPRISE_CODE NAME`, `device revoke PREFIX`, "
        "`device list ENTERPRISE_CODE`."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        register = sub.add_parser(
            "register", help="print a new device token for the enterprise, alone on the last line"
        )
        register.add_argument("enterprise")
        register.add_argument("name")
        revoke = sub.add_parser("revoke", help="revoke the device whose token starts with PREFIX")
        revoke.add_argument("prefix")
        listing = sub.add_parser("list", help="list an enterprise's devices (token prefixes only)")
        listing.add_argument("enterprise")

    def handle(self, *args, verb: str, **opts):
        getattr(self, f"_{verb}")(**opts)

    def _enterprise(self, code: str) -> Unit:
        unit = Unit.objects.filter(code=code).first()
        if unit is None:
            raise CommandError(f"no unit with code {code!r}")
        if unit.kind != Unit.Kind.ENTERPRISE:
            raise CommandError(f"{code} is a {unit.kind}: devices belong to an enterprise")
        return unit

    def _register(self, *, enterprise: str, name: str, **_):
        name = name.strip()
        if not name or len(name) > 100:
            raise CommandError("NAME: 1 to 100 characters")
        try:
            device, raw = actions.register_device("cli", self._enterprise(enterprise), name)
        except actions.ActionError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"device {device.name!r} of {enterprise} (token shown once, keep it secret):")
        self.stdout.write(raw)

    def _revoke(self, *, prefix: str, **_):
        devices = list(
            Device.objects.filter(prefix=prefix, revoked_at__isnull=True).select_related("enterprise")
        )
        if len(devices) != 1:
            raise CommandError(
                f"{len(devices)} active devices have a token starting with {prefix!r}; need exactly one"
            )
        actions.revoke_device("cli", devices[0])
        self.stdout.write(f"revoked {prefix} ({devices[0].name})")

    def _list(self, *, enterprise: str, **_):
        for d in Device.objects.filter(enterprise=self._enterprise(enterprise)).order_by("created_at"):
            state = f"revoked {d.revoked_at:%Y-%m-%d %H:%M}" if d.revoked_at else "active"
            self.stdout.write(f"{d.prefix}  {d.created_at:%Y-%m-%d %H:%M}  {state}  {d.name}")
