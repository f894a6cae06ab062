"""The one scope rule: a role granted on a unit reaches that unit's whole subtree.

Every view, API handler, export and aggregate starts from these functions. Anything outside the
caller's scope is treated exactly like something that does not exist (Http404).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404

from .models import Person, Role, RoleGrant, Unit
from .rawsql import table

# Roles that may read the roster (names, employee numbers) of the units they reach. Trackers,
# inspectors and employees see only what their own module gives them (minimum disclosure).
ROSTER_ROLES = frozenset({Role.GROUP_ADMIN, Role.SEGMENT_ADMIN, Role.ENTERPRISE_ADMIN, Role.GRID_LEADER})
ADMIN_ROLES = frozenset({Role.GROUP_ADMIN, Role.SEGMENT_ADMIN, Role.ENTERPRISE_ADMIN})
# Minimum disclosure: who sees *named* health states (a red card, a health item), and who sees the
# medical detail itself (temperature, symptoms, follow-up). The group and segments read counts.
NAMED_HEALTH_ROLES = frozenset({Role.ENTERPRISE_ADMIN, Role.GRID_LEADER})
HEALTH_DETAIL_ROLES = frozenset({Role.ENTERPRISE_ADMIN})
# Who enters check-ins, exemptions and uploads for other people: exactly those who read the roster.
PROXY_ROLES = ROSTER_ROLES
ALL_ROLES = frozenset(Role)


def _is_root(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_superuser)


def grants(user, roles: Iterable[str] = ALL_ROLES) -> QuerySet[RoleGrant]:
    if not (user and user.is_authenticated and user.is_active):
        return RoleGrant.objects.none()
    return RoleGrant.objects.filter(user=user, role__in=list(roles), unit__active=True).select_related("unit")


def _grant_paths(user) -> list[tuple[str, str]]:
    """(role, unit path) of the user's grants (on active units), read once per user object (one
    request) with a hand-written statement: every API call of the morning peak needs them."""
    cached = getattr(user, "_fangkong_grants", None)
    if cached is None:
        if not (user and user.is_authenticated and user.is_active):
            return []
        users = table(get_user_model())
        sql = f"SELECT g_role, g_path FROM {users} u {grants_join('u.id')} WHERE u.id = %s"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, [user.pk])
            remember_grants(user, cursor.fetchall())
        cached = user._fangkong_grants
    return cached


def grants_join(user_id: str) -> str:
    """SQL that joins the grants (on active units) of the user whose id is the column `user_id` as
    columns `g_role`, `g_path` (NULL when none): a read of the user can bring its grants along
    (the API's token read does), and `remember_grants` keeps them for the request."""
    return (
        f"LEFT JOIN (SELECT g.user_id AS g_user, g.role AS g_role, gu.path AS g_path "  # noqa: S608
        f"FROM {table(RoleGrant)} g JOIN {table(Unit)} gu ON gu.id = g.unit_id AND gu.active) gg "
        f"ON gg.g_user = {user_id}"
    )


def remember_grants(user, rows: Iterable[tuple[str | None, str | None]]) -> None:
    """Keep the (role, path) rows of `grants_join` as the user's grants for this request."""
    user._fangkong_grants = [(role, path) for role, path in rows if role in ALL_ROLES and path is not None]


def _paths(user, roles: Iterable[str]) -> list[str]:
    wanted = set(roles)
    paths = sorted({path for role, path in _grant_paths(user) if role in wanted})
    # Drop paths already covered by a shorter one: fewer OR terms in every query.
    kept: list[str] = []
    for p in paths:
        if not any(p.startswith(k) for k in kept):
            kept.append(p)
    return kept


def _subtree_q(paths: list[str], field: str = "path") -> Q:
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(**{f"{field}__startswith": p})
    return q


def visible_units(user, roles: Iterable[str] = ALL_ROLES) -> QuerySet[Unit]:
    """Every unit in the subtree of any of the user's grants (of the given roles)."""
    if _is_root(user):
        return Unit.objects.all()
    paths = _paths(user, roles)
    if not paths:
        return Unit.objects.none()
    return Unit.objects.filter(_subtree_q(paths))


def top_units(user) -> list[Unit]:
    """The units at the top of the user's scope: its grants' units, minus those under another one."""
    if _is_root(user):
        return list(Unit.objects.filter(parent__isnull=True))
    paths = _paths(user, ALL_ROLES)
    return list(Unit.objects.filter(path__in=paths).order_by("path"))


def unit_for_user(user, code: str, roles: Iterable[str] = ALL_ROLES) -> Unit:
    """The unit with this code if the user reaches it, else Http404 (same as absent)."""
    unit = visible_units(user, roles).filter(code=code).first()
    if unit is None:
        raise Http404("No such unit")
    return unit


def visible_people(user, within: Unit | None = None) -> QuerySet[Person]:
    """People on the roster of units the user reaches with a roster role, optionally within a unit."""
    units = visible_units(user, ROSTER_ROLES)
    if within is not None:
        units = units.filter(path__startswith=within.path)
    return Person.objects.filter(unit__in=units.values("pk"))


def person_for_user(user, employee_no: str) -> Person:
    person = visible_people(user).filter(employee_no=employee_no).first()
    if person is None:
        raise Http404("No such person")
    return person


def has_role(user, roles: Iterable[str], unit: Unit) -> bool:
    """True if the user holds one of `roles` on `unit` or on one of its ancestors."""
    if _is_root(user):
        return True
    return any(unit.path.startswith(p) for p in _paths(user, roles))


def can_read_roster(user, unit: Unit) -> bool:
    return has_role(user, ROSTER_ROLES, unit)


def roles_of(user) -> list[tuple[str, Unit]]:
    return [(g.role, g.unit) for g in grants(user).order_by("unit__path", "role")]


def on_group(user, roles: Iterable[str] = (Role.GROUP_ADMIN,)) -> bool:
    """An active superuser, or a holder of one of `roles` on the root of the tree (the leading
    group): who may change what holds group-wide (card rules, legal basis, region levels)."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return grants(user, list(roles)).filter(unit__parent__isnull=True).exists()


def require_on_group(user, roles: Iterable[str] = (Role.GROUP_ADMIN,)) -> None:
    """Http404 (like an absent page) unless `on_group(user, roles)`."""
    if not on_group(user, roles):
        raise Http404("No such page")


def holders(unit: Unit, roles: Iterable[str]):
    """Users holding one of `roles` on `unit` or its nearest ancestor that has any (by pk)."""
    return holders_many([unit], roles)[unit.pk]


def holders_many(units: Iterable[Unit], roles: Iterable[str]) -> dict[int, list]:
    """`holders` for many units with one query: unit pk -> users (nearest holding unit, by pk)."""
    chains = {u.pk: [*u.ancestor_ids, u.pk] for u in units}
    by_unit: dict[int, dict[int, Any]] = {}
    for grant in _grants_on(chains, roles):
        by_unit.setdefault(grant.unit_id, {})[grant.user_id] = grant.user
    return {pk: _nearest(chain, by_unit) for pk, chain in chains.items()}


def holders_by_role(units: Iterable[Unit], roles: Sequence[str]) -> dict[str, dict[int, list]]:
    """`holders_many` of each of `roles` alone, from one query: role -> unit pk -> users (a red
    card's item goes to the grid leader, failing one to the enterprise's officer: ledger.hooks)."""
    chains = {u.pk: [*u.ancestor_ids, u.pk] for u in units}
    by_role: dict[str, dict[int, dict[int, Any]]] = {role: {} for role in roles}
    for grant in _grants_on(chains, roles):
        by_role[grant.role].setdefault(grant.unit_id, {})[grant.user_id] = grant.user
    return {role: {pk: _nearest(c, by_role[role]) for pk, c in chains.items()} for role in roles}


def _grants_on(chains: dict[int, list[int]], roles: Iterable[str]) -> QuerySet[RoleGrant]:
    """The active users' grants of `roles` on the units of `chains`, with their users."""
    units = set().union(*chains.values())
    return RoleGrant.objects.filter(
        unit_id__in=units, role__in=list(roles), user__is_active=True
    ).select_related("user")


def _nearest(chain: list[int], by_unit: dict[int, dict[int, Any]]) -> list:
    """The users of the nearest unit of `chain` (a unit's ancestors, then itself) that has any, by pk."""
    users = next((by_unit[c] for c in reversed(chain) if c in by_unit), {})
    return [users[pk] for pk in sorted(users)]


def visible_ancestors(user, unit: Unit, roles: Iterable[str] = ALL_ROLES) -> QuerySet[Unit]:
    """The unit's ancestors the user reaches, top first (breadcrumbs)."""
    return visible_units(user, roles).filter(pk__in=unit.ancestor_ids).order_by("depth")
