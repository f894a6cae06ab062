"""Every change of the controls module's levels and plans: risk levels, overrides, the policy, plans
and attestations (re-screening is in rescreen.py, operating status and key projects in
operating.py). Each is one transaction with its audit rows.

A change of an enterprise's level or of the policy makes new plan versions at once, in the same
transaction (`sync_plans`, set-based: one pass for hundreds of enterprises): measures added become
ledger items (kind measure_unattested), relaxed ones close theirs, and the enterprise's admins are
notified of the diff.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.actions import actor_name, record
from fangkong.ledger import actions as ledger
from fangkong.ledger.models import Kind
from fangkong.lib.dates import business_day
from fangkong.org.actions import ActionError
from fangkong.org.models import Region, Role, RoleGrant, Unit

from . import queries, rescreen, signals
from .items import close_items, open_items, open_keys
from .models import (
    RANK,
    Aspect,
    ControlPlan,
    Level,
    Measure,
    Override,
    PlanMeasure,
    PolicyVersion,
    RescreenEntry,
    RiskLevel,
)

log = logging.getLogger(__name__)

EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_TYPES = (".pdf", ".jpg", ".jpeg", ".png", ".webp", ".heic", ".docx", ".xlsx", ".txt")


def _level(value: str, field_name: str = "level") -> str:
    if value not in Level.values:
        raise ActionError(f"must be one of {', '.join(Level.values)}", field_name)
    return value


def _notify(actor: Any, users: list, **kwargs: Any) -> None:
    """fangkong.notify when it is there; a notification never undoes the change it reports."""
    if not users:
        return
    try:
        from fangkong.notify.api import notify  # type: ignore[import-not-found, unused-ignore]
    except ImportError:  # the notifications module is not installed in this build
        log.info("notify unavailable; not sent: %s", kwargs.get("subject"))
        return
    notify(actor, users, **kwargs)


# --- plans --------------------------------------------------------------------------------------


@dataclass
class PlanChange:
    enterprise: Unit
    plan: ControlPlan
    previous: ControlPlan | None
    added: list[Measure] = field(default_factory=list)
    relaxed: list[Measure] = field(default_factory=list)
    opened: int = 0
    closed: int = 0


def measure_key(enterprise: Unit, code: str) -> str:
    return f"measure:{enterprise.code}:{code}"


def _admins(enterprises: list[Unit]) -> dict[int, list]:
    """The prevention officers (enterprise admins) granted on each enterprise itself."""
    found: dict[int, list] = defaultdict(list)
    grants = RoleGrant.objects.filter(
        role=Role.ENTERPRISE_ADMIN, unit__in=enterprises, user__is_active=True
    ).select_related("user")
    for g in grants.order_by("user_id"):
        found[g.unit_id].append(g.user)
    return found


def sync_plans(
    actor: Any, enterprises: list[Unit], *, today: date | None = None, now: datetime | None = None
) -> list[PlanChange]:
    """Give each enterprise a new plan version where its level or the policy in force changed.

    `today` defaults to each enterprise's own business day. Returns the new versions."""
    now = now or timezone.now()
    by_day: dict[date, list[Unit]] = defaultdict(list)
    for e in enterprises:
        by_day[today or business_day(e.timezone, now)].append(e)
    changes: list[PlanChange] = []
    with transaction.atomic():
        for day, ents in sorted(by_day.items()):
            changes += _sync_day(actor, ents, day, now)
    return changes


def _sync_day(actor: Any, ents: list[Unit], day: date, now: datetime) -> list[PlanChange]:
    levels = queries.levels_on(ents, day)
    policy = queries.policy_on(day)
    measures = list(policy.measures.all())
    latest = {
        p.enterprise_id: p
        for p in ControlPlan.objects.filter(enterprise__in=ents, current=True).select_related("policy")
    }
    stale = [
        e
        for e in ents
        if e.pk not in latest or (latest[e.pk].level, latest[e.pk].policy_id) != (levels[e.pk][0], policy.pk)
    ]
    if not stale:
        return []
    old_plans = [latest[e.pk] for e in stale if e.pk in latest]
    old_measures: dict[int, dict[str, PlanMeasure]] = defaultdict(dict)
    for pm in PlanMeasure.objects.filter(plan__in=old_plans).select_related("measure"):
        old_measures[pm.plan_id][pm.measure.code] = pm
    ControlPlan.objects.filter(pk__in=[p.pk for p in old_plans]).update(current=False)

    who = actor_name(actor)
    changes: list[PlanChange] = []
    for e in stale:
        level, source = levels[e.pk]
        previous = latest.get(e.pk)
        wanted = queries.required(policy, level, measures)
        before = old_measures[previous.pk] if previous else {}
        codes = {m.code for m in wanted}
        added = [m for m in wanted if m.code not in before] if previous else []
        relaxed = [pm.measure for code, pm in before.items() if code not in codes]
        if previous is None:
            reason = ControlPlan.Reason.INITIAL
        elif previous.level != level:
            reason = ControlPlan.Reason.LEVEL
        else:
            reason = ControlPlan.Reason.POLICY
        plan = ControlPlan(
            enterprise=e,
            version=(previous.version + 1) if previous else 1,
            level=level,
            source=source,
            region_id=e.region_id,
            policy=policy,
            effective_from=max(day, previous.effective_from) if previous else day,
            reason=reason,
            added=[m.code for m in added],
            relaxed=[m.code for m in relaxed],
            created_by=who,
            created_at=now,
        )
        changes.append(PlanChange(e, plan, previous, added, relaxed))
    ControlPlan.objects.bulk_create([c.plan for c in changes], batch_size=500)

    due = now + timedelta(hours=policy.attest_hours)
    rows: list[PlanMeasure] = []
    pending: list[tuple[PlanChange, Measure, datetime]] = []
    for c in changes:
        before = old_measures[c.previous.pk] if c.previous else {}
        for m in queries.required(policy, c.plan.level, measures):
            old = before.get(m.code)
            if old is not None and old.measure.text == m.text:  # unchanged: its attestation carries over
                rows.append(
                    PlanMeasure(
                        plan=c.plan,
                        measure=m,
                        state=old.state,
                        note=old.note,
                        evidence=old.evidence.name,
                        attested_by=old.attested_by,
                        attested_at=old.attested_at,
                        due_at=old.due_at,
                    )
                )
            else:
                rows.append(PlanMeasure(plan=c.plan, measure=m, due_at=due))
                if c.previous is not None:
                    pending.append((c, m, due))
    PlanMeasure.objects.bulk_create(rows, batch_size=1000)
    _open_and_close(actor, changes, pending)
    for c in changes:
        record(
            actor,
            "controls.plan",
            "control_plan",
            f"{c.enterprise.code}/v{c.plan.version}",
            unit_code=c.enterprise.code,
            detail={
                "level": c.plan.level,
                "source": c.plan.source,
                "policy": policy.version,
                "reason": c.plan.reason,
                "added": c.plan.added,
                "relaxed": c.plan.relaxed,
                "items_opened": c.opened,
                "items_closed": c.closed,
            },
        )
    _send_diffs(actor, changes)
    return changes


def _open_and_close(
    actor: Any, changes: list[PlanChange], pending: list[tuple[PlanChange, Measure, datetime]]
) -> None:
    owners = _admins([c.enterprise for c in changes])
    specs = [
        ledger.Opening(
            kind=Kind.MEASURE_UNATTESTED,
            key=measure_key(c.enterprise, m.code),
            unit=c.enterprise,
            title=f"{c.enterprise.name}: {m.text}",
            due_at=due,
            owner=(owners.get(c.enterprise.pk) or [None])[0],
            detail={"measure": m.code, "aspect": m.aspect, "plan": c.plan.version, "level": c.plan.level},
        )
        for c, m, due in pending
    ]
    by_key = {s.key: c for s, (c, _m, _d) in zip(specs, pending, strict=True)}
    for item in open_items(actor, specs):
        by_key[item.key].opened += 1
    relaxed_keys = {measure_key(c.enterprise, m.code): c for c in changes for m in c.relaxed}
    if relaxed_keys:
        items = open_keys(Kind.MEASURE_UNATTESTED, list(relaxed_keys))
        close_items(actor, list(items.values()), note="measure relaxed by a new plan version")
        for key in items:
            relaxed_keys[key].closed += 1


def _send_diffs(actor: Any, changes: list[PlanChange]) -> None:
    shown = [c for c in changes if c.added or c.relaxed]
    if not shown:
        return
    admins = _admins([c.enterprise for c in shown])
    for c in shown:
        lines = [
            _("Risk level: %(level)s (plan version %(v)d).")
            % {"level": Level(c.plan.level).label, "v": c.plan.version}
        ]
        lines += [_("New: %(m)s") % {"m": m.label} for m in c.added]
        lines += [_("Relaxed: %(m)s") % {"m": m.label} for m in c.relaxed]
        _notify(
            actor,
            admins.get(c.enterprise.pk, []),
            subject=_("%(name)s: control plan v%(v)d, %(a)d measures added, %(r)d relaxed")
            % {"name": c.enterprise.name, "v": c.plan.version, "a": len(c.added), "r": len(c.relaxed)},
            body="\n".join(lines),
            link=reverse("controls_plan", args=[c.enterprise.code]),
            unit=c.enterprise,
            key=f"plan:{c.enterprise.code}:{c.plan.version}",
        )


# --- risk levels --------------------------------------------------------------------------------


@dataclass
class RiskChange:
    region: Region
    level: str
    effective_from: date
    note: str = ""


@dataclass
class RiskOutcome:
    rows: list[RiskLevel]
    plans: list[PlanChange]
    rescreened: list[RescreenEntry]


def _region(code: str) -> Region:
    region = Region.objects.filter(code=(code or "").strip().upper()).first()
    if region is None:
        raise ActionError("no such region (a GB/T 2260 code or an ISO 3166 country code)", "region")
    return region


def set_region_risk(
    actor: Any,
    region_code: str,
    level: str,
    effective_from: date,
    *,
    source: str,
    note: str = "",
    today: date | None = None,
) -> RiskOutcome:
    region = _region(region_code)
    return set_region_levels(
        actor, [RiskChange(region, _level(level), effective_from, note[:200])], source=source, today=today
    )


@transaction.atomic
def set_region_levels(
    actor: Any, changes: list[RiskChange], *, source: str, today: date | None = None
) -> RiskOutcome:
    """Record levels (effective-dated) and, for those already in force, re-plan every enterprise in
    the regions and re-screen people for regions that rose to medium or high, all in this transaction."""
    if source not in RiskLevel.Source.values:
        raise ActionError("unknown source", "source")
    day = today or timezone.localdate()
    affected: dict[int, Unit] = {}
    for c in changes:
        _level(c.level)
        if c.effective_from <= day:
            affected.update({e.pk: e for e in queries.enterprises_in_region(c.region)})
    ents = list(affected.values())
    sync_plans(actor, ents, today=today)  # a first plan for enterprises that had none, before the change
    rows: list[RiskLevel] = []
    risen: list[RiskLevel] = []
    who = actor_name(actor)
    for c in changes:
        before, _source = queries.region_level(c.region.code, c.effective_from)
        row = RiskLevel.objects.create(
            region=c.region,
            level=c.level,
            effective_from=c.effective_from,
            source=source,
            set_by=who,
            note=c.note,
        )
        rows.append(row)
        record(
            actor,
            "controls.set_risk",
            "region",
            c.region.code,
            detail={"level": c.level, "effective_from": c.effective_from, "source": source, "was": before},
        )
        if c.effective_from <= day:
            signals.risk_changed.send(sender=RiskLevel, actor=actor, region=c.region, old=before, new=c.level)
        if c.level != Level.LOW and RANK[Level(c.level)] > RANK[Level(before)] and c.effective_from <= day:
            risen.append(row)
    plans = sync_plans(actor, ents, today=today)
    rescreened: list[RescreenEntry] = []
    for row in risen:
        rescreened += rescreen.rescreen(actor, row, day)
    return RiskOutcome(rows, plans, rescreened)


# --- overrides ----------------------------------------------------------------------------------


@transaction.atomic
def set_override(
    actor: Any,
    enterprise: Unit,
    *,
    level: str,
    reason: str,
    expires_on: date,
    starts_on: date | None = None,
    today: date | None = None,
) -> Override:
    day = today or business_day(enterprise.timezone)
    starts_on = starts_on or day
    _level(level)
    if enterprise.kind != Unit.Kind.ENTERPRISE:
        raise ActionError("only an enterprise takes a manual level", "unit")
    if not reason.strip():
        raise ActionError("say why the enterprise's level differs from its region's", "reason")
    if expires_on < starts_on:
        raise ActionError("must be on or after the start", "expires_on")
    if expires_on < day:
        raise ActionError("must not be in the past", "expires_on")
    o = Override.objects.create(
        enterprise=enterprise,
        level=level,
        reason=reason.strip()[:200],
        starts_on=starts_on,
        expires_on=expires_on,
        set_by=actor_name(actor),
    )
    record(
        actor,
        "controls.override",
        "enterprise",
        enterprise.code,
        unit_code=enterprise.code,
        detail={"level": level, "reason": o.reason, "starts_on": starts_on, "expires_on": expires_on},
    )
    sync_plans(actor, [enterprise], today=today)
    return o


@transaction.atomic
def cancel_override(actor: Any, override: Override, *, today: date | None = None) -> Override:
    enterprise = override.enterprise
    day = today or business_day(enterprise.timezone)
    if override.cancelled_on is not None or override.expires_on < day:
        raise ActionError("the override is no longer in force", "override")
    override.cancelled_on = max(day, override.starts_on)
    override.save(update_fields=["cancelled_on"])
    record(actor, "controls.cancel_override", "enterprise", enterprise.code, unit_code=enterprise.code)
    sync_plans(actor, [enterprise], today=today)
    return override


# --- policy -------------------------------------------------------------------------------------


@dataclass
class MeasureInput:
    aspect: str
    code: str
    text: str
    text_en: str
    min_level: str


@transaction.atomic
def publish_policy(
    actor: Any,
    measures: list[MeasureInput],
    *,
    attest_hours: int,
    note: str = "",
    today: date | None = None,
) -> PolicyVersion:
    """A new policy version in force from today; every enterprise gets a plan under it."""
    if not 1 <= attest_hours <= 24 * 30:
        raise ActionError("between 1 and 720 hours", "attest_hours")
    seen: set[str] = set()
    for i, m in enumerate(measures):
        where = f"measures[{i}]"
        if m.aspect not in Aspect.values:
            raise ActionError(f"unknown aspect {m.aspect!r}", f"{where}.aspect")
        if not m.code or len(m.code) > 40 or m.code in seen:
            raise ActionError(
                "a measure code must be given, at most 40 characters, and unique", f"{where}.code"
            )
        seen.add(m.code)
        if not m.text.strip():
            raise ActionError("the Chinese text is required", f"{where}.text")
        _level(m.min_level, f"{where}.min_level")
    missing = set(Aspect.values) - {m.aspect for m in measures}
    if missing:
        raise ActionError(
            f"every aspect needs at least one measure: {', '.join(sorted(missing))}", "measures"
        )
    day = today or timezone.localdate()
    queries.ensure_policy()
    last = PolicyVersion.objects.select_for_update().order_by("-version").first()
    policy = PolicyVersion.objects.create(
        version=(last.version if last else 0) + 1,
        effective_from=day,
        attest_hours=attest_hours,
        note=note[:200],
        published_by=actor_name(actor),
    )
    Measure.objects.bulk_create(
        Measure(
            policy=policy,
            aspect=m.aspect,
            code=m.code,
            text=m.text.strip()[:200],
            text_en=m.text_en.strip()[:200],
            min_level=m.min_level,
        )
        for m in measures
    )
    record(actor, "controls.publish_policy", "policy", policy.version, detail={"measures": len(measures)})
    ents = list(Unit.objects.filter(kind=Unit.Kind.ENTERPRISE, active=True))
    sync_plans(actor, ents, today=today)
    return policy


# --- attestation --------------------------------------------------------------------------------


def _check_evidence(f: UploadedFile) -> None:
    if f.size and f.size > EVIDENCE_MAX_BYTES:
        raise ActionError("the file is larger than 10 MB", "evidence")
    if Path(f.name or "").suffix.lower() not in EVIDENCE_TYPES:
        raise ActionError(f"allowed file types: {', '.join(EVIDENCE_TYPES)}", "evidence")


@transaction.atomic
def attest_measure(
    actor: Any, pm: PlanMeasure, *, state: str, note: str = "", evidence: UploadedFile | None = None
) -> PlanMeasure:
    """The enterprise says a measure is done (or does not apply, with the reason)."""
    pm = PlanMeasure.objects.select_for_update().select_related("plan__enterprise", "measure").get(pk=pm.pk)
    if not pm.plan.current:
        raise ActionError("this plan version has been replaced: attest the current one", "plan")
    if state not in (PlanMeasure.State.DONE, PlanMeasure.State.NOT_APPLICABLE):
        raise ActionError("choose done or not applicable", "state")
    note = note.strip()
    if state == PlanMeasure.State.NOT_APPLICABLE and not note:
        raise ActionError("say why the measure does not apply", "note")
    if evidence is not None:
        _check_evidence(evidence)
        pm.evidence.save(evidence.name or "evidence", evidence, save=False)
    pm.state = state
    pm.note = note[:300]
    pm.attested_by = actor_name(actor)
    pm.attested_at = timezone.now()
    pm.save()
    enterprise = pm.plan.enterprise
    item = open_keys(Kind.MEASURE_UNATTESTED, [measure_key(enterprise, pm.measure.code)]).values()
    for it in item:
        ledger.close_item(actor, it, reason="resolved", note=_("measure attested"))
    record(
        actor,
        "controls.attest",
        "plan_measure",
        f"{enterprise.code}/v{pm.plan.version}/{pm.measure.code}",
        unit_code=enterprise.code,
        detail={"state": state, "evidence": bool(pm.evidence)},
    )
    return pm


def open_overdue(now: datetime | None = None, actor: Any = "system") -> int:
    """Open a ledger item for each measure of a current plan still unattested past its time."""
    now = now or timezone.now()
    overdue = (
        PlanMeasure.objects.filter(plan__current=True, state=PlanMeasure.State.PENDING, due_at__lt=now)
        .select_related("plan__enterprise", "measure")
        .order_by("plan__enterprise_id", "pk")
    )
    with transaction.atomic():
        rows = list(overdue)
        owners = _admins(list({pm.plan.enterprise for pm in rows}))
        specs = [
            ledger.Opening(
                kind=Kind.MEASURE_UNATTESTED,
                key=measure_key(pm.plan.enterprise, pm.measure.code),
                unit=pm.plan.enterprise,
                title=f"{pm.plan.enterprise.name}: {pm.measure.text}",
                due_at=pm.due_at,
                owner=(owners.get(pm.plan.enterprise_id) or [None])[0],
                detail={"measure": pm.measure.code, "aspect": pm.measure.aspect, "plan": pm.plan.version},
            )
            for pm in rows
        ]
        opened = open_items(actor, specs)
        by_unit: dict[str, int] = defaultdict(int)
        for item in opened:
            by_unit[item.unit.code] += 1
        for code, n in sorted(by_unit.items()):
            record(actor, "controls.overdue", "enterprise", code, unit_code=code, detail={"items_opened": n})
    return len(opened)
