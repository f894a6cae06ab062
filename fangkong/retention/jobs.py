"""The daily purge, registered with the notify module's schedule (from RetentionConfig.ready).

One run a day for the whole group ("global"), at PURGE_TIME in the server's zone, a quiet hour;
each enterprise's cutoff is still counted in its own business day. The scheduler claims the run
once; were it to run twice, the second would find nothing left and report zeros.
"""

from __future__ import annotations

from datetime import datetime

from fangkong.org.models import Unit

JOB = "retention.purge"
PURGE_TIME = "03:30"


def purge_job(now: datetime, unit: Unit | None) -> int:
    from .purge import run

    return sum(run(now=now).values())


def register() -> None:
    """Add the purge to the notify module's schedule, when that module is installed."""
    try:
        from fangkong.notify import schedule
    except ImportError:
        return
    schedule.register(JOB, PURGE_TIME, purge_job, per="global")
