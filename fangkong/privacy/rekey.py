"""Re-encrypting and re-hashing every person's ID number and mobile under the current key."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction

from fangkong.audit.actions import record

from . import crypto

BATCH = 5000


def _rewrite(pk: int, id_number: str, mobile: str) -> tuple[Any, ...]:
    plain = [
        crypto.decrypt(value, field) if crypto.is_encrypted(value) else value
        for value, field in ((id_number or "", "id_number"), (mobile or "", "mobile"))
    ]
    return (
        crypto.encrypt(plain[0], "id_number"),
        crypto.keyed_hash(plain[0]),
        crypto.encrypt(plain[1], "mobile"),
        crypto.keyed_hash(plain[1]),
        pk,
    )


def rekey_people(actor: Any) -> int:
    """Rewrite every row not yet under the current key (or with a stale hash), batch by batch, each in
    its own transaction, so the run can be stopped and started again. Returns the rows rewritten."""
    current = crypto.keyring().current + crypto.SEP
    last = done = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, id_number, mobile FROM org_person WHERE id > %s AND "
                "((id_number <> '' AND id_number NOT LIKE %s) OR (mobile <> '' AND mobile NOT LIKE %s)) "
                "ORDER BY id LIMIT %s",
                [last, current + "%", current + "%", BATCH],
            )
            rows = cursor.fetchall()
            if not rows:
                break
            last = rows[-1][0]
            cursor.executemany(
                "UPDATE org_person SET id_number = %s, id_number_hash = %s, mobile = %s, mobile_hash = %s "
                "WHERE id = %s",
                [_rewrite(*row) for row in rows],
            )
            done += len(rows)
    with transaction.atomic():
        record(actor, "privacy.rekey", "key", crypto.keyring().current, detail={"people": done})
    return done
