"""What other apps' events mean for unit reports (called inside their transactions)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from fangkong.checkins.signals import checkins_stored

from .actions import flag_zero_reports


@receiver(checkins_stored, dispatch_uid="reports.flag_zero_reports")
def abnormal_checkins_flag_zero_reports(sender: Any, actor: Any, checkins: list, **kwargs: Any) -> None:
    """Red or yellow cards flag the day's zero epidemic reports above them. All green returns at
    once: this is the morning peak's hot path."""
    abnormal = [c for c in checkins if c.card != "green"]
    if abnormal:
        flag_zero_reports(actor, abnormal)
