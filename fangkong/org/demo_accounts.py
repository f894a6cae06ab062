"""The demo's sign-in accounts: one user per role on units of the generated group."""

from __future__ import annotations

from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count

from fangkong.audit.actions import record

from . import actions
from .generate import ACTOR, GROUP_CODE, GROUP_NAME
from .models import Person, Role, Unit

DEMO_PASSWORD = "fangkong-demo"


class DemoAccount(NamedTuple):
    username: str
    password: str
    role: str
    unit_code: str
    unit_name: str


def _demo_units() -> dict[str, Unit]:
    group = Unit.objects.get(code=GROUP_CODE)
    segment = Unit.objects.get(code="S01")
    busiest = (
        Person.objects.filter(enterprise__path__startswith=segment.path)
        .values("enterprise")
        .annotate(n=Count("id"))
        .order_by("-n", "enterprise__code")
        .first()
    )
    enterprise = (
        Unit.objects.get(pk=busiest["enterprise"])
        if busiest
        else Unit.objects.filter(kind=Unit.Kind.ENTERPRISE, parent=segment).order_by("code").first()
    )
    busiest = (
        Person.objects.filter(enterprise=enterprise)
        .values("unit")
        .annotate(n=Count("id"))
        .order_by("-n", "unit__code")
        .first()
    )
    grid = (
        Unit.objects.get(pk=busiest["unit"])
        if busiest
        else Unit.objects.filter(kind=Unit.Kind.GRID, enterprise=enterprise).order_by("code").first()
    )
    assert enterprise is not None and grid is not None
    return {"group": group, "segment": segment, "enterprise": enterprise, "grid": grid}


DEMO_ROLES = (  # username, role, which unit
    ("group_admin", Role.GROUP_ADMIN, "group"),
    ("segment_admin", Role.SEGMENT_ADMIN, "segment"),
    ("enterprise_admin", Role.ENTERPRISE_ADMIN, "enterprise"),
    ("grid_leader", Role.GRID_LEADER, "grid"),
    ("tracker", Role.TRACKER, "enterprise"),
    ("inspector", Role.INSPECTOR, "enterprise"),
    ("employee", Role.EMPLOYEE, "grid"),
)


@transaction.atomic
def create_demo_accounts(password: str = DEMO_PASSWORD) -> list[DemoAccount]:
    """One account per role on the generated group (idempotent); the employee is linked to a person
    on the grid leader's grid."""
    units = _demo_units()
    employee = Person.objects.filter(unit=units["grid"]).order_by("employee_no").first()
    accounts = []
    for username, role, where in DEMO_ROLES:
        if role == Role.EMPLOYEE and employee is None:
            continue
        user = get_user_model().objects.filter(username=username).first()
        if user is None or not user.check_password(password):
            user, _ = actions.ensure_user(ACTOR, username, password)
        unit = units[where]
        actions.grant_role(ACTOR, user, role, unit)
        if role == Role.EMPLOYEE and employee is not None and employee.user_id != user.pk:
            Person.objects.filter(user=user).update(user=None)
            employee.user = user
            employee.save(update_fields=["user", "updated_at"])
            record(
                ACTOR,
                "person.link_user",
                "person",
                employee.employee_no,
                unit_code=unit.code,
                detail={"user": username},
            )
        accounts.append(DemoAccount(username, password, role, unit.code, unit.name))
    return accounts


def is_demo_group() -> bool:
    return Unit.objects.filter(code=GROUP_CODE, name=GROUP_NAME, kind=Unit.Kind.GROUP).exists()
