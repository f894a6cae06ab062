"""Reads of the notify module, each starting from the caller: their own inbox, or units they administer."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import Http404

from fangkong.org import access
from fangkong.org.models import Unit

from . import schedule
from .models import Channel, Delivery, Message

# Who configures a unit's channels and reminder times, and reads its delivery record: its admins
# (access.ADMIN_ROLES: group, segment and enterprise admins, on the unit or above it).
CONFIGURE_ROLES = access.ADMIN_ROLES


def inbox(user) -> QuerySet[Message]:
    return Message.objects.filter(user_id=user.pk)


def about(rows: QuerySet[Message], unit: Unit) -> QuerySet[Message]:
    """Messages about `unit` or a unit below it."""
    return rows.filter(unit__path__startswith=unit.path)


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Message.objects.filter(user_id=user.pk, read_at__isnull=True).count()


def message_for_user(user, uid: uuid.UUID | str) -> Message:
    """The caller's own message; anyone else's answers 404 like an absent one."""
    found = Message.objects.filter(user_id=user.pk, uid=uid).select_related("unit").first()
    if found is None:
        raise Http404("no such message")
    return found


def unit_to_configure(user, code: str) -> Unit:
    return access.unit_for_user(user, code, CONFIGURE_ROLES)


def configurable_units(user) -> QuerySet[Unit]:
    """Top units the caller administers (entry points to channels and schedules)."""
    return (
        access.visible_units(user, CONFIGURE_ROLES)
        .exclude(kind=Unit.Kind.GRID)
        .order_by("depth", "path")[:20]
    )


def channels_of(unit: Unit) -> QuerySet[Channel]:
    return Channel.objects.filter(unit=unit).order_by("-active", "kind", "pk")


def inherited_channels(unit: Unit) -> QuerySet[Channel]:
    return Channel.objects.filter(unit_id__in=unit.ancestor_ids, active=True).select_related("unit")


def channel_for_user(user, uid: uuid.UUID | str) -> Channel:
    found = Channel.objects.filter(uid=uid).select_related("unit").first()
    if found is None or not access.has_role(user, CONFIGURE_ROLES, found.unit):
        raise Http404("no such channel")
    return found


def deliveries_under(unit: Unit) -> QuerySet[Delivery]:
    return Delivery.objects.filter(unit__path__startswith=unit.path).select_related("unit", "channel")


def schedule_rows(unit: Unit) -> list[dict]:
    """Each registered job that applies at this unit's level, with its effective local time."""
    rows = []
    own = {s.job: s for s in unit.notify_schedules.all()}
    for j in schedule.jobs():
        if j.per == "global" or (j.per == "group" and unit.kind != Unit.Kind.GROUP):
            continue
        effective = schedule.time_for(j, unit)
        rows.append(
            {
                "job": j.name,
                "default": j.default_time,
                "effective": effective,
                "own": own.get(j.name),
                "zone": unit.timezone,
            }
        )
    return rows
