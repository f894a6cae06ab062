"""The scheduled daily bulletin: each unit's admins get the day's headline figures and a link to the
bulletin (PDF and XLSX), through the notification channels (inbox, e-mail, group-chat robots).

Registered with the notify module's schedule (from DashboardConfig.ready): "dashboard.bulletin" for
the group and its segments, "dashboard.bulletin_enterprise" for every enterprise, each in its own
time zone at BULLETIN_TIME (before the leading group's 2 p.m. meeting). The notify module claims each
run once; the message key makes a retried run send nothing twice.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from fangkong.lib.dates import business_day
from fangkong.org import access
from fangkong.org.models import Unit

from . import queries
from .figures import show, show_delta

BULLETIN_TIME = "13:30"
ACTOR = "system"


def admins_of(unit: Unit) -> list:
    """Users holding an admin role granted on the unit itself (not the ones above it: the group's
    admins read the group's bulletin, not 548 enterprise ones)."""
    return list(
        get_user_model()
        .objects.filter(is_active=True, grants__unit=unit, grants__role__in=list(access.ADMIN_ROLES))
        .distinct()
        .order_by("pk")
    )


def message(board: queries.Board) -> tuple[str, str]:
    """(subject, body) in Chinese: the headline figures with their change since yesterday."""
    with translation.override("zh-hans"):
        subject = _("%(unit)s epidemic bulletin") % {"unit": board.unit.name} + f" {board.day.isoformat()}"
        lines = [
            f"{f.label}：{show(c.today, f.percent)}（{_('vs yesterday')} {show_delta(c.delta, f.percent)}）"
            for f, c in zip(board.figures, board.changes, strict=True)
        ]
        if board.blocks:
            lines.append("")
            lines.append(_("What blocks") + "：")
            lines += [
                f"· {b.what} {b.unit_name} {b.person} {b.count if b.count is not None else ''}".rstrip()
                for b in board.blocks[:10]
                if not b.more
            ]
    return subject, "\n".join(lines)


def send_bulletin(unit: Unit, now: datetime) -> int:
    """Send the unit's bulletin of its local day to its admins; returns the messages made."""
    from fangkong.notify.api import notify

    users = admins_of(unit)
    if not users:
        return 0
    day = business_day(unit.timezone, now)
    board = queries.board(unit, day, now)
    subject, body = message(board)
    link = reverse("dashboard_bulletin_pdf", kwargs={"code": unit.code}) + f"?date={day.isoformat()}"
    return notify(
        ACTOR,
        users,
        subject=subject,
        body=body,
        link=link,
        unit=unit,
        key=f"dashboard.bulletin:{unit.code}:{day.isoformat()}",
    )


def group_bulletins(now: datetime, group: Unit | None) -> int:
    """The group's bulletin to its admins, and each segment's to the segment's admins."""
    if group is None:
        return 0
    sent = send_bulletin(group, now)
    for segment in group.children.filter(kind=Unit.Kind.SEGMENT, active=True).order_by("code"):
        sent += send_bulletin(segment, now)
    return sent


def enterprise_bulletin(now: datetime, enterprise: Unit | None) -> int:
    return send_bulletin(enterprise, now) if enterprise is not None else 0


def register() -> None:
    """Add the bulletin jobs to the notify module's schedule, when that module is installed."""
    try:
        from fangkong.notify import schedule
    except ImportError:
        return
    schedule.register("dashboard.bulletin", BULLETIN_TIME, group_bulletins, per="group")
    schedule.register("dashboard.bulletin_enterprise", BULLETIN_TIME, enterprise_bulletin, per="enterprise")
