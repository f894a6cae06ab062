"""`fangkong privacy_rekey`: after a key change, re-encrypt and re-hash ID numbers and mobiles."""

from typing import Any

from django.core.management.base import BaseCommand

from fangkong.privacy.rekey import rekey_people


class Command(BaseCommand):
    help = (
        "Re-encrypt every person's ID number and mobile under FANGKONG_FIELD_KEY (old keys in "
        "FANGKONG_FIELD_OLD_KEYS) and recompute the look-up hashes. Safe to stop and run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        n = rekey_people("system")
        self.stdout.write(f"re-encrypted {n} people under the current key")
