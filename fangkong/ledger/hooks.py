"""What other apps' events mean for the ledger: called inside their transactions."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from fangkong.org import access
from fangkong.org.models import Role

from . import actions
from .models import Kind


def default_owner(unit):
    """The person's grid leader; failing that, the enterprise's prevention officer."""
    for roles in ((Role.GRID_LEADER,), (Role.ENTERPRISE_ADMIN,)):
        users = access.holders(unit, roles)
        if users:
            return users[0]
    return None


def checkin_stored(actor: Any, checkin) -> None:
    """A red card opens one health-anomaly item per person (an amendment does not open a second)."""
    if checkin.card != "red":
        return
    person, unit = checkin.person, checkin.unit
    actions.open_item(
        actor,
        kind=Kind.HEALTH_ANOMALY,
        key=f"person:{person.pk}",
        unit=unit,
        person=person,
        title=_("%(name)s (%(no)s): red card on %(day)s")
        % {"name": person.name, "no": person.employee_no, "day": checkin.day.isoformat()},
        due_at=actions.default_due(24),
        owner=lambda: default_owner(unit),
        detail={
            "temperature": str(checkin.temperature),
            "symptoms": checkin.symptoms,
            "reasons": checkin.card_reasons,
            "day": checkin.day.isoformat(),
            "checkin": str(checkin.pk),
        },
    )
