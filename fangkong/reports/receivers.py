"""What other apps' events mean for unit reports (called inside their transactions)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from fangkong.checkins.signals import checkin_stored

from .actions import flag_zero_reports


@receiver(checkin_stored, dispatch_uid="reports.flag_zero_reports")
def abnormal_checkin_flags_zero_reports(sender: Any, actor: Any, checkin: Any, **kwargs: Any) -> None:
    """A red or yellow card flags the day's zero epidemic reports above it. Green returns at once:
    this is the morning peak's hot path."""
    if checkin.card == "green":
        return
    flag_zero_reports(actor, checkin)
