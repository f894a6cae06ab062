"""A read-only page for the leading group: the retention periods in force and the purge's last runs."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from fangkong.audit.models import AuditEntry
from fangkong.org import access
from fangkong.org.models import Role

from .jobs import PURGE_TIME
from .policy import periods
from .purge import ACTOR, CLASSES, make_plan

RUNS_SHOWN = 14

# What each class keeps and how long (docs/privacy.md, "Retention").
CLASS_LABELS = {
    "checkins": _("Check-ins (temperature, symptoms, place, regions visited), card overrides"),
    "exemption_notes": _("Notes of exemptions (the dates stay for the figures)"),
    "trajectories": _("Regions visited kept on re-screening entries"),
    "ledger_items": _("Closed ledger items: the person, their name, health detail and notes"),
    "people": _("People who left, without open items: name, numbers, account"),
    "deliveries": _("Notification sends (e-mail, group-chat robots)"),
    "messages": _("Inbox messages"),
}
SHORT_LABELS = {
    "checkins": _("check-ins"),
    "exemption_notes": _("exemption notes"),
    "trajectories": _("trajectories"),
    "ledger_items": _("closed items"),
    "people": _("people"),
    "deliveries": _("sends"),
    "messages": _("messages"),
}
PERIOD_OF = {
    "checkins": "checkins",
    "exemption_notes": "checkins",
    "trajectories": "checkins",
    "ledger_items": "closed_items",
    "people": "left_people",
    "deliveries": "notify",
    "messages": "notify",
}


def _require_group_officer(request: HttpRequest) -> None:
    """The leading group's admins and data-protection officers (granted on the root) only."""
    access.require_on_group(request.user, (Role.GROUP_ADMIN, Role.DATA_PROTECTION))


@require_GET
@never_cache
@login_required
def status(request: HttpRequest) -> HttpResponse:
    _require_group_officer(request)
    plan = make_plan(now=timezone.now())
    p = periods()
    rows = [
        {
            "key": key,
            "label": CLASS_LABELS[key],
            "days": getattr(p, PERIOD_OF[key]),
            "cutoff": plan.server.cutoff(getattr(p, PERIOD_OF[key])),
        }
        for key in CLASSES
    ]
    runs = AuditEntry.objects.filter(actor=ACTOR, action__startswith="retention.").order_by("-at", "-pk")[
        :RUNS_SHOWN
    ]
    context = {
        "rows": rows,
        "audit_days": p.audit,
        "access_log_days": p.access_log,
        "purge_time": PURGE_TIME,
        "zone": settings.TIME_ZONE,
        "classes": [SHORT_LABELS[k] for k in CLASSES],
        "runs": [
            {"entry": r, "counts": [r.detail.get("counts", {}).get(k, 0) for k in CLASSES]} for r in runs
        ],
    }
    return render(request, "retention/status.html", context)


urlpatterns: list[URLPattern] = [path("", status, name="retention_status")]
