"""`fangkong audit verify`: walk the hash chains; exit 1 naming the first broken row."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from fangkong.audit.actions import verify


class Command(BaseCommand):
    help = "Audit log tools: `audit verify` checks every hash chain."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("verify", help="check that no audit row was edited, deleted or reordered")

    def handle(self, *args, verb: str, **opts):
        checked, breach = verify()
        if breach is not None:
            self.stderr.write(f"FAILED: {breach} (after {checked} rows)")
            sys.exit(1)
        self.stdout.write(f"OK: {checked} audit rows, every chain intact")
