"""Acceptance 2 (PostgreSQL): two schedulers at once send each reminder once.

Two real `fangkong tick` processes on the same database, then two worker-style schedulers in threads
with their own connections queueing runs: each run key is claimed once, each person gets one message.
"""

import os
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections
from django_tasks_db.models import DBTaskResult

from fangkong.ledger.actions import open_item
from fangkong.ledger.models import Event, Kind
from fangkong.notify import ticker
from fangkong.notify.models import Message, Run
from fangkong.org.models import Region, Role, Unit
from fangkong.org.regions import load_regions
from tests.factories import person, unit, user, world

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers; proves nothing"),
]

SH = ZoneInfo("Asia/Shanghai")
ENTERPRISES = 12
JOBS = ["checkins.remind_people", "checkins.tell_grid_leaders"]
FANGKONG = str(Path(sys.executable).with_name("fangkong"))


def _people() -> list[str]:
    if not Region.objects.exists():  # a previous transactional test's flush removed the migration's rows
        load_regions(Region)
    w = world()
    names = []
    for i in range(ENTERPRISES):
        e = unit(f"X{i:02d}", Unit.Kind.ENTERPRISE, w.segment)
        g = unit(f"X{i:02d}-G1", Unit.Kind.GRID, e)
        user(f"lead{i:02d}", Role.GRID_LEADER, g)
        for j in range(3):
            p = person(g, f"X{i:02d}{j}")
            p.user = user(f"x{i:02d}{j}", Role.EMPLOYEE, g)
            p.save(update_fields=["user"])
            names.append(p.user.username)
    return names


def _db_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _two_ticks(at: datetime) -> None:
    env = {**os.environ, "DATABASE_URL": _db_url()}
    procs = [
        subprocess.Popen(
            [FANGKONG, "tick", "--now", at.isoformat()], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs


def test_two_tick_processes_send_each_reminder_once():
    names = _people()
    _two_ticks(datetime(2026, 3, 2, 8, 30, tzinfo=SH))
    _two_ticks(datetime(2026, 3, 2, 10, 0, tzinfo=SH))

    reminded = list(
        Message.objects.filter(key__startswith="checkins.remind_people:").values_list(
            "user__username", flat=True
        )
    )
    assert sorted(reminded) == sorted([*names, "alice"])  # each exactly once (+ alice of the personas)
    digests = list(
        Message.objects.filter(key__startswith="checkins.tell_grid_leaders:").values_list(
            "user__username", flat=True
        )
    )
    assert sorted(digests) == sorted([f"lead{i:02d}" for i in range(ENTERPRISES)] + ["grid_leader"])
    runs = Run.objects.filter(job__startswith="checkins.remind_people")
    assert runs.count() == ENTERPRISES + 2 and set(runs.values_list("state", flat=True)) == {Run.State.DONE}


def test_two_schedulers_in_threads_queue_each_run_once_and_escalate_once(settings):
    _people()
    w_item = Unit.objects.get(code="E1-G1")
    item, _ = open_item(
        "test",
        kind=Kind.OTHER,
        key="c1",
        unit=w_item,
        title="t",
        due_at=datetime(2026, 3, 1, 8, 0, tzinfo=SH),
    )
    settings.NOTIFY_ESCALATION_HOURS = 4  # 24 h overdue at 08:30 next day: due for rungs up to the top
    at = datetime(2026, 3, 2, 8, 30, tzinfo=SH)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            barrier.wait()
            for _ in range(3):
                ticker.scheduler_pass(at)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    runs = Run.objects.filter(job="checkins.remind_people")
    assert runs.count() == ENTERPRISES + 2
    queued = DBTaskResult.objects.filter(task_path="fangkong.notify.tasks.run_job")
    # Every claimed run (this module's and any other module's jobs) is queued once, none twice.
    claimed = sorted(Run.objects.filter(state=Run.State.QUEUED).values_list("pk", flat=True))
    assert sorted(r.args_kwargs["args"][0] for r in queued) == claimed
    item.refresh_from_db()
    # A pass climbs one rung with someone on it: three passes, three rungs, whichever thread took them.
    levels = list(item.events.filter(type=Event.Type.ESCALATED).values_list("data__level", flat=True))
    assert levels == sorted(set(levels)) and item.escalation_level == len(levels)
