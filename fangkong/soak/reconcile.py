"""After the soak: compare what the clients were told with what the database holds.

Straight SQL on the soak's cluster (psycopg), nothing through the application:
- every acknowledged check-in (201 or 200 received by a client) is stored, for the same person;
- no id is stored twice, and no stored check-in carries an id the soak never sent;
- at most one current check-in per person and day (and exactly one for every person-day with any);
- the day counters (UnitDay checked_in, red, yellow) equal a direct count of the current, counted
  check-ins of every unit and day the soak touched;
- `fangkong audit verify` passes (run as the command an operator would run).
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import psycopg


def _row(cur: psycopg.Cursor) -> tuple[Any, ...]:
    row = cur.fetchone()
    assert row is not None  # aggregates always return a row
    return row


def reconcile(
    dsn: str, database_url: str, acked: dict[str, dict[str, Any]], tag: str, sent: int
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("CREATE TEMP TABLE soak_acked (id uuid PRIMARY KEY, person text NOT NULL)")
        with cur.copy("COPY soak_acked (id, person) FROM STDIN") as copy:
            for id_, answer in acked.items():
                copy.write_row((id_, answer["person"]))
        cur.execute(
            "SELECT count(*) FILTER (WHERE c.id IS NULL),"
            " count(*) FILTER (WHERE c.id IS NOT NULL AND p.employee_no <> a.person)"
            " FROM soak_acked a LEFT JOIN checkins_checkin c ON c.id = a.id"
            " LEFT JOIN org_person p ON p.id = c.person_id"
        )
        missing, wrong_person = _row(cur)
        out["acknowledged"] = len(acked)
        out["acknowledged_missing"] = missing
        out["acknowledged_wrong_person"] = wrong_person
        cur.execute(
            "SELECT count(*), count(DISTINCT id) FROM checkins_checkin WHERE right(id::text, 8) = %s", [tag]
        )
        stored, distinct = _row(cur)
        out["stored_with_soak_ids"] = stored
        out["duplicate_ids"] = stored - distinct
        # Stored but never acknowledged: answers lost for good (given up) or the probes' 503s.
        out["stored_not_acknowledged"] = stored - len(acked) + missing
        out["sent_unique"] = sent
        cur.execute(
            "SELECT count(*) FROM (SELECT 1 FROM checkins_checkin WHERE current"
            " GROUP BY person_id, day HAVING count(*) > 1) x"
        )
        out["person_days_with_two_current"] = _row(cur)[0]
        cur.execute(
            "SELECT count(*) FROM (SELECT 1 FROM checkins_checkin GROUP BY person_id, day"
            " HAVING count(*) FILTER (WHERE current) = 0) x"
        )
        out["person_days_without_current"] = _row(cur)[0]
        cur.execute(
            "SELECT count(*), count(*) FILTER (WHERE version > 1) FROM checkins_checkin"
            " WHERE right(id::text, 8) = %s",
            [tag],
        )
        _, amendments = _row(cur)
        out["amendments"] = amendments
        cur.execute(
            """
            WITH days AS (SELECT DISTINCT day FROM checkins_checkin WHERE right(id::text, 8) = %s),
            direct AS (
                SELECT unit_id, day, count(*) AS checked_in,
                       count(*) FILTER (WHERE card = 'red') AS red,
                       count(*) FILTER (WHERE card = 'yellow') AS yellow
                FROM checkins_checkin WHERE current AND counted AND day IN (SELECT day FROM days)
                GROUP BY unit_id, day)
            SELECT count(*),
                   count(*) FILTER (WHERE coalesce(u.checked_in, 0) <> coalesce(d.checked_in, 0)),
                   count(*) FILTER (WHERE coalesce(u.red, 0) <> coalesce(d.red, 0)
                                       OR coalesce(u.yellow, 0) <> coalesce(d.yellow, 0)),
                   coalesce(sum(u.checked_in), 0), coalesce(sum(d.checked_in), 0)
            FROM (SELECT * FROM checkins_unitday WHERE day IN (SELECT day FROM days)) u
            FULL JOIN direct d ON d.unit_id = u.unit_id AND d.day = u.day
            """,
            [tag],
        )
        unit_days, bad_count, bad_cards, counter_sum, direct_sum = _row(cur)
        out["unit_days_compared"] = unit_days
        out["unit_days_checked_in_wrong"] = bad_count
        out["unit_days_cards_wrong"] = bad_cards
        out["counter_sum"] = int(counter_sum)
        out["direct_sum"] = int(direct_sum)
        cur.execute("SELECT count(*) FROM audit_auditentry")
        out["audit_rows"] = _row(cur)[0]
    out["audit_verify"] = audit_verify(database_url)
    out["ok"] = (
        missing == 0
        and wrong_person == 0
        and out["duplicate_ids"] == 0
        and out["person_days_with_two_current"] == 0
        and out["person_days_without_current"] == 0
        and bad_count == 0
        and bad_cards == 0
        and out["audit_verify"]["ok"]
    )
    return out


def audit_verify(database_url: str) -> dict[str, Any]:
    """`fangkong audit verify` against the soak's database."""
    proc = subprocess.run(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-m", "fangkong.cli", "audit", "verify"],
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    text = (proc.stdout + proc.stderr).strip().splitlines()
    return {"ok": proc.returncode == 0, "output": text[-1] if text else ""}
