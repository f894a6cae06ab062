"""The audit log is append-only and any edit, deletion or swap done in the database is detected."""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from fangkong.audit.actions import verify
from fangkong.audit.models import AuditEntry
from fangkong.org.models import Unit
from tests.factories import unit


@pytest.fixture
def log(db, settings):
    settings.AUDIT_CHAINS = 2  # eight rows on two chains: some chain has several (pigeonhole)
    group = unit("G", Unit.Kind.GROUP)
    seg = unit("S1", Unit.Kind.SEGMENT, group)
    for i in range(6):
        unit(f"E{i}", Unit.Kind.ENTERPRISE, seg)
    return list(AuditEntry.objects.order_by("chain", "seq"))


def _as_dba(*statements: tuple[str, list]) -> None:
    """Run raw SQL the way someone with direct database access would, past the append-only triggers."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
        else:
            cur.execute("DROP TRIGGER audit_entry_no_update")
            cur.execute("DROP TRIGGER audit_entry_no_delete")
        for sql, params in statements:
            cur.execute(sql, params)
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER USER")


def _verify_cli_fails(capsys) -> str:
    with pytest.raises(SystemExit) as exc:
        call_command("audit", "verify")
    assert exc.value.code == 1
    return capsys.readouterr().err


def test_clean_log_verifies(log, capsys):
    assert len(log) == 8
    call_command("audit", "verify")
    assert "OK: 8 audit rows" in capsys.readouterr().out


def test_database_refuses_update_and_delete(log):
    for sql in ("UPDATE audit_auditentry SET actor = 'x'", "DELETE FROM audit_auditentry"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)
    assert AuditEntry.objects.count() == 8


def _longest_chain(log):
    chains: dict[int, list[AuditEntry]] = {}
    for e in log:
        chains.setdefault(e.chain, []).append(e)
    return max(chains.values(), key=len)


def test_an_edit_is_named(log, capsys):
    victim = log[3]
    _as_dba(("UPDATE audit_auditentry SET actor = %s WHERE id = %s", ["mallory", victim.id]))
    _, breach = verify()
    assert breach is not None and breach.entry_id == victim.id and "edited" in breach.reason
    assert f"row id={victim.id}" in _verify_cli_fails(capsys)


def test_a_deletion_in_the_middle_is_named(log, capsys):
    chain = _longest_chain(log)
    assert len(chain) >= 2, "need a chain with two rows"
    _as_dba(("DELETE FROM audit_auditentry WHERE id = %s", [chain[0].id]))
    _, breach = verify()
    assert breach is not None and breach.chain == chain[0].chain and breach.seq == 1
    assert "missing" in _verify_cli_fails(capsys)


def test_deleting_the_newest_row_is_detected_by_the_head(log, capsys):
    last = _longest_chain(log)[-1]
    _as_dba(("DELETE FROM audit_auditentry WHERE id = %s", [last.id]))
    _, breach = verify()
    assert breach is not None and breach.chain == last.chain and breach.seq == last.seq
    _verify_cli_fails(capsys)


def test_a_swap_of_two_rows_is_detected(log, capsys):
    chain = _longest_chain(log)
    a, b = chain[0], chain[1]
    _as_dba(
        ("UPDATE audit_auditentry SET seq = -1 WHERE id = %s", [a.id]),
        ("UPDATE audit_auditentry SET seq = %s WHERE id = %s", [a.seq, b.id]),
        ("UPDATE audit_auditentry SET seq = %s WHERE id = %s", [b.seq, a.id]),
    )
    _, breach = verify()
    assert breach is not None and breach.entry_id == b.id
    _verify_cli_fails(capsys)


def test_audit_detail_never_holds_raw_identity_numbers(w):
    ids = [w.alice.id_number, w.alice.mobile]
    for entry in AuditEntry.objects.all():
        text = str(entry.detail)
        assert not any(v and v in text for v in ids)
