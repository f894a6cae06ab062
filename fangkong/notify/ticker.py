"""One scheduler pass: due daily runs, ledger escalation, and deliveries waiting for a retry.

`fangkong tick` runs the due daily jobs right here (for cron); the scheduler inside `fangkong worker`
only claims them and queues them as tasks for the worker. Both are safe to run side by side, twice.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from django.db import close_old_connections
from django.utils import timezone

from . import delivery, escalation, report_reminders, schedule

log = logging.getLogger(__name__)


@dataclass
class TickResult:
    runs: list[str]
    messages: int
    escalation: escalation.EscalationResult
    deliveries: dict[str, int]


def tick(now: datetime | None = None, jobs: list[str] | None = None) -> TickResult:
    now = now or timezone.now()
    runs = schedule.run_due(now, jobs)
    reports = report_reminders.run(now)
    esc = escalation.escalate_overdue(now)
    sent = delivery.deliver_due(now)
    return TickResult([r.key for r in runs], sum(r.sent for r in runs) + reports, esc, sent)


def scheduler_pass(now: datetime | None = None) -> int:
    """The worker's scheduler: claim and queue due runs; escalate; sweep retries."""
    now = now or timezone.now()
    queued = schedule.enqueue_due(now)
    report_reminders.run(now)
    escalation.escalate_overdue(now)
    delivery.deliver_due(now)
    return queued


def start_scheduler_thread(interval: float = 30.0) -> threading.Thread:
    """A daemon thread beside the task worker, with its own database connection."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                close_old_connections()
                scheduler_pass()
            except Exception:  # noqa: BLE001 — keep scheduling; the next pass retries
                log.exception("scheduler pass failed")
            finally:
                close_old_connections()
            stop.wait(interval)

    thread = threading.Thread(target=loop, name="fangkong-scheduler", daemon=True)
    thread.stop = stop  # type: ignore[attr-defined]
    thread.start()
    return thread
