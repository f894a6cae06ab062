"""What the page header offers the signed-in user (one query for grants, one for the person link)."""

from __future__ import annotations

from django.http import HttpRequest

from . import access
from .models import Person, Role


def nav(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = {role for role, _ in access.roles_of(user)}
    return {
        # The caller's role names, for module links in the header ({% if "group_admin" in nav_roles %}).
        "nav_roles": roles,
        "nav_checkin": Person.objects.filter(user_id=user.pk, status=Person.Status.ACTIVE).exists(),
        "nav_ledger": bool(roles - {Role.EMPLOYEE, Role.INSPECTOR}) or user.is_superuser,
    }
