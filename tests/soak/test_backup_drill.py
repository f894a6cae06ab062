"""scripts/backup-drill restores a dump of the database into a fresh one and proves it whole."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from fangkong.audit.models import AuditEntry
from fangkong.checkins.models import CheckIn
from fangkong.org.actions import create_token

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "backup-drill"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump / pg_restore drill"),
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="pg_dump is not installed"),
]


def _db_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _databases() -> set[str]:
    with connection.cursor() as cur:
        cur.execute("SELECT datname FROM pg_database")
        return {r[0] for r in cur.fetchall()}


def test_the_drill_restores_every_row_and_the_audit_chain_and_drops_its_scratch_database():
    from tests.factories import world

    w = world()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {create_token('test', w.group_admin)}")
    body = {"id": "5d0c3e1a-0000-4000-8000-00000000d411", "person": "A0001", "temperature": "36.6"}
    assert client.post("/api/v1/checkins", body, content_type="application/json").status_code == 201
    assert CheckIn.objects.count() == 1 and AuditEntry.objects.count() > 0
    before = _databases()

    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--database-url", _db_url(), "--json"],
        capture_output=True,
        text=True,
        timeout=600,
    )

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "DRILL OK" in proc.stdout
    result = json.loads(proc.stdout.strip().splitlines()[-2])
    assert result["tables_differing"] == {}
    assert result["rows"] >= AuditEntry.objects.count() + 1
    assert result["audit_verify"]["ok"] and result["audit_verify"]["output"].startswith("OK:")
    assert result["scratch_dropped"] is True
    assert _databases() == before  # the scratch database is gone


def test_the_drill_fails_on_a_database_that_is_not_there():
    url = _db_url().rsplit("/", 1)[0] + "/fangkong_no_such_database"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--database-url", url], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 1
    assert "DRILL FAILED" in proc.stderr
