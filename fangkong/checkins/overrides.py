"""Health-status overrides: an enterprise prevention officer sets a person's card for a day by hand.

Who: a user holding a HEALTH_DETAIL_ROLES role (the enterprise admin, 企业防控专员) on the person's
unit or above it; anyone else finds no such person (404). What: the person's current check-in of that
day gets the new card (so lists, counts, the person's page and the API all show it), a CardOverride
row keeps the card before, who, when and the mandatory reason, the unit-day red/yellow counters move
and the audit row is written, all in one transaction; the enterprise's officers are told on commit.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from fangkong.audit.actions import actor_name, record
from fangkong.notify.api import notify
from fangkong.org import access
from fangkong.org.actions import ActionError
from fangkong.org.models import Person

from .actions import _count, _delta
from .models import Card, CardOverride, CheckIn

OVERRIDE_ROLES = access.HEALTH_DETAIL_ROLES
MAX_REASON = 500


class NothingToOverride(Exception):
    """The person has no check-in that day (HTTP 409)."""


def person_for_officer(user: Any, employee_no: str) -> Person:
    """The person if `user` may override its card (an officer over its unit); Http404 otherwise."""
    person = access.visible_people(user).select_related("enterprise", "unit").filter(employee_no=employee_no)
    found = person.first()
    if found is None or not access.has_role(user, OVERRIDE_ROLES, found.unit):
        raise Http404("No such person")
    return found


def latest(checkin: CheckIn) -> CardOverride | None:
    return checkin.overrides.order_by("-at", "-pk").first()


def marker() -> dict[str, Subquery]:
    """Annotations `override_by` and `override_reason` of a CheckIn query (None: the rules' own card)."""
    newest = CardOverride.objects.filter(checkin=OuterRef("pk")).order_by("-at", "-pk")
    return {
        "override_by": Subquery(newest.values("by_name")[:1]),
        "override_reason": Subquery(newest.values("reason")[:1]),
    }


def marker_text(row: Any) -> str | None:
    """ "by X: reason" from a row annotated with `marker()`, None for the rules' own card."""
    who = row.get("override_by")
    return f"by {who}: {row.get('override_reason')}" if who else None


def with_override(checkins: QuerySet[CheckIn]) -> QuerySet[CheckIn]:
    return checkins.annotate(**marker())


def override_card(actor: Any, person: Person, day: date, *, card: str, reason: str) -> CardOverride:
    """Set the card of the person's current check-in of `day`; raises ActionError naming the field,
    NothingToOverride when there is no check-in that day."""
    reason = (reason or "").strip()
    if not reason:
        raise ActionError("a reason is required", "reason")
    if len(reason) > MAX_REASON:
        raise ActionError(f"at most {MAX_REASON} characters", "reason")
    if card not in Card.values:
        raise ActionError(f"must be one of {', '.join(Card.values)}", "card")
    with transaction.atomic():
        # Queue behind the person's check-ins (actions._store takes the same lock).
        Person.objects.select_for_update().filter(pk=person.pk).values_list("pk").get()
        checkin = CheckIn.objects.filter(person=person, day=day, current=True).first()
        if checkin is None:
            raise NothingToOverride(f"{person.employee_no} has no check-in on {day.isoformat()}")
        before, reasons = checkin.card, list(checkin.card_reasons)
        row = CardOverride.objects.create(
            checkin=checkin,
            card_before=before,
            reasons_before=reasons,
            card=card,
            reason=reason,
            by=actor,
            by_name=actor_name(actor)[:150],
            at=timezone.now(),
        )
        CheckIn.objects.filter(pk=checkin.pk).update(card=card, card_reasons=["override"])
        old, new = _delta(before, checkin.where, -1), _delta(card, checkin.where, 1)
        if before != card:
            _count(checkin.unit_id, day, red=old["red"] + new["red"], yellow=old["yellow"] + new["yellow"])
        record(
            actor,
            "checkin.override",
            "checkin",
            checkin.pk,
            unit_code=person.enterprise.code,
            detail={"person": person.employee_no, "day": day, "from": before, "to": card, "reason": reason},
        )
        _tell_officers(actor, person, day, before, card, reason)
    return row


def _tell_officers(actor: Any, person: Person, day: date, before: str, card: str, reason: str) -> None:
    """The enterprise's prevention officers hear of it, in their inbox only: a named health state
    must not go to the enterprise's group-chat robots (no `unit`, so no channel)."""
    officers = access.holders(person.enterprise, OVERRIDE_ROLES)
    notify(
        actor,
        officers,
        subject=f"健康卡人工调整 / Health card overridden: {person.employee_no} {day.isoformat()}",
        body=(
            f"{person.name} ({person.employee_no}), {day.isoformat()}: {before} → {card}.\n"
            f"调整人 / by {actor_name(actor)}: {reason}"
        ),
        link=f"/checkins/people/{person.employee_no}/card/?date={day.isoformat()}",
    )
