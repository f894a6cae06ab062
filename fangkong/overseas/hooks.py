"""What a change of a country's risk level means for the projects there.

`on_country_risk_changed` is the entry point for fangkong.controls: call it (inside the transaction
that records the level) whenever the level of a country (a Region of level "country") changes.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import receiver
from django.urls import reverse
from django.utils.translation import gettext as _

from fangkong.controls.signals import risk_changed
from fangkong.ledger import actions as ledger
from fangkong.ledger.models import Item, Kind
from fangkong.org import access
from fangkong.org.models import Region, Role

from .models import LIVE_STATUSES, Project

RANK = {"low": 0, "medium": 1, "high": 2}
ACTIVATION_DUE_HOURS = 12


def activation_key(project: Project) -> str:
    return f"overseas-plan:{project.uid}"


def project_owner(project: Project):
    """The project's own owner; failing that, its enterprise's prevention officer."""
    if project.owner is not None and project.owner.is_active:
        return project.owner
    users = access.holders(project.enterprise, (Role.ENTERPRISE_ADMIN,))
    return users[0] if users else None


@transaction.atomic
def on_country_risk_changed(actor: Any, country_code: str, old_level: str, new_level: str) -> list[Item]:
    """A rise (low → medium → high) makes the activation of each live project's emergency plan a
    ledger item for the project's owner (one open per project; a further rise keeps the open one and
    notes it). A fall or an unchanged level does nothing. Returns the items opened or noted."""
    if RANK.get(new_level, -1) <= RANK.get(old_level, -1):
        return []
    country = Region.objects.filter(code=country_code, level=Region.Level.COUNTRY).first()
    if country is None:
        return []
    items = []
    projects = Project.objects.filter(country=country, status__in=LIVE_STATUSES).select_related(
        "enterprise", "owner"
    )
    for project in projects:
        latest = project.plans.order_by("-version").first()
        owner = project_owner(project)
        item, created = ledger.open_item(
            actor,
            kind=Kind.PLAN_ACTIVATION,
            key=activation_key(project),
            unit=project.enterprise,
            title=_("%(project)s (%(country)s): activate the emergency plan, risk %(old)s → %(new)s")
            % {"project": project.name, "country": country.name, "old": old_level, "new": new_level},
            due_at=ledger.default_due(ACTIVATION_DUE_HOURS),
            owner=owner,
            detail={
                "project": str(project.uid),
                "country": country.code,
                "from": old_level,
                "to": new_level,
                "plan_version": latest.version if latest else None,
            },
        )
        if not created:
            ledger.follow_up(
                actor,
                item,
                note=_("risk rose again: %(old)s → %(new)s") % {"old": old_level, "new": new_level},
            )
        elif owner is not None:
            _notify(actor, owner, project, item)
        items.append(item)
    return items


def _notify(actor: Any, owner: Any, project: Project, item: Item) -> None:
    try:
        from fangkong.notify.api import notify
    except ImportError:  # the notifications module is optional for this hook
        return
    notify(
        actor,
        [owner],
        subject=item.title,
        body=_(
            "The risk level of %(country)s rose. Activate the emergency plan of %(project)s "
            "and close the item when done."
        )
        % {"country": project.country.name, "project": project.name},
        link=reverse("ledger_item", args=[item.uid]),
        unit=project.enterprise,
        key=f"overseas.activation:{item.uid}",
    )


@receiver(risk_changed, dispatch_uid="overseas.on_country_risk_changed")
def _risk_changed(sender: Any, actor: Any, region: Region, old: str, new: str, **kwargs: Any) -> None:
    if region.level == Region.Level.COUNTRY:
        on_country_risk_changed(actor, region.code, old, new)
