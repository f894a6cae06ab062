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
    root = user.is_superuser
    admin = bool(roles & access.ADMIN_ROLES) or root
    board = admin or Role.GRID_LEADER in roles
    return {
        # The caller's role names, and which module links the header shows.
        "nav_roles": roles,
        "nav_admin": admin,
        "nav_board": board,
        "nav_safety": board or Role.INSPECTOR in roles,
        "nav_checkin": Person.objects.filter(user_id=user.pk, status=Person.Status.ACTIVE).exists(),
        "nav_ledger": bool(roles - {Role.EMPLOYEE, Role.INSPECTOR, Role.DATA_PROTECTION}) or root,
        # The access log of personal data: data-protection officers only (docs/privacy.md).
        "nav_privacy": Role.DATA_PROTECTION in roles,
    }
