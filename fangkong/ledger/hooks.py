"""What other apps' events mean for the ledger: called inside their transactions."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.utils.translation import gettext as _

from fangkong.org import access
from fangkong.org.models import Role

from . import actions
from .models import Kind


def default_owner(unit):
    """The person's grid leader; failing that, the enterprise's prevention officer."""
    return default_owners([unit])[unit.pk]


def default_owners(units: list) -> dict[int, Any]:
    """`default_owner` of many units (unit pk -> user or None), with two role reads at most."""
    owners: dict[int, Any] = {}
    left = list({u.pk: u for u in units}.values())
    for roles in ((Role.GRID_LEADER,), (Role.ENTERPRISE_ADMIN,)):
        if not left:
            break
        held = access.holders_many(left, roles)
        owners.update({pk: users[0] for pk, users in held.items() if users})
        left = [u for u in left if u.pk not in owners]
    return {**{u.pk: None for u in left}, **owners}


def checkin_stored(actor: Any, checkin) -> None:
    """A red card opens one health-anomaly item per person (an amendment does not open a second)."""
    if checkin.card != "red":
        return
    opening = _anomaly(checkin)
    actions.open_opening(actor, replace(opening, owner=lambda: default_owner(opening.unit)))


def checkins_stored(actor: Any, checkins: list) -> None:
    """`checkin_stored` for a batch's check-ins: their red cards' items opened together."""
    reds = [c for c in checkins if c.card == "red"]
    if reds:
        actions.open_items(actor, [_anomaly(c) for c in reds], default_owners)


def _anomaly(checkin) -> actions.Opening:
    person = checkin.person
    return actions.Opening(
        kind=Kind.HEALTH_ANOMALY,
        key=f"person:{person.pk}",
        unit=checkin.unit,
        person=person,
        title=_("%(name)s (%(no)s): red card on %(day)s")
        % {"name": person.name, "no": person.employee_no, "day": checkin.day.isoformat()},
        due_at=actions.default_due(24),
        detail={
            "temperature": str(checkin.temperature),
            "symptoms": checkin.symptoms,
            "reasons": checkin.card_reasons,
            "day": checkin.day.isoformat(),
            "checkin": str(checkin.pk),
        },
    )
