"""Every change to the org tree, roster, roles and tokens. Each runs in one transaction with its audit row."""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from fangkong.audit.actions import record

from .models import PATH_SEP, ApiToken, Membership, Person, Region, Role, RoleGrant, Unit
from .signals import headcount_changed, placement_changed

User = get_user_model()

TOKEN_PREFIX = "fk_"


class ActionError(ValueError):
    """A refused action; `field` names the input at fault."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def _check_parent(kind: str, parent: Unit | None) -> None:
    allowed: set[str | None] = {
        Unit.Kind.GROUP: {None},
        Unit.Kind.SEGMENT: {Unit.Kind.GROUP},
        Unit.Kind.ENTERPRISE: {Unit.Kind.GROUP, Unit.Kind.SEGMENT},
        Unit.Kind.GRID: {Unit.Kind.ENTERPRISE, Unit.Kind.GRID},
    }[Unit.Kind(kind)]  # type: ignore[assignment]
    if (parent.kind if parent else None) not in allowed:
        raise ActionError(f"a {kind} cannot be placed under {parent.kind if parent else 'nothing'}", "parent")


@transaction.atomic
def create_unit(
    actor: Any,
    *,
    code: str,
    name: str,
    kind: str,
    parent: Unit | None,
    region: Region | None = None,
    timezone_name: str = "Asia/Shanghai",
) -> Unit:
    _check_parent(kind, parent)
    if kind == Unit.Kind.ENTERPRISE and region is None:
        raise ActionError("an enterprise needs a region", "region")
    unit = Unit.objects.create(
        code=code,
        name=name,
        kind=kind,
        parent=parent,
        path="",
        depth=(parent.depth + 1) if parent else 0,
        region=region,
        timezone=timezone_name,
        enterprise=parent.enterprise if parent is not None and kind == Unit.Kind.GRID else None,
    )
    unit.path = f"{parent.path if parent else PATH_SEP}{unit.pk}{PATH_SEP}"
    if kind == Unit.Kind.ENTERPRISE:
        unit.enterprise = unit
    elif kind == Unit.Kind.GRID and parent is not None:
        unit.region, unit.timezone = parent.region, parent.timezone
    unit.save(update_fields=["path", "enterprise", "region", "timezone"])
    record(
        actor,
        "unit.create",
        "unit",
        unit.code,
        unit_code=unit.code,
        detail={
            "name": name,
            "kind": kind,
            "parent": parent.code if parent else None,
            "region": region.code if region else None,
        },
    )
    return unit


@transaction.atomic
def update_unit(
    actor: Any,
    unit: Unit,
    *,
    name: str | None = None,
    region: Region | None = None,
    timezone_name: str | None = None,
    active: bool | None = None,
) -> Unit:
    changes: dict[str, Any] = {}
    if name is not None and name != unit.name:
        changes["name"] = [unit.name, name]
        unit.name = name
    if region is not None and region != unit.region:
        changes["region"] = [unit.region_id, region.code]
        unit.region = region
    if timezone_name is not None and timezone_name != unit.timezone:
        changes["timezone"] = [unit.timezone, timezone_name]
        unit.timezone = timezone_name
    if active is not None and active != unit.active:
        changes["active"] = [unit.active, active]
        unit.active = active
    if changes:
        unit.save()
        if unit.kind == Unit.Kind.ENTERPRISE and ("region" in changes or "timezone" in changes):
            Unit.objects.filter(enterprise=unit, kind=Unit.Kind.GRID).update(
                region=unit.region, timezone=unit.timezone
            )
        record(actor, "unit.update", "unit", unit.code, unit_code=unit.code, detail=changes)
    return unit


def _enterprise_of(unit: Unit) -> Unit:
    if unit.enterprise_id is None:
        raise ActionError(f"people belong to an enterprise or a grid, not to a {unit.kind}", "unit")
    return unit.enterprise if unit.kind == Unit.Kind.GRID else unit  # type: ignore[return-value]


@transaction.atomic
def add_person(
    actor: Any,
    *,
    employee_no: str,
    name: str,
    unit: Unit,
    joined_on: date,
    id_number: str = "",
    mobile: str = "",
) -> Person:
    """Put a new person on the roster of `unit` from `joined_on`."""
    person = Person.objects.create(
        employee_no=employee_no,
        name=name,
        unit=unit,
        enterprise=_enterprise_of(unit),
        id_number=id_number,
        mobile=mobile,
        joined_on=joined_on,
    )
    Membership.objects.create(person=person, unit=unit, start=joined_on)
    headcount_changed.send(sender=Person, changes=[(unit.pk, joined_on, None, 1)])
    record(
        actor,
        "person.add",
        "person",
        employee_no,
        unit_code=unit.code,
        detail={"unit": unit.code, "joined_on": joined_on},
    )
    return person


@transaction.atomic
def update_person(
    actor: Any,
    person: Person,
    *,
    name: str | None = None,
    id_number: str | None = None,
    mobile: str | None = None,
) -> list[str]:
    """Change a person's details; returns the names of the fields that changed (values not audited)."""
    changed = []
    for field, value in (("name", name), ("id_number", id_number), ("mobile", mobile)):
        if value is not None and getattr(person, field) != value:
            setattr(person, field, value)
            changed.append(field)
    if changed:
        person.save(update_fields=[*changed, "updated_at"])
        record(
            actor,
            "person.update",
            "person",
            person.employee_no,
            unit_code=person.unit.code,
            detail={"fields": changed},
        )
    return changed


@transaction.atomic
def transfer_person(actor: Any, person: Person, unit: Unit, on: date) -> Person:
    """Move a person to another unit from day `on` (the old placement ends the day before)."""
    if unit.pk == person.unit_id:
        return person
    current = Membership.objects.select_for_update().filter(person=person, end__isnull=True).first()
    if current is None:
        raise ActionError("the person has left; put them back on the roster (rejoin) instead", "unit")
    if current is not None:
        if on <= current.start:
            raise ActionError("a transfer must be dated after the current placement began", "on")
        current.end = on
        current.save(update_fields=["end"])
    old_unit = person.unit
    old = old_unit.code
    Membership.objects.create(person=person, unit=unit, start=on)
    person.unit, person.enterprise = unit, _enterprise_of(unit)
    person.status, person.left_on = Person.Status.ACTIVE, None
    person.save(update_fields=["unit", "enterprise", "status", "left_on", "updated_at"])
    record(
        actor,
        "person.transfer",
        "person",
        person.employee_no,
        unit_code=unit.code,
        detail={"from": old, "to": unit.code, "on": on},
    )
    headcount_changed.send(sender=Person, changes=[(current.unit_id, on, None, -1), (unit.pk, on, None, 1)])
    placement_changed.send(sender=Person, person=person, old_unit=old_unit, new_unit=unit, on=on)
    return person


@transaction.atomic
def rejoin_person(actor: Any, person: Person, unit: Unit, on: date) -> Person:
    """Put a person who left back on the roster of `unit` from day `on`."""
    if person.status != Person.Status.LEFT:
        raise ActionError("the person is on the roster; transfer them instead", "status")
    last_end = Membership.objects.filter(person=person).order_by("-end").values_list("end", flat=True).first()
    if last_end is not None and on < last_end:
        raise ActionError(f"must be on or after the day the person left ({last_end.isoformat()})", "on")
    Membership.objects.create(person=person, unit=unit, start=on)
    person.unit, person.enterprise = unit, _enterprise_of(unit)
    person.status, person.left_on = Person.Status.ACTIVE, None
    person.save(update_fields=["unit", "enterprise", "status", "left_on", "updated_at"])
    record(
        actor,
        "person.rejoin",
        "person",
        person.employee_no,
        unit_code=unit.code,
        detail={"unit": unit.code, "on": on},
    )
    headcount_changed.send(sender=Person, changes=[(unit.pk, on, None, 1)])
    placement_changed.send(sender=Person, person=person, old_unit=None, new_unit=unit, on=on)
    return person


@transaction.atomic
def person_leaves(actor: Any, person: Person, on: date) -> Person:
    """The person is no longer expected from day `on`."""
    current = Membership.objects.select_for_update().filter(person=person, end__isnull=True).first()
    if current is not None:
        if on <= current.start:
            raise ActionError("leaving must be dated after the placement began", "on")
        current.end = on
        current.save(update_fields=["end"])
        headcount_changed.send(sender=Person, changes=[(current.unit_id, on, None, -1)])
    person.status, person.left_on = Person.Status.LEFT, on
    person.save(update_fields=["status", "left_on", "updated_at"])
    record(actor, "person.leave", "person", person.employee_no, unit_code=person.unit.code, detail={"on": on})
    placement_changed.send(sender=Person, person=person, old_unit=person.unit, new_unit=None, on=on)
    return person


@transaction.atomic
def ensure_user(actor: Any, username: str, password: str | None = None, email: str = ""):
    user, created = User.objects.get_or_create(username=username, defaults={"email": email})
    if created or password:
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        record(
            actor,
            "user.create" if created else "user.password",
            "user",
            username,
            detail={"password_set": bool(password)},
        )
    return user, created


@transaction.atomic
def grant_role(actor: Any, user, role: str, unit: Unit) -> RoleGrant:
    if role not in Role.values:
        raise ActionError(f"unknown role {role!r}; one of {', '.join(Role.values)}", "role")
    grant, created = RoleGrant.objects.get_or_create(user=user, role=role, unit=unit)
    user.__dict__.pop("_fangkong_grants", None)  # access.py's per-request memo of the grants
    if created:
        record(actor, "role.grant", "user", user.username, unit_code=unit.code, detail={"role": role})
    return grant


@transaction.atomic
def revoke_role(actor: Any, grant: RoleGrant) -> None:
    record(
        actor,
        "role.revoke",
        "user",
        grant.user.username,
        unit_code=grant.unit.code,
        detail={"role": grant.role},
    )
    grant.delete()


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_token(actor: Any, user, label: str = "") -> str:
    """Create an API token and return it; it is shown once and stored only as a digest."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, digest=token_digest(raw), prefix=raw[:8], label=label)
    record(actor, "token.create", "user", user.username, detail={"token": token.prefix, "label": label})
    return raw


@transaction.atomic
def revoke_token(actor: Any, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(actor, "token.revoke", "user", token.user.username, detail={"token": token.prefix})


@transaction.atomic
def add_people(actor: Any, rows: list[dict[str, Any]], *, unit_code: str = "") -> int:
    """Put many new people on the roster at once (an import); returns how many.

    Each row: employee_no, name, unit, joined_on, and optionally id_number, mobile, status and
    left_on (a person who already left gets a closed placement). Bulk inserts, and ONE audit row
    summarising the batch (count and unit codes, no personal data), on the chain of `unit_code`.
    """
    people: list[Person] = []
    for row in rows:
        unit = row["unit"]
        left = row.get("status") == Person.Status.LEFT
        people.append(
            Person(
                employee_no=row["employee_no"],
                name=row["name"],
                unit=unit,
                enterprise=_enterprise_of(unit),
                id_number=row.get("id_number") or "",
                mobile=row.get("mobile") or "",
                status=Person.Status.LEFT if left else Person.Status.ACTIVE,
                joined_on=row["joined_on"],
                left_on=row.get("left_on") if left else None,
            )
        )
    Person.objects.bulk_create(people, batch_size=1000)
    if any(p.pk is None for p in people):  # backends that do not return ids from a bulk insert
        ids = dict(
            Person.objects.filter(employee_no__in=[p.employee_no for p in people]).values_list(
                "employee_no", "pk"
            )
        )
        for p in people:
            p.pk = ids[p.employee_no]
    Membership.objects.bulk_create(
        [Membership(person=p, unit=p.unit, start=p.joined_on, end=p.left_on) for p in people], batch_size=1000
    )
    spans = Counter((p.unit.pk, p.joined_on, p.left_on) for p in people)
    headcount_changed.send(
        sender=Person, changes=[(u, start, end, n) for (u, start, end), n in spans.items()]
    )
    if people:
        units = sorted({p.unit.code for p in people})
        record(
            actor,
            "person.import",
            "person",
            f"{len(people)} people",
            unit_code=unit_code,
            detail={"count": len(people), "units": units},
        )
    return len(people)
