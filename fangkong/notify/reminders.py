"""The daily check-in reminders: people at 08:30, grid leaders at 10:00, the enterprise admin at 11:00.

Each job computes who is missing when it runs (send time), in the enterprise's own business day, so
someone who checked in at 08:29 or was exempted at 09:59 is not reminded. One message per recipient
per run (a digest), keyed by job, enterprise and day so a repeated run sends nothing new.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.checkins.rollup import missing_people
from fangkong.lib.dates import business_day
from fangkong.org.models import Person, Role, RoleGrant, Unit

from .api import notify

ACTOR = "system:notify"
NAMES_IN_DIGEST = 30


def _key(job: str, unit: Unit, day: date) -> str:
    return f"{job}:{unit.code}:{day.isoformat()}"


def missing_link(unit: Unit, day: date) -> str:
    return f"{reverse('checkins_missing', args=[unit.code])}?date={day.isoformat()}"


def names_line(people: list[Person], total: int) -> str:
    shown = "、".join(f"{p.name}（{p.employee_no}）" for p in people[:NAMES_IN_DIGEST])
    if total > len(people[:NAMES_IN_DIGEST]):
        more = total - len(people[:NAMES_IN_DIGEST])
        shown += " " + ngettext("and %(n)d more", "and %(n)d more", more) % {"n": more}
    return shown


def remind_people(now: datetime, enterprise: Unit | None) -> int:
    """08:30: everyone expected today who has neither checked in nor an exemption, and can sign in."""
    assert enterprise is not None
    day = business_day(enterprise.timezone, now)
    users = [
        p.user
        for p in missing_people(enterprise, day)
        .filter(user__isnull=False, user__is_active=True)
        .select_related("user")
        .order_by("pk")
    ]
    return notify(
        ACTOR,
        users,
        subject=_("Please check in today"),
        body=_("Your health check-in for %(day)s has not been received yet. Please check in now.")
        % {"day": day.isoformat()},
        link=reverse("h5"),
        unit=enterprise,
        key=_key("checkins.remind_people", enterprise, day),
    )


def tell_grid_leaders(now: datetime, enterprise: Unit | None) -> int:
    """10:00: each grid leader gets one digest of who is still missing in the grids they lead."""
    assert enterprise is not None
    day = business_day(enterprise.timezone, now)
    grants = (
        RoleGrant.objects.filter(
            role=Role.GRID_LEADER,
            unit__path__startswith=enterprise.path,
            unit__active=True,
            user__is_active=True,
        )
        .select_related("unit", "user")
        .order_by("user_id", "unit__path")
    )
    leads: dict[int, list[RoleGrant]] = defaultdict(list)
    for g in grants:
        leads[g.user_id].append(g)
    sent = 0
    for user_grants in leads.values():
        user = user_grants[0].user
        units = [g.unit for g in user_grants]
        people: dict[int, Person] = {}
        for unit in units:
            for p in missing_people(unit, day).order_by("employee_no"):
                people.setdefault(p.pk, p)
        if not people:
            continue  # nothing to chase: no message at all
        listed = sorted(people.values(), key=lambda p: p.employee_no)
        n = len(listed)
        first = units[0]
        subject = ngettext(
            "%(n)d person in your grid has not checked in", "%(n)d people in your grid have not checked in", n
        ) % {"n": n}
        body = _("%(subject)s (%(day)s): %(names)s") % {
            "subject": subject,
            "day": day.isoformat(),
            "names": names_line(listed, n),
        }
        sent += notify(
            ACTOR,
            [user],
            subject=subject,
            body=body,
            link=missing_link(first, day),
            unit=first,
            key=_key("checkins.tell_grid_leaders", enterprise, day),
        )
    return sent


def tell_enterprise_admin(now: datetime, enterprise: Unit | None) -> int:
    """11:00: the enterprise admins get the count still missing, per grid, with a link to the list."""
    assert enterprise is not None
    day = business_day(enterprise.timezone, now)
    missing = missing_people(enterprise, day)
    by_unit = dict(missing.order_by().values("unit").annotate(n=Count("pk")).values_list("unit", "n"))
    n = sum(by_unit.values())
    if not n:
        return 0
    admins = [
        g.user
        for g in RoleGrant.objects.filter(role=Role.ENTERPRISE_ADMIN, unit=enterprise, user__is_active=True)
        .select_related("user")
        .order_by("user_id")
    ]
    names = dict(Unit.objects.filter(pk__in=list(by_unit)).values_list("pk", "name"))
    lines = [
        f"{names[pk]}: {count}"
        for pk, count in sorted(by_unit.items(), key=lambda kv: (-kv[1], names[kv[0]]))
    ]
    subject = ngettext(
        "%(n)d person in %(unit)s has not checked in", "%(n)d people in %(unit)s have not checked in", n
    ) % {"n": n, "unit": enterprise.name}
    return notify(
        ACTOR,
        admins,
        subject=subject,
        body=f"{subject} ({day.isoformat()}):\n" + "\n".join(lines),
        link=missing_link(enterprise, day),
        unit=enterprise,
        key=_key("checkins.tell_enterprise_admin", enterprise, day),
    )
