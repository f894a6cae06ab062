"""What other apps' events mean for the ledger: called inside their transactions."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.utils.translation import gettext as _

from fangkong.org import access
from fangkong.org.models import Role

from . import actions
from .models import Kind

OWNER_ROLES = (Role.GRID_LEADER, Role.ENTERPRISE_ADMIN)  # in this order: who follows a person's item


def default_owner(unit):
    """The person's grid leader; failing that, the enterprise's prevention officer."""
    return default_owners([unit])[unit.pk]


def default_owners(units: list) -> dict[int, Any]:
    """`default_owner` of many units (unit pk -> user or None), from one read of both roles."""
    held = access.holders_by_role(units, OWNER_ROLES)
    return {
        u.pk: next((users[0] for role in OWNER_ROLES if (users := held[role][u.pk])), None) for u in units
    }


def checkin_stored(actor: Any, checkin) -> None:
    """A red card opens one health-anomaly item per person (an amendment does not open a second)."""
    if checkin.card != "red":
        return
    opening = _anomaly(checkin)
    opening = replace(opening, owner=lambda: default_owner(opening.unit))
    if actions.open_at_once(actor, opening) is None:  # (not on this database)
        actions.open_opening(actor, opening)


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
