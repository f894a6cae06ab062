"""On PostgreSQL: a zero epidemic report and an abnormal check-in racing for the same enterprise-day
never leave both standing with the zero report unflagged (both take the same DayLock row)."""

import threading
from datetime import date, timedelta

import pytest
from django.db import connection, connections

from fangkong.checkins.models import CheckIn
from fangkong.org.actions import ActionError
from fangkong.reports import actions
from fangkong.reports.models import UnitReport
from tests.factories import world

from .helpers import at, checkin, epidemic

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers; proves nothing"),
]

ROUNDS = 200
FIRST = date(2026, 1, 1)


def test_zero_report_and_abnormal_checkin_never_both_stand_unflagged():
    w = world()
    rt = epidemic()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def reporter() -> None:
        try:
            for r in range(ROUNDS):
                day = FIRST + timedelta(days=r)
                barrier.wait()
                try:
                    actions.submit_report(w.enterprise_admin, w.e1, rt, day, zero=True, now=at(w.e1, day, 9))
                except ActionError as exc:
                    assert exc.field == "zero", str(exc)
                    outcomes.append("refused")
        except BaseException as exc:  # surfaced below; a dead thread would hang the barrier
            errors.append(exc)
            barrier.abort()
        finally:
            connections.close_all()

    def checker() -> None:
        try:
            for r in range(ROUNDS):
                day = FIRST + timedelta(days=r)
                barrier.wait()
                checkin(w.alice if r % 2 else w.bob, at(w.e1, day, 9), card="yellow")
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=reporter), threading.Thread(target=checker)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert CheckIn.objects.filter(card="yellow").count() == ROUNDS  # every day has an abnormal check-in
    zero_reports = UnitReport.objects.filter(unit=w.e1, zero=True)
    assert zero_reports.filter(flagged=False).count() == 0
    assert zero_reports.count() + outcomes.count("refused") == ROUNDS
