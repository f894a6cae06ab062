"""Writing the access log, and revealing a person's ID number or mobile (docs/privacy.md)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import Http404

from fangkong.audit.actions import actor_name, record
from fangkong.org import access
from fangkong.org.models import Person, Unit

from .models import AccessRecord

Action = AccessRecord.Action
# Who may reveal an identifier of a person: those who see the person's health detail, over the
# person's unit (the enterprise's officers).
REVEAL_ROLES = access.HEALTH_DETAIL_ROLES
REVEALABLE = {"id_number": "ID number", "mobile": "mobile"}
REASON_MIN = 4


class RevealRefused(ValueError):
    """The reveal was refused for a reason the caller can fix (no reason given, unknown field)."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


def log_access(
    user: Any,
    action: str,
    *,
    person: Person | None = None,
    unit: Unit | str | None = None,
    what: str = "",
    reason: str = "",
) -> list[AccessRecord]:
    """Record that `user` did `action` (AccessRecord.Action) on `person`'s data, or on the personal
    data of `unit` (a list, an export; a Unit or its code). With neither (an export over the caller's
    whole scope), one record per unit at the top of the caller's scope, so each unit's data-protection
    officer sees it. Joins the caller's transaction if there is one."""
    if action not in Action.values:
        raise ValueError(f"unknown access action {action!r}")
    if isinstance(unit, str):
        unit = Unit.objects.filter(code=unit).first() if unit else None
    if unit is None and person is not None:
        unit = person.unit
    units: list[Unit | None] = [unit] if unit is not None else [*access.top_units(user)] or [None]
    return AccessRecord.objects.bulk_create(
        AccessRecord(
            actor_id=getattr(user, "pk", None),
            actor=actor_name(user)[:150],
            action=action,
            employee_no=person.employee_no if person is not None else "",
            unit_code=u.code if u is not None else "",
            unit_path=u.path if u is not None else "",
            what=str(what)[:255],
            reason=str(reason)[:500],
        )
        for u in units
    )


def person_for_reveal(user: Any, employee_no: str) -> Person:
    """The person, if `user` may reveal their identifiers (REVEAL_ROLES over their unit), else 404."""
    units = access.visible_units(user, REVEAL_ROLES)
    person = (
        Person.objects.filter(unit__in=units.values("pk"), employee_no=employee_no)
        .select_related("unit", "enterprise")
        .first()
    )
    if person is None:
        raise Http404("No such person")
    return person


@transaction.atomic
def reveal_identity(actor: Any, person: Person, field: str, reason: str) -> str:
    """Return the plain ID number or mobile of `person`, after logging who asked and why.

    The caller has checked scope (`person_for_reveal`); this refuses anything else out of scope too.
    The access record and the audit row are written in this transaction, before the value is returned.
    """
    if not access.has_role(actor, REVEAL_ROLES, person.unit):
        raise Http404("No such person")
    if field not in REVEALABLE:
        raise RevealRefused("unknown field", "field")
    reason = " ".join((reason or "").split())
    if len(reason) < REASON_MIN:
        raise RevealRefused("say why you need the full value", "reason")
    log_access(actor, Action.REVEAL, person=person, what=REVEALABLE[field], reason=reason)
    record(
        actor,
        "privacy.reveal",
        "person",
        person.employee_no,
        unit_code=person.enterprise.code,
        detail={"field": field, "reason": reason[:200]},
    )
    return getattr(person, field) or ""
