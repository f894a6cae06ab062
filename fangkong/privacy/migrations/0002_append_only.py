"""Refuse UPDATE and DELETE on the access log at the database, on SQLite and PostgreSQL."""

from django.db import migrations

SQLITE = [
    """CREATE TRIGGER privacy_access_no_update BEFORE UPDATE ON privacy_accessrecord
       BEGIN SELECT RAISE(ABORT, 'access log is append-only'); END;""",
    """CREATE TRIGGER privacy_access_no_delete BEFORE DELETE ON privacy_accessrecord
       BEGIN SELECT RAISE(ABORT, 'access log is append-only'); END;""",
]
SQLITE_REVERSE = ["DROP TRIGGER privacy_access_no_update;", "DROP TRIGGER privacy_access_no_delete;"]

POSTGRES = [
    """CREATE FUNCTION privacy_access_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'access log is append-only'; END; $$;""",
    """CREATE TRIGGER privacy_access_append_only BEFORE UPDATE OR DELETE ON privacy_accessrecord
       FOR EACH ROW EXECUTE FUNCTION privacy_access_append_only();""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER privacy_access_append_only ON privacy_accessrecord;",
    "DROP FUNCTION privacy_access_append_only();",
]


def forwards(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    statements = POSTGRES_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
