"""The daily shortage scan, registered with the notify module's schedule (from SuppliesConfig.ready).

Days of cover fall as days pass with the same use, even when nobody records a movement: once a day
every stock row is reviewed (`actions.scan_shortages`), which opens a shortage item where the cover
fell below the target and closes the ones that recovered. One run for the whole group ("global") at
SCAN_TIME, before the working day; the scheduler claims it once, and a second run would change
nothing (an open item is found by its key).
"""

from __future__ import annotations

from datetime import datetime

from fangkong.org.models import Unit

JOB = "supplies.shortages"
SCAN_TIME = "06:00"


def shortage_job(now: datetime, unit: Unit | None) -> int:
    from .actions import scan_shortages

    return scan_shortages("system")


def register() -> None:
    from fangkong.notify import schedule

    schedule.register(JOB, SCAN_TIME, shortage_job, per="global")
