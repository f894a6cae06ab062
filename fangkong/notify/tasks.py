"""Background tasks (django-tasks; the database backend's worker is `fangkong worker`)."""

from __future__ import annotations

from django_tasks import task

from . import delivery


@task()
def deliver(ids: list[int]) -> dict[str, int]:
    """First attempt of freshly queued deliveries; retries come from the scheduler's sweep."""
    return delivery.deliver(ids)


@task()
def run_job(run_id: int) -> int:
    """Execute one claimed scheduled run (see schedule.py); returns the messages sent."""
    from .schedule import execute_run

    return execute_run(run_id)
