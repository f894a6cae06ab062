"""Daily jobs: a registry, their local times per unit, and claiming each run exactly once.

A job runs once per local day per unit (`per="enterprise"`: every active enterprise in its own
zone). The scheduler computes which runs are due, and claims each by inserting a `Run` row whose key
(`job:unit:day`) is unique: whichever process inserts it first runs it, the others get an
IntegrityError and skip. That holds across threads, processes and machines sharing the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from fangkong.lib.dates import business_day, local_time
from fangkong.org.models import Unit

from .models import Run, Schedule

log = logging.getLogger(__name__)

GRACE = timedelta(hours=6)
PER = ("enterprise", "group", "global")

JobFn = Callable[[datetime, Unit | None], int | None]


@dataclass(frozen=True)
class Job:
    name: str
    default_time: time
    fn: JobFn
    per: str = "enterprise"


_jobs: dict[str, Job] = {}


def register(name: str, default_time: str | time, fn: JobFn, *, per: str = "enterprise") -> Job:
    """Add a daily job (see docs/notify.md); registering a name again replaces it."""
    if per not in PER:
        raise ValueError(f"per must be one of {PER}")
    at = default_time if isinstance(default_time, time) else time.fromisoformat(default_time)
    job = Job(name, at, fn, per)
    _jobs[name] = job
    return job


def unregister(name: str) -> None:
    _jobs.pop(name, None)


def jobs() -> list[Job]:
    return sorted(_jobs.values(), key=lambda j: (j.default_time, j.name))


def job(name: str) -> Job:
    return _jobs[name]


@dataclass(frozen=True)
class Due:
    job: Job
    unit: Unit | None
    day: date
    at: datetime

    @property
    def key(self) -> str:
        return f"{self.job.name}:{self.unit.code if self.unit else '-'}:{self.day.isoformat()}"


def _subjects(per: str) -> list[Unit | None]:
    if per == "global":
        return [None]
    kind = Unit.Kind.ENTERPRISE if per == "enterprise" else Unit.Kind.GROUP
    return list(Unit.objects.filter(kind=kind, active=True).order_by("path"))


def _overrides(job_names: list[str]) -> dict[str, dict[int, Schedule]]:
    found: dict[str, dict[int, Schedule]] = {}
    for s in Schedule.objects.filter(job__in=job_names):
        found.setdefault(s.job, {})[s.unit_id] = s
    return found


def time_for(job_: Job, unit: Unit | None, overrides: dict[int, Schedule] | None = None) -> time | None:
    """The local time of the job for the unit: nearest override (unit, then up), else the default."""
    if unit is None:
        return job_.default_time
    if overrides is None:
        overrides = {s.unit_id: s for s in Schedule.objects.filter(job=job_.name)}
    for pk in [unit.pk, *reversed(unit.ancestor_ids)]:
        if pk in overrides:
            s = overrides[pk]
            return s.at if s.enabled else None
    return job_.default_time


def _zone(unit: Unit | None) -> str:
    return unit.timezone if unit is not None else settings.TIME_ZONE


def due_runs(now: datetime, names: list[str] | None = None) -> list[Due]:
    """Runs whose local time has come today (or yesterday, near midnight) and is within GRACE."""
    selected = [j for j in jobs() if names is None or j.name in names]
    overrides = _overrides([j.name for j in selected])
    found: list[Due] = []
    for j in selected:
        for unit in _subjects(j.per):
            at_time = time_for(j, unit, overrides.get(j.name, {}))
            if at_time is None:
                continue
            tz = _zone(unit)
            today = business_day(tz, now)
            for day in (today - timedelta(days=1), today):
                at = local_time(tz, day, at_time)
                if at <= now < at + GRACE:
                    found.append(Due(j, unit, day, at))
    if not found:
        return []
    done = set(Run.objects.filter(key__in=[d.key for d in found]).values_list("key", flat=True))
    return [d for d in found if d.key not in done]


def claim(due: Due, now: datetime) -> Run | None:
    """Insert the run's unique key; None if another process already has it."""
    try:
        with transaction.atomic():
            return Run.objects.create(
                key=due.key,
                job=due.job.name,
                unit=due.unit,
                day=due.day,
                due_at=due.at,
                claimed_at=now,
            )
    except IntegrityError:
        return None


def claim_key(key: str, *, job: str, unit: Unit | None, day: date, due_at: datetime, now: datetime) -> bool:
    """Claim a one-off step (e.g. an escalation rung) by its unique key; it is done when claimed."""
    try:
        with transaction.atomic():
            Run.objects.create(
                key=key,
                job=job,
                unit=unit,
                day=day,
                due_at=due_at,
                claimed_at=now,
                finished_at=now,
                state=Run.State.DONE,
            )
    except IntegrityError:
        return False
    return True


def execute_run(run_id: int, now: datetime | None = None) -> int:
    """Run a claimed job once; its errors are recorded on the run, never raised into the worker."""
    run = Run.objects.select_related("unit").get(pk=run_id)
    if run.state != Run.State.QUEUED:
        return 0
    j = _jobs.get(run.job)
    # Jobs compute at send time: `now` is when the run happens (tests pass the frozen instant).
    at = now or timezone.now()
    try:
        if j is None:
            raise LookupError(f"no job registered as {run.job!r}")
        with translation.override(settings.LANGUAGE_CODE):
            sent = int(j.fn(at, run.unit) or 0)
    except Exception as e:  # noqa: BLE001 — one enterprise's failure must not stop the others
        log.exception("scheduled run %s failed", run.key)
        Run.objects.filter(pk=run.pk).update(
            state=Run.State.FAILED, finished_at=timezone.now(), error=f"{type(e).__name__}: {e}"[:500]
        )
        return 0
    Run.objects.filter(pk=run.pk).update(state=Run.State.DONE, finished_at=timezone.now(), sent=sent)
    return sent


def enqueue_due(now: datetime | None = None) -> int:
    """The worker's scheduler step: claim due runs and queue them as tasks, in one commit each."""
    from .tasks import run_job

    now = now or timezone.now()
    queued = 0
    for due in due_runs(now):
        with transaction.atomic():
            run = claim(due, now)
            if run is not None:
                run_job.enqueue(run.pk)
                queued += 1
    return queued


def run_due(now: datetime | None = None, names: list[str] | None = None) -> list[Run]:
    """`fangkong tick`: claim due runs and execute them here, one after the other."""
    now = now or timezone.now()
    ran = []
    for due in due_runs(now, names):
        run = claim(due, now)
        if run is not None:
            execute_run(run.pk, now)
            run.refresh_from_db()
            ran.append(run)
    return ran
