"""Submitting check-ins (every source), exemptions, rules and devices: each one transaction."""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import DataError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from fangkong.audit.actions import append_ctes as audit_append
from fangkong.audit.actions import record
from fangkong.consent import gate as consent_gate
from fangkong.ledger import hooks as ledger_hooks
from fangkong.lib.dates import business_day
from fangkong.org.actions import ActionError, token_digest
from fangkong.org.models import Membership, Person, Region, Unit
from fangkong.org.rawsql import build, default_connection, insert_statement, pipeline
from fangkong.org.roster import placements_on

from . import rollup, signals, statements
from . import rules as card_rules
from .models import SYMPTOMS, Card, CheckIn, Device, Exemption, RuleSet, Source, UnitDay, Where

MAX_AGE = timedelta(hours=24)
MAX_AHEAD = timedelta(minutes=5)
# A check-in captured this long before it reached the server was held offline: flagged late.
LATE_AFTER = timedelta(minutes=10)
DEVICE_PREFIX = "fkd_"


class CheckinConflict(Exception):
    """The id was already used for a different check-in (HTTP 409)."""


@dataclass(frozen=True)
class CheckinData:
    id: uuid.UUID
    temperature: Decimal
    symptoms: list[str] = field(default_factory=list)
    where: str = Where.ON_SITE
    location: str = ""
    visited: list[str] = field(default_factory=list)
    contact: bool = False
    captured_at: datetime | None = None
    note: str = ""

    def digest(self, employee_no: str) -> str:
        body = {
            "person": employee_no,
            "temperature": f"{Decimal(self.temperature):.1f}",
            "symptoms": list(self.symptoms),
            "where": self.where,
            "location": self.location,
            "visited": list(self.visited),
            "contact": bool(self.contact),
            "captured_at": self.captured_at.isoformat() if self.captured_at else None,
            "note": self.note,
        }
        return hashlib.sha256(_digest_text(body).encode()).hexdigest()


# `json.dumps(body, sort_keys=True, ensure_ascii=False)`, with its encoder made once, not per call.
_digest_text = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode

_region_codes: frozenset[str] | None = None


def _known_region(code: str) -> bool:
    global _region_codes
    if _region_codes is None:
        _region_codes = frozenset(Region.objects.values_list("code", flat=True))
    return code in _region_codes


_WHERE = tuple(Where.values)


def validate(data: CheckinData) -> None:
    """Semantic checks beyond the types; raises ActionError naming the field."""
    t = Decimal(data.temperature)
    # The range first: NaN, infinities and 1e309 cannot be quantized (InvalidOperation, a 500).
    if not (t.is_finite() and Decimal("34.0") <= t <= Decimal("43.0")):
        raise ActionError("must be between 34.0 and 43.0 °C", "temperature")
    if t != t.quantize(Decimal("0.1")):
        raise ActionError("at most one decimal place", "temperature")
    unknown = [s for s in data.symptoms if s not in SYMPTOMS]
    if unknown:
        raise ActionError(
            f"unknown symptom codes: {', '.join(unknown[:5])}; known: {', '.join(SYMPTOMS)}", "symptoms"
        )
    if data.where not in _WHERE:
        raise ActionError(f"must be one of {', '.join(_WHERE)}", "where")
    if data.location and not _known_region(data.location):
        raise ActionError("not a known region code (GB/T 2260 or ISO country)", "location")
    bad = [v for v in data.visited if not _known_region(v)]
    if bad:
        raise ActionError(f"unknown region codes: {', '.join(bad[:5])}", "visited")
    if len(data.note) > 500:
        raise ActionError("at most 500 characters", "note")


def _replay(existing: CheckIn, digest: str) -> tuple[CheckIn, bool]:
    if existing.digest != digest:
        raise CheckinConflict("this id was already used for a different check-in")
    return existing, False


def _count(
    unit_id: int, day: date, *, checked_in: int = 0, red: int = 0, yellow: int = 0, on_site: int = 0
) -> None:
    """Move the unit's day counters; the first write of a unit-day counts who is expected there."""
    changes = {"checked_in": checked_in, "red": red, "yellow": yellow, "on_site": on_site}
    if statements.move_counters(unit_id, day, changes):
        return
    open_unit_day(unit_id, day)
    statements.move_counters(unit_id, day, changes)


def open_unit_day(unit_id: int, day: date) -> None:
    """Make the unit's counter row of the day (if missing), counting who is expected there."""
    expected = placements_on(Unit.objects.filter(pk=unit_id), day).count()
    UnitDay.objects.bulk_create([UnitDay(unit_id=unit_id, day=day, expected=expected)], ignore_conflicts=True)
    rollup.recount_exempt([(unit_id, day)])


def _recount_exempt(person: Person, first: date, last: date) -> None:
    """After a change to the person's exemptions: the units it was placed on in [first, last]."""
    units = (
        Membership.objects.filter(person=person, start__lte=last)
        .filter(Q(end__isnull=True) | Q(end__gt=first))
        .values_list("unit_id", flat=True)
    )
    rollup.recount_exempt_person(person.pk, list(units), first, last)


def _delta(card: str, where: str, sign: int) -> dict[str, int]:
    """What one counted check-in adds to (sign 1) or takes from (sign -1) its unit-day's counters."""
    return {
        "red": sign if card == Card.RED else 0,
        "yellow": sign if card == Card.YELLOW else 0,
        "on_site": sign if where == Where.ON_SITE else 0,
    }


def _counter_moves(
    previous: CheckIn | None, unit_id: int, card: str, where: str
) -> list[tuple[int, dict[str, int]]]:
    """What a check-in moves on the day counters: (unit, changes) pairs, this check-in's unit first."""
    new = _delta(card, where, 1)
    if previous is None:
        return [(unit_id, {"checked_in": 1, **new})]
    old = _delta(previous.card, previous.where, -1)
    if previous.unit_id != unit_id:
        return [(unit_id, {"checked_in": 1, **new}), (previous.unit_id, {"checked_in": -1, **old})]
    if old == {k: -v for k, v in new.items()}:
        return []
    return [(unit_id, {k: old[k] + new[k] for k in new})]


PeopleRead = statements.PeopleRead  # people_for_checkin's read, to send with another (api.auth)


def people_for_checkin(*, employee_nos: Iterable[str] = (), pks: Iterable[int] = ()) -> list[Person]:
    """People with what a check-in needs, read in one statement (statements.people): pass them to
    `submit_checkin` to save its queries. `submit_checkin` falls back to a placement query for a
    person whose open placement starts after the check-in's day (a transfer dated ahead)."""
    return statements.people(employee_nos=employee_nos, pks=pks)


def may_be_exempt(person: Person, day: date, *, read: bool = True) -> bool:
    """Whether an exemption of the person may cover `day`. The person read's hint answers for the
    days it covers (from `exempt_hint_from`); for others the exemptions are read, or with
    read=False the answer is True (the caller reads them for many people at once)."""
    known = getattr(person, "may_be_exempt", None)
    since = getattr(person, "exempt_hint_from", None)
    if known is not None and since is not None and day >= since:
        return bool(known)
    return rollup.exempt_people(day).filter(person=person).exists() if read else True


def _placement(person: Person, day: date) -> Unit | None:
    """The unit the person belonged to on `day` (None: not on the roster that day)."""
    since = getattr(person, "placed_since", None)
    if since is not None and since <= day and getattr(person, "placed_unit_id", None) == person.unit_id:
        return person.unit
    placement = (
        Membership.objects.filter(person=person, start__lte=day)
        .filter(Q(end__isnull=True) | Q(end__gt=day))
        .select_related("unit")
        .first()
    )
    return placement.unit if placement is not None else None


def _enterprise_code(person: Person, unit: Unit) -> str:
    enterprise_id = unit.enterprise_id or unit.pk
    if enterprise_id == person.enterprise_id:
        return person.enterprise.code
    return Unit.objects.values_list("code", flat=True).get(pk=enterprise_id)


def submit_checkin(
    actor: Any,
    person: Person,
    data: CheckinData,
    *,
    source: str,
    device: Device | None = None,
    now: datetime | None = None,
) -> tuple[CheckIn, bool]:
    """Record a check-in; returns (check-in, created). A replay of the same id and body returns the
    original with created=False (also when it would no longer pass, e.g. now too old); the same id
    with another body raises CheckinConflict. Pass a person from `people_for_checkin()` to save a
    query."""
    now = now or timezone.now()
    digest = data.digest(person.employee_no)
    try:
        validate(data)
        captured = data.captured_at or now
        if captured > now + MAX_AHEAD:
            raise ActionError("is more than 5 minutes in the future", "captured_at")
        if captured < now - MAX_AGE:
            raise ActionError("is more than 24 hours old; enter it as a correction instead", "captured_at")
        day = business_day(person.enterprise.timezone, captured)
        unit = _placement(person, day)
        if unit is None:
            raise ActionError(f"is not on the roster on {day.isoformat()}", "person")
        consent_gate.check(person)  # refused while the basis is consent and none stands
    except ActionError:
        # A retry of a check-in stored earlier is answered as a replay whatever holds now.
        existing = CheckIn.objects.filter(pk=data.id).first()
        if existing is not None:
            return _replay(existing, digest)
        raise
    sub = _Accepted(actor, person, data, digest, day, unit, captured, now, source, device)
    stored = _store_first(sub)
    if stored is not None:
        return stored, True
    try:
        with transaction.atomic():
            return _store(sub)
    except IntegrityError:
        # Lost a race with the same id: the stored row decides between replay and conflict.
        existing = CheckIn.objects.filter(pk=data.id).first()
        if existing is None:
            raise
        return _replay(existing, digest)


@dataclass(frozen=True)
class _Accepted:
    """A check-in that passed `submit_checkin`'s checks, with what they found, on its way to be stored."""

    actor: Any
    person: Person
    data: CheckinData
    digest: str
    day: date
    unit: Unit
    captured: datetime
    now: datetime
    source: str
    device: Device | None


def _new_checkin(sub: _Accepted, previous: CheckIn | None) -> CheckIn:
    """The check-in to store (not saved), its card evaluated with the current rules."""
    return checkin_row(
        card_rules.current_rules(),
        sub.data,
        sub.person,
        sub.unit,
        sub.day,
        version=(previous.version + 1) if previous else 1,
        captured=sub.captured,
        now=sub.now,
        source=sub.source,
        actor=sub.actor,
        device=sub.device,
        digest=sub.digest,
    )


def checkin_row(
    rules: RuleSet,
    data: CheckinData,
    person: Person,
    unit: Unit,
    day: date,
    *,
    version: int,
    captured: datetime,
    now: datetime,
    source: str,
    actor: Any,
    device: Device | None,
    digest: str,
) -> CheckIn:
    """A check-in row (not saved) with its card by `rules`: a single check-in's and a batch's.
    Built by rawsql.build: the keyword constructor cost ~4 % of a check-in's Python
    (docs/performance-history.md)."""
    temperature = Decimal(data.temperature)
    card, reasons = card_rules.evaluate(
        rules,
        temperature=temperature,
        symptoms=list(data.symptoms),
        contact=data.contact,
        visited=list(data.visited),
    )
    submitted_by = actor if getattr(actor, "is_authenticated", False) else None
    checkin = build(
        CheckIn,
        {
            "id": data.id,
            "person_id": person.pk,
            "unit_id": unit.pk,
            "enterprise_id": unit.enterprise_id or unit.pk,
            "day": day,
            "version": version,
            "current": True,
            "temperature": temperature,
            "symptoms": list(data.symptoms),
            "where": data.where,
            "location": data.location,
            "visited": list(data.visited),
            "contact": data.contact,
            "note": data.note,
            "captured_at": captured,
            "received_at": now,
            "late": (now - captured) > LATE_AFTER,
            "source": source,
            "submitted_by_id": submitted_by.pk if submitted_by is not None else None,
            "device_id": device.pk if device is not None else None,
            "card": card,
            "card_reasons": reasons,
            "rule_version": rules.version,
            "digest": digest,
        },
    )
    # The keys were set from these instances: only the caches (the descriptors' checks cost more).
    # An abnormal card's ledger item and report flags read the unit.
    _CHECKIN_PERSON.set_cached_value(checkin, person)
    _CHECKIN_UNIT.set_cached_value(checkin, unit)
    if submitted_by is not None:  # (None needs no cache: a foreign key of None reads as None)
        checkin.submitted_by = submitted_by
    if device is not None:
        checkin.device = device
    return checkin


_CHECKIN_PERSON, _CHECKIN_UNIT = CheckIn._meta.get_field("person"), CheckIn._meta.get_field("unit")


def _audited(checkin: CheckIn, enterprise_code: str) -> dict[str, Any]:
    """The audit row of a stored check-in, after its action (`record`'s arguments). The day as the
    JSON column stores it: a detail of plain values is hashed as it is (audit.as_stored)."""
    day = checkin.day.isoformat()
    detail = {"person": checkin.person.employee_no, "day": day, "version": checkin.version}
    return {"obj_type": "checkin", "obj_id": checkin.pk, "unit_code": enterprise_code, "detail": detail}


def _store_first(sub: _Accepted) -> CheckIn | None:
    """The common case of the morning peak in one statement (statements.store_first): a person's
    first check-in of the day, green, in a unit-day that has its counter row (a person exempt that
    day leaves the exempt count in the same statement). None when it is not that case (nothing
    written): the transaction path (`_store`) then decides, and answers replays, amendments,
    conflicts and the rest.

    Outside a transaction the statement is its own; inside one (an import, a test), a savepoint
    keeps its failure from aborting the surrounding work."""
    if not statements.stores_first_at_once():
        return None
    checkin = _new_checkin(sub, None)
    if checkin.card != Card.GREEN:  # a red or yellow card has more to do in the transaction
        return None
    append = None
    if sub.source in (Source.PROXY, Source.IMPORT):
        code = _enterprise_code(sub.person, sub.unit)
        append = audit_append(sub.actor, f"checkin.{sub.source}", **_audited(checkin, code), after="stored")
        if append is None:
            return None
    changes = _counter_moves(None, sub.unit.pk, checkin.card, checkin.where)[0][1]
    try:
        with transaction.atomic() if default_connection().in_atomic_block else nullcontext():
            stored = statements.store_first(
                checkin, changes, append, may_be_exempt=may_be_exempt(sub.person, sub.day, read=False)
            )
    except DataError:
        return None  # no audit chain was free (the transaction path waits for one)
    except IntegrityError:
        return None  # the id was stored before: the transaction path answers a replay or a conflict
    if not stored:
        # A current check-in of the day (an amendment, or a replay of that check-in), or the
        # unit-day's first check-in (its counter row is made in the transaction).
        return None
    # Both do nothing for a green card; they run after this statement's commit, not inside it.
    ledger_hooks.checkin_stored(sub.actor, checkin)
    signals.checkins_stored.send(sender=CheckIn, actor=sub.actor, checkins=[checkin])
    return checkin


def _store(sub: _Accepted) -> tuple[CheckIn, bool]:
    actor, person, data, digest, day, unit = sub.actor, sub.person, sub.data, sub.digest, sub.day, sub.unit
    # A proxied or imported check-in is audited: its chain is taken with the person's lock.
    audited = sub.source in (Source.PROXY, Source.IMPORT)
    enterprise_code = _enterprise_code(person, unit)
    previous = statements.lock_with_current(person.pk, day, audit_key=enterprise_code if audited else None)
    if previous is not None and previous.pk == data.id:
        return _replay(previous, digest)
    # Any other stored check-in with this id fails the INSERT below on the primary key; the caller
    # then answers from the stored row (replay or conflict).
    unit_id = unit.pk
    checkin = _new_checkin(sub, previous)
    card = checkin.card
    moves = _counter_moves(previous, unit_id, card, data.where)
    # The writes travel together (one round trip on PostgreSQL); a duplicate id raises at the end.
    with pipeline() as pipe:
        if previous is not None:
            statements.supersede(pipe, previous.pk)
        if moves:  # moves[0] is this unit's
            counted = statements.insert_and_count(pipe, checkin, moves[0][1])
        else:
            pipe.execute(*insert_statement(checkin))
        if audited or previous is not None:
            action = "checkin.amend" if previous else f"checkin.{sub.source}"
            record(actor, action, **_audited(checkin, enterprise_code))
    if moves and counted.rowcount == 0:
        _count(unit_id, day, **moves[0][1])  # the unit-day's first check-in: its row is made
    for other, changes in moves[1:]:
        _count(other, day, **changes)
    if previous is None and may_be_exempt(person, day):
        rollup.recount_exempt([(unit_id, day)])
    ledger_hooks.checkin_stored(actor, checkin)
    signals.checkins_stored.send(sender=CheckIn, actor=actor, checkins=[checkin])
    return checkin, True


@transaction.atomic
def add_exemption(
    actor: Any, person: Person, *, start: date, end: date, reason: str, note: str = ""
) -> Exemption:
    if end < start:
        raise ActionError("must not be before start", "end")
    if reason not in Exemption.Reason.values:
        raise ActionError(f"must be one of {', '.join(Exemption.Reason.values)}", "reason")
    ex = Exemption.objects.create(
        person=person,
        start=start,
        end=end,
        reason=reason,
        note=note,
        created_by=getattr(actor, "username", str(actor)),
    )
    _recount_exempt(person, start, end)
    record(
        actor,
        "exemption.add",
        "person",
        person.employee_no,
        unit_code=person.enterprise.code,
        detail={"start": start, "end": end, "reason": reason},
    )
    return ex


@transaction.atomic
def cancel_exemption(actor: Any, exemption: Exemption) -> None:
    if exemption.cancelled_at is None:
        exemption.cancelled_at = timezone.now()
        exemption.save(update_fields=["cancelled_at"])
        _recount_exempt(exemption.person, exemption.start, exemption.end)
        record(
            actor,
            "exemption.cancel",
            "person",
            exemption.person.employee_no,
            unit_code=exemption.person.enterprise.code,
            detail={"exemption": exemption.pk},
        )


@transaction.atomic
def publish_rules(
    actor: Any,
    *,
    fever_at: Decimal,
    symptom_is_red: bool,
    contact_is_yellow: bool,
    risk_regions: list[str],
    note: str = "",
) -> RuleSet:
    """A new rule-set version; check-ins from now on are evaluated with it (old ones keep theirs)."""
    if not Decimal("36.0") <= fever_at <= Decimal("40.0"):
        raise ActionError("must be between 36.0 and 40.0 °C", "fever_at")
    bad = [r for r in risk_regions if not _known_region(r)]
    if bad:
        raise ActionError(f"unknown region codes: {', '.join(bad[:5])}", "risk_regions")
    last = RuleSet.objects.select_for_update().order_by("-version").first()
    card_rules.forget_rules()
    transaction.on_commit(card_rules.forget_rules)
    rules = RuleSet.objects.create(
        version=(last.version + 1) if last else 1,
        fever_at=fever_at,
        symptom_is_red=symptom_is_red,
        contact_is_yellow=contact_is_yellow,
        risk_regions=risk_regions,
        note=note,
        created_by=getattr(actor, "username", str(actor)),
    )
    record(
        actor,
        "rules.publish",
        "ruleset",
        rules.version,
        detail={
            "fever_at": fever_at,
            "symptom_is_red": symptom_is_red,
            "contact_is_yellow": contact_is_yellow,
            "risk_regions": risk_regions,
        },
    )
    return rules


@transaction.atomic
def register_device(actor: Any, enterprise: Unit, name: str) -> tuple[Device, str]:
    """A device token for one enterprise; returns (device, token shown once)."""
    if enterprise.kind != Unit.Kind.ENTERPRISE:
        raise ActionError("devices belong to an enterprise", "unit")
    raw = DEVICE_PREFIX + secrets.token_urlsafe(32)
    device = Device.objects.create(enterprise=enterprise, name=name, digest=token_digest(raw), prefix=raw[:8])
    record(
        actor, "device.register", "device", device.prefix, unit_code=enterprise.code, detail={"name": name}
    )
    return device, raw


@transaction.atomic
def revoke_device(actor: Any, device: Device) -> None:
    if device.revoked_at is None:
        device.revoked_at = timezone.now()
        device.save(update_fields=["revoked_at"])
        record(actor, "device.revoke", "device", device.prefix, unit_code=device.enterprise.code)


LINK_SALT = "fangkong.checkins.personal-link"
LINK_MAX_AGE = timedelta(days=180)


@transaction.atomic
def issue_link(actor: Any, person: Person) -> str:
    """A new personal link token for the person; earlier links stop working."""
    from django.core import signing

    from .models import PersonalLink

    link, created = PersonalLink.objects.select_for_update().get_or_create(
        person=person, defaults={"issued_at": timezone.now()}
    )
    if not created:
        link.generation += 1
        link.issued_at, link.revoked_at = timezone.now(), None
        link.save(update_fields=["generation", "issued_at", "revoked_at"])
    record(
        actor,
        "link.issue",
        "person",
        person.employee_no,
        unit_code=person.enterprise.code,
        detail={"generation": link.generation},
    )
    return signing.dumps({"p": person.pk, "g": link.generation}, salt=LINK_SALT, compress=True)


@transaction.atomic
def revoke_link(actor: Any, person: Person) -> None:
    from .models import PersonalLink

    link = PersonalLink.objects.select_for_update().filter(person=person).first()
    if link is not None and link.revoked_at is None:
        link.generation += 1
        link.revoked_at = timezone.now()
        link.save(update_fields=["generation", "revoked_at"])
        record(actor, "link.revoke", "person", person.employee_no, unit_code=person.enterprise.code)


def person_for_link(token: str) -> Person | None:
    """The person a personal link belongs to, or None if it is forged, expired or revoked."""
    from django.core import signing

    from .models import PersonalLink

    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    link = (
        PersonalLink.objects.select_related("person__enterprise", "person__unit")
        .filter(person_id=data.get("p"), generation=data.get("g"), revoked_at__isnull=True)
        .first()
    )
    if link is None or link.person.status != Person.Status.ACTIVE:
        return None
    return link.person
