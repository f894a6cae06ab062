"""The shipped report types for the four categories (data/defaults.json); idempotent."""

from django.db import migrations


def load(apps, schema_editor):
    from fangkong.reports.defaults import load_defaults

    load_defaults(apps)


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
