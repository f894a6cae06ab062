"""Scoped reads of overseas projects."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.http import Http404

from fangkong.org import access
from fangkong.org.models import Role, Unit

from .models import Project

# Who reads projects: the admins over their enterprise. Who keeps them: the enterprise's officers.
READ_ROLES = access.ADMIN_ROLES
WRITE_ROLES = frozenset({Role.ENTERPRISE_ADMIN})


def unit_for(user, code: str) -> Unit:
    return access.unit_for_user(user, code, READ_ROLES)


def default_unit(user) -> Unit | None:
    return access.visible_units(user, READ_ROLES).order_by("depth", "path").first()


def projects_in(unit: Unit) -> QuerySet[Project]:
    return (
        Project.objects.filter(enterprise__path__startswith=unit.path)
        .select_related("enterprise", "country", "owner")
        .order_by("enterprise__path", "name")
    )


def project_for_user(user, uid: uuid.UUID) -> Project:
    units = access.visible_units(user, READ_ROLES)
    project = (
        Project.objects.filter(uid=uid, enterprise__in=units.values("pk"))
        .select_related("enterprise", "country", "owner")
        .first()
    )
    if project is None:
        raise Http404("No such project")
    return project


def can_write(user, unit: Unit) -> bool:
    return unit.kind == Unit.Kind.ENTERPRISE and access.has_role(user, WRITE_ROLES, unit)
