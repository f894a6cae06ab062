"""The purge: delete or anonymise personal data past its retention period, keep the aggregates.

What goes, per class (docs/privacy.md, "Retention"):

- checkins: check-ins (temperature, symptoms, location, visited regions) of business days before
  the cutoff, counted in each enterprise's own zone. The per-unit day counters (UnitDay) stay, so
  roll-ups and the dashboard of a purged day show the same figures.
- exemption_notes: the free-text note of exemptions that ended before the check-in cutoff (the
  dates stay: the dashboard's trend counts exempt people from them).
- trajectories: the check-in references (days, region codes) of re-screening entries.
- ledger_items: closed items of a person, that long after closing: the person link, the title
  naming them, the health detail, the close note and the events' data go; kind, unit, dates and
  close reason stay for the statistics.
- people: people who left that long ago and have no open item: name, employee number, ID number,
  mobile, their H5 link and their account (names, e-mail, access) are anonymised, and so are their
  closed items; the row stays, because counters, memberships and history point to it.
- deliveries, messages: notification sends and inbox messages.

Audit rows are never touched (the audit table is append-only and hash-chained). Each batch is its
own transaction, so memory and lock time stay bounded whatever the backlog; the run's counts go to
the audit log at the end (and the counts so far if it fails half-way: the next run does the rest).
A second run finds nothing left to do and reports zeros.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models import Case, CharField, Exists, F, OuterRef, QuerySet, Value, When
from django.db.models.functions import Cast, Concat
from django.utils import timezone, translation

from fangkong.audit.actions import record
from fangkong.checkins.models import CheckIn, Exemption, PersonalLink
from fangkong.controls.models import RescreenEntry
from fangkong.ledger.models import OPEN_STATES, Event, Item, Kind, State
from fangkong.lib.dates import business_day, day_bounds
from fangkong.notify.models import Delivery, Message
from fangkong.org.models import ApiToken, Person, RoleGrant, Unit
from fangkong.overseas.models import StaffMember

from .policy import Periods, periods

ACTOR = "system:purge"
BATCH = 2000
ANONYMOUS_NAME = "已匿名"
ANON_PREFIX = "anon-"
CLASSES = (
    "checkins",
    "exemption_notes",
    "trajectories",
    "ledger_items",
    "people",
    "deliveries",
    "messages",
)


@dataclass(frozen=True)
class Zone:
    """Enterprises sharing a time zone, and the business day it is there."""

    tz: str
    today: date
    enterprises: tuple[int, ...]
    everything: bool  # the only zone: no need to filter by enterprise

    def cutoff(self, days: int) -> date:
        """The first business day kept: data of earlier days goes."""
        return self.today - timedelta(days=days)

    def cutoff_instant(self, days: int) -> datetime:
        return day_bounds(self.tz, self.cutoff(days))[0]

    def scope(self, field: str) -> models.Q:
        return models.Q() if self.everything else models.Q(**{f"{field}__in": self.enterprises})


@dataclass(frozen=True)
class Plan:
    periods: Periods
    zones: list[Zone]
    server: Zone  # for classes stamped with an instant and no enterprise: the server's zone
    now: datetime

    def cutoffs(self) -> dict[str, Any]:
        p = self.periods
        return {
            "checkins": {z.tz: z.cutoff(p.checkins) for z in self.zones},
            "closed_items": self.server.cutoff(p.closed_items),
            "left_people": {z.tz: z.cutoff(p.left_people) for z in self.zones},
            "notify": self.server.cutoff(p.notify),
        }


def zones(today: date | None, now: datetime) -> list[Zone]:
    """One zone per time zone of the enterprises; `today` given: that day everywhere."""
    by_tz: dict[str, list[int]] = defaultdict(list)
    for pk, tz in Unit.objects.filter(kind=Unit.Kind.ENTERPRISE).order_by("pk").values_list("pk", "timezone"):
        by_tz[tz].append(pk)
    if today is not None:
        every = tuple(pk for pks in by_tz.values() for pk in pks)
        return [Zone(settings.TIME_ZONE, today, every, everything=True)]
    if not by_tz:
        return [Zone(settings.TIME_ZONE, business_day(settings.TIME_ZONE, now), (), everything=True)]
    single = len(by_tz) == 1
    return [Zone(tz, business_day(tz, now), tuple(pks), single) for tz, pks in sorted(by_tz.items())]


def make_plan(today: date | None = None, now: datetime | None = None) -> Plan:
    now = now or timezone.now()
    server_today = today or business_day(settings.TIME_ZONE, now)
    server = Zone(settings.TIME_ZONE, server_today, (), everything=True)
    return Plan(periods(), zones(today, now), server, now)


def run(today: date | None = None, dry_run: bool = False, now: datetime | None = None) -> dict[str, int]:
    """Purge what is past its period; returns the rows deleted or anonymised per class (with
    dry_run: the rows that would be, and nothing changes). `today` defaults to each enterprise's
    business day now."""
    plan = make_plan(today, now)
    counts = dict.fromkeys(CLASSES, 0)
    steps: dict[str, Callable[[Plan, bool], int]] = {
        "checkins": purge_checkins,
        "exemption_notes": purge_exemption_notes,
        "trajectories": purge_trajectories,
        "ledger_items": purge_closed_items,
        "people": purge_left_people,
        "deliveries": purge_deliveries,
        "messages": purge_messages,
    }
    try:
        for name, step in steps.items():
            counts[name] = step(plan, dry_run)
    except Exception:
        if not dry_run and any(counts.values()):
            _record(plan, counts, "retention.purge_failed")
        raise
    if not dry_run:
        _record(plan, counts, "retention.purge")
    return counts


def _record(plan: Plan, counts: dict[str, int], action: str) -> None:
    with transaction.atomic():
        record(
            ACTOR,
            action,
            "retention",
            plan.server.today.isoformat(),
            detail={"counts": counts, "cutoffs": plan.cutoffs(), "periods": plan.periods.as_dict()},
        )


def _batches(qs: QuerySet, apply: Callable[[QuerySet], int], dry_run: bool) -> int:
    """Apply to the rows of `qs` in primary-key order, BATCH rows per transaction."""
    if dry_run:
        return qs.count()
    done, last = 0, None
    while True:
        todo = qs if last is None else qs.filter(pk__gt=last)
        ids = list(todo.order_by("pk").values_list("pk", flat=True)[:BATCH])
        if not ids:
            return done
        with transaction.atomic():
            # Re-applied to the full condition: a row that stopped qualifying meanwhile is left alone.
            done += apply(qs.filter(pk__in=ids))
        last = ids[-1]


def _deleted(result: tuple[int, dict[str, int]], model: type[models.Model]) -> int:
    return result[1].get(model._meta.label, 0)


# --- check-ins and trajectories -------------------------------------------------------------------


def purge_checkins(plan: Plan, dry_run: bool) -> int:
    """Enterprise by enterprise, BATCH rows per transaction: each read is a range of the
    (enterprise, day) index, never a scan of the whole table; an enterprise with nothing expired
    costs one index probe. A card override goes with its check-in (on_delete=CASCADE)."""
    done = 0
    for zone in plan.zones:
        cutoff = zone.cutoff(plan.periods.checkins)
        for enterprise_id in zone.enterprises:
            expired = CheckIn.objects.filter(enterprise_id=enterprise_id, day__lt=cutoff)
            if dry_run:
                done += expired.count()
                continue
            while ids := list(expired.values_list("pk", flat=True)[:BATCH]):
                with transaction.atomic():
                    done += _deleted(CheckIn.objects.filter(pk__in=ids).delete(), CheckIn)
    return done


def purge_exemption_notes(plan: Plan, dry_run: bool) -> int:
    done = 0
    for zone in plan.zones:
        qs = Exemption.objects.filter(
            zone.scope("person__enterprise_id"), end__lt=zone.cutoff(plan.periods.checkins)
        ).exclude(note="")
        done += _batches(qs, lambda batch: batch.update(note=""), dry_run)
    return done


def purge_trajectories(plan: Plan, dry_run: bool) -> int:
    done = 0
    for zone in plan.zones:
        qs = RescreenEntry.objects.filter(
            zone.scope("enterprise_id"), created_at__lt=zone.cutoff_instant(plan.periods.checkins)
        ).exclude(checkins=[])
        done += _batches(qs, lambda batch: batch.update(checkins=[]), dry_run)
    return done


# --- ledger items and people ----------------------------------------------------------------------


def _generic_titles() -> Case:
    """An item's title without the person's name: the kind's label, in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        whens = [When(kind=k.value, then=Value(str(k.label))) for k in Kind]
    return Case(*whens, default=Value(str(Kind.OTHER.label)), output_field=CharField())


def anonymise_items(batch: QuerySet[Item]) -> int:
    """Strip closed items of the person: link, name in the title, health detail, notes."""
    batch = batch.filter(state=State.CLOSED)
    Event.objects.filter(item__in=batch).exclude(data={}).update(data={})
    return batch.update(
        person=None, title=_generic_titles(), detail={}, close_note="", version=F("version") + 1
    )


def purge_closed_items(plan: Plan, dry_run: bool) -> int:
    cutoff = plan.server.cutoff_instant(plan.periods.closed_items)
    qs = Item.objects.filter(state=State.CLOSED, closed_at__lt=cutoff, person__isnull=False)
    return _batches(qs, anonymise_items, dry_run)


def purge_left_people(plan: Plan, dry_run: bool) -> int:
    open_item = Item.objects.filter(person=OuterRef("pk"), state__in=OPEN_STATES)
    done = 0
    for zone in plan.zones:
        qs = (
            Person.objects.filter(
                zone.scope("enterprise_id"),
                status=Person.Status.LEFT,
                left_on__lt=zone.cutoff(plan.periods.left_people),
            )
            .exclude(employee_no__startswith=ANON_PREFIX)
            .filter(~Exists(open_item))
        )
        done += _batches(qs, lambda batch: anonymise_people(batch, plan.now), dry_run)
    return done


def anonymise_people(batch: QuerySet[Person], now: datetime) -> int:
    """Make these people unidentifiable. Final: the original values are kept nowhere but in the
    audit log's own rows (which record employee numbers, never ID numbers or mobiles)."""
    ids = list(batch.values_list("pk", flat=True))
    _anonymise_accounts(list(batch.exclude(user=None).values_list("user_id", flat=True)), now)
    anonymise_items(Item.objects.filter(person_id__in=ids))
    StaffMember.objects.filter(person_id__in=ids).update(name=ANONYMOUS_NAME)
    PersonalLink.objects.filter(person_id__in=ids).delete()
    return Person.objects.filter(pk__in=ids).update(
        name=ANONYMOUS_NAME,
        employee_no=Concat(Value(ANON_PREFIX), Cast("pk", CharField())),
        user=None,
        updated_at=now,
        **_EMPTY_IDENTIFIERS,
    )


# The encrypted identifiers and their keyed look-up hashes (an update() does not recompute those).
_EMPTY_IDENTIFIERS = {
    f.name: ""
    for f in Person._meta.concrete_fields
    if f.name in ("id_number", "mobile", "id_number_hash", "mobile_hash")
}


def _anonymise_accounts(user_ids: list[int], now: datetime) -> None:
    """The accounts of people who left: no name, no e-mail, no way in. Superusers are left alone
    (an operator's account is not an employee's)."""
    users = get_user_model().objects.filter(pk__in=user_ids, is_superuser=False)
    ids = list(users.values_list("pk", flat=True))
    RoleGrant.objects.filter(user_id__in=ids).delete()
    ApiToken.objects.filter(user_id__in=ids, revoked_at__isnull=True).update(revoked_at=now)
    users.update(
        username=Concat(Value(f"{ANON_PREFIX}user-"), Cast("pk", CharField())),
        first_name="",
        last_name="",
        email="",
        is_active=False,
        password="!",  # an unusable password: no sign-in
    )


# --- notifications --------------------------------------------------------------------------------


def purge_deliveries(plan: Plan, dry_run: bool) -> int:
    cutoff = plan.server.cutoff_instant(plan.periods.notify)
    qs = Delivery.objects.filter(created_at__lt=cutoff)
    return _batches(qs, lambda batch: _deleted(batch.delete(), Delivery), dry_run)


def purge_messages(plan: Plan, dry_run: bool) -> int:
    cutoff = plan.server.cutoff_instant(plan.periods.notify)
    qs = Message.objects.filter(created_at__lt=cutoff)
    return _batches(qs, lambda batch: _deleted(batch.delete(), Message), dry_run)
