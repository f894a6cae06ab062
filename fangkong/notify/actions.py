"""State changes of the notify module: reading messages, channels and schedule times per unit."""

from __future__ import annotations

from datetime import time
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.org.actions import ActionError
from fangkong.org.models import Unit

from . import schedule
from .models import Channel, Message, Schedule

# Reading one's own inbox is not audited: a read mark is the reader's own state, not a business record.


def mark_read(user: Any, message: Message) -> Message:
    if message.read_at is None:
        Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=timezone.now())
        message.refresh_from_db(fields=["read_at"])
    return message


def mark_all_read(user: Any, unit: Unit | None = None) -> int:
    rows = Message.objects.filter(user=user, read_at__isnull=True)
    if unit is not None:
        rows = rows.filter(unit__path__startswith=unit.path)
    return rows.update(read_at=timezone.now())


@transaction.atomic
def add_channel(
    actor: Any, unit: Unit, *, kind: str, url: str = "", secret: str = "", name: str = ""
) -> Channel:
    if kind not in Channel.Kind.values:
        raise ActionError(_("choose one of: %(kinds)s") % {"kinds": ", ".join(Channel.Kind.values)}, "kind")
    url = url.strip()
    if kind == Channel.Kind.EMAIL:
        url, secret = "", ""
        if Channel.objects.filter(unit=unit, kind=kind, active=True).exists():
            raise ActionError(_("e-mail is already on for this unit"), "kind")
    elif not url.startswith(("https://", "http://")):
        raise ActionError(_("the robot's webhook address (https://…) is required"), "url")
    if len(url) > 500:
        raise ActionError(_("at most 500 characters"), "url")
    channel = Channel.objects.create(
        unit=unit, kind=kind, url=url, secret=secret.strip()[:200], name=name.strip()[:100]
    )
    record(actor, "notify.add_channel", "channel", channel.uid, unit_code=unit.code, detail={"kind": kind})
    return channel


@transaction.atomic
def deactivate_channel(actor: Any, channel: Channel) -> Channel:
    if not channel.active:
        raise ActionError(_("the channel is already off"), "state")
    Channel.objects.filter(pk=channel.pk).update(active=False)
    channel.active = False
    record(
        actor,
        "notify.deactivate_channel",
        "channel",
        channel.uid,
        unit_code=channel.unit.code,
        detail={"kind": channel.kind},
    )
    return channel


@transaction.atomic
def set_schedule(
    actor: Any, unit: Unit, job: str, *, at: str | time | None, enabled: bool = True
) -> Schedule | None:
    """Set the local time of a job on a unit (None with enabled=True: back to the inherited time)."""
    try:
        schedule.job(job)
    except KeyError:
        raise ActionError(_("no such job"), "job") from None
    if unit.kind not in (Unit.Kind.GROUP, Unit.Kind.SEGMENT, Unit.Kind.ENTERPRISE):
        raise ActionError(_("times are set on the group, a segment or an enterprise"), "unit")
    if at is None and enabled:
        Schedule.objects.filter(job=job, unit=unit).delete()
        record(
            actor,
            "notify.reset_schedule",
            "schedule",
            f"{job}:{unit.code}",
            unit_code=unit.code,
            detail={"job": job},
        )
        return None
    if isinstance(at, str):
        try:
            at = time.fromisoformat(at.strip())
        except ValueError:
            raise ActionError(_("a time such as 08:30"), "at") from None
    current = schedule.time_for(schedule.job(job), unit)
    row, _created = Schedule.objects.update_or_create(
        job=job,
        unit=unit,
        defaults={"at": at or current or schedule.job(job).default_time, "enabled": enabled},
    )
    record(
        actor,
        "notify.set_schedule",
        "schedule",
        f"{job}:{unit.code}",
        unit_code=unit.code,
        detail={"job": job, "at": row.at.strftime("%H:%M"), "enabled": enabled},
    )
    return row
