"""ID numbers and mobiles encrypted at rest, with keyed hashes for look-ups (docs/privacy.md).

Existing plain values are encrypted and hashed in place, in batches, with the key configured now
(settings.FIELD_KEY); going back decrypts them again.
"""

from django.conf import settings
from django.db import migrations, models

import fangkong.privacy.fields
from fangkong.privacy import crypto

BATCH = 5000


def _convert(schema_editor, change):
    """Rewrite id_number, mobile and their hashes of every row, batch by batch (by id)."""
    last = 0
    with schema_editor.connection.cursor() as cursor:
        while True:
            cursor.execute(
                "SELECT id, id_number, mobile FROM org_person WHERE id > %s ORDER BY id LIMIT %s",
                [last, BATCH],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            last = rows[-1][0]
            updates = [(*change(id_number or "", mobile or ""), pk) for pk, id_number, mobile in rows]
            cursor.executemany(
                "UPDATE org_person SET id_number = %s, id_number_hash = %s, mobile = %s, mobile_hash = %s "
                "WHERE id = %s",
                updates,
            )


def _encrypted(id_number, mobile):
    plain = [
        crypto.decrypt(v, f) if crypto.is_encrypted(v) else v
        for v, f in ((id_number, "id_number"), (mobile, "mobile"))
    ]
    return (
        crypto.encrypt(plain[0], "id_number"),
        crypto.keyed_hash(plain[0]),
        crypto.encrypt(plain[1], "mobile"),
        crypto.keyed_hash(plain[1]),
    )


def _plain(id_number, mobile):
    return (crypto.decrypt(id_number, "id_number"), "", crypto.decrypt(mobile, "mobile"), "")


def encrypt_existing(apps, schema_editor):
    _convert(schema_editor, _encrypted)


def decrypt_existing(apps, schema_editor):
    _convert(schema_editor, _plain)


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0002_load_regions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="person",
            name="person_id_number_unique",
        ),
        migrations.AddField(
            model_name="person",
            name="id_number_hash",
            field=fangkong.privacy.fields.KeyedHashField(source="id_number"),
        ),
        migrations.AddField(
            model_name="person",
            name="mobile_hash",
            field=fangkong.privacy.fields.KeyedHashField(db_index=True, source="mobile"),
        ),
        migrations.AlterField(
            model_name="person",
            name="id_number",
            field=fangkong.privacy.fields.EncryptedField(blank=True),
        ),
        migrations.AlterField(
            model_name="person",
            name="mobile",
            field=fangkong.privacy.fields.EncryptedField(blank=True),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
        migrations.AlterField(
            model_name="rolegrant",
            name="role",
            field=models.CharField(
                choices=[
                    ("group_admin", "group admin"),
                    ("segment_admin", "segment admin"),
                    ("enterprise_admin", "enterprise admin"),
                    ("data_protection", "data-protection officer"),
                    ("grid_leader", "grid leader"),
                    ("tracker", "tracker"),
                    ("inspector", "inspector"),
                    ("employee", "employee"),
                ],
                max_length=20,
            ),
        ),
        migrations.AddConstraint(
            model_name="person",
            constraint=models.UniqueConstraint(
                condition=models.Q(("id_number_hash", ""), _negated=True),
                fields=("id_number_hash",),
                name="person_id_number_unique",
            ),
        ),
    ]
