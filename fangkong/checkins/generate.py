"""Synthetic check-in history for `fangkong generate` and `fangkong demo` (see org.generate).

Per day and person: ~97 % check in (today: ~80 %, the morning is not over), ~1.5 % yellow, ~0.3 %
red; ~1 % of people have a few days' exemption. Red cards become health items in the ledger: the
recent ones open and assigned to the grid leader, older ones closed out with a follow-up.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils.translation import gettext

from fangkong.ledger.hooks import default_owners
from fangkong.ledger.models import CloseReason, Event, Item, Kind, State
from fangkong.org.bulk import bulk_load, insert_rows
from fangkong.org.generate import HistoryContext, register_history
from fangkong.org.models import Membership, Person, Unit

from .models import Card, CheckIn, Exemption, UnitDay
from .rollup import recount_exempt_day
from .rules import current_rules

CHECKIN_COLUMNS = (
    "id",
    "person_id",
    "unit_id",
    "enterprise_id",
    "day",
    "version",
    "current",
    "counted",
    "temperature",
    "symptoms",
    "where",
    "location",
    "visited",
    "contact",
    "note",
    "captured_at",
    "received_at",
    "late",
    "source",
    "card",
    "card_reasons",
    "rule_version",
    "digest",
)
PEOPLE_CHUNK = 20_000
RED_TEMPERATURES = ["37.4", "37.6", "37.9", "38.2", "38.6", "39.1"]
GREEN_TEMPERATURES = ["36.2", "36.4", "36.5", "36.6", "36.7", "36.8"]
MORNING = time(7, 0)  # check-ins are captured from 07:00 local
MORNING_SECONDS = 9000  # … to 09:30
RECEIVED_AFTER = timedelta(seconds=2)
_json = json.dumps


def _uuid4_hex(bits: int) -> str:
    """`uuid.UUID(int=bits, version=4)` as 32 hex digits: the text PostgreSQL's COPY reads as that
    UUID, and what the UUID field stores on SQLite (`UUID.hex`)."""
    bits &= ~(0xC000 << 48)
    bits |= 0x8000 << 48  # the RFC 4122 variant
    bits &= ~(0xF000 << 64)
    bits |= 4 << 76  # version 4
    return f"{bits:032x}"


class _Mornings:
    """A check-in's capture time: 07:00 local on the day in the enterprise's zone, plus seconds, in
    UTC; the same as `(datetime.combine(day, 07:00, zone) + seconds).astimezone(UTC)`, with 07:00
    converted once per day and enterprise where the zone's offset is the same all morning."""

    def __init__(self) -> None:
        self._starts: dict[tuple[date, int], datetime | None] = {}

    def at(self, day: date, enterprise_id: int, tz: ZoneInfo, seconds: int) -> datetime:
        key = (day, enterprise_id)
        if key not in self._starts:
            local = datetime.combine(day, MORNING, tzinfo=tz)
            end = local + timedelta(seconds=MORNING_SECONDS)
            self._starts[key] = local.astimezone(UTC) if local.utcoffset() == end.utcoffset() else None
        start = self._starts[key]
        if start is None:  # a change of offset in the morning: convert each time
            return (datetime.combine(day, MORNING, tzinfo=tz) + timedelta(seconds=seconds)).astimezone(UTC)
        return start + timedelta(seconds=seconds)


RED_SYMPTOMS = ["cough", "fatigue", "sore_throat", "short_breath", "fever"]


def _zones() -> dict[int, tuple[ZoneInfo, str]]:
    return {
        pk: (ZoneInfo(tz), region or "")
        for pk, tz, region in Unit.objects.filter(kind=Unit.Kind.ENTERPRISE).values_list(
            "pk", "timezone", "region_id"
        )
    }


@register_history
def checkin_history(rng: random.Random, days: int, ctx: HistoryContext) -> Mapping[str, int]:
    if days <= 0:
        return {}
    rules = current_rules()
    first = ctx.today - timedelta(days=days - 1)
    zones = _zones()
    counters: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    headcount: dict[int, int] = defaultdict(int)  # everyone generated joined before the history
    reds: dict[int, tuple[date, int, str]] = {}  # person -> (last red day, unit, temperature)
    adapt_dt = connection.ops.adapt_datetimefield_value
    exemptions: list[Exemption] = []
    day_list = [first + timedelta(days=d) for d in range(days)]
    day_text = {day: day.isoformat() for day in day_list}
    morning = _Mornings()
    # A row's values are built as the text COPY (or SQLite) stores: ~6.6 million rows at 1 000 000
    # people. A UUID object, a Decimal, two json.dumps and a time-zone conversion a row took a
    # quarter of `generate`'s time (docs/performance-history.md, session 13). The same rows, value for value.
    green, contact_reasons = _json([]), _json(["contact"])
    fever, fever_symptom = _json(["fever"]), _json(["fever", "symptom"])

    def rows(chunk: list[tuple[int, int, int]]) -> Iterator[tuple]:
        for pid, unit_id, ent_id in chunk:
            headcount[unit_id] += 1
            tz, region = zones[ent_id]
            location = region[:6]
            off: set[date] = set()
            if rng.random() < 0.01:
                start = first + timedelta(days=rng.randrange(days))
                end = min(ctx.today, start + timedelta(days=rng.randrange(1, 6)))
                exemptions.append(
                    Exemption(
                        person_id=pid,
                        start=start,
                        end=end,
                        reason=rng.choice(["leave", "business_trip", "off_shift"]),
                        created_by="generate",
                    )
                )
                off = {start + timedelta(days=i) for i in range((end - start).days + 1)}
            for day in day_list:
                rate = 0.80 if day == ctx.today else 0.97
                if day in off or rng.random() > rate:
                    continue
                roll = rng.random()
                symptoms = green
                contact = False
                if roll < 0.003:
                    temp, card, reasons = rng.choice(RED_TEMPERATURES), Card.RED, fever
                    if rng.random() < 0.5:
                        symptoms, reasons = _json([rng.choice(RED_SYMPTOMS)]), fever_symptom
                elif roll < 0.018:
                    temp, contact, card, reasons = "36.5", True, Card.YELLOW, contact_reasons
                else:
                    temp, card, reasons = rng.choice(GREEN_TEMPERATURES), Card.GREEN, green
                captured = morning.at(day, ent_id, tz, rng.randrange(MORNING_SECONDS))
                c = counters[(unit_id, day)]
                c[0] += 1
                c[1] += card == Card.RED
                c[2] += card == Card.YELLOW
                c[3] += 1  # generated check-ins are all on site
                if card == Card.RED:
                    reds[pid] = (day, unit_id, temp)
                yield (
                    _uuid4_hex(rng.getrandbits(128)),
                    pid,
                    unit_id,
                    ent_id,
                    day_text[day],
                    1,
                    True,
                    True,
                    temp,
                    symptoms,
                    "on_site",
                    location,
                    green,
                    contact,
                    "",
                    adapt_dt(captured),
                    adapt_dt(captured + RECEIVED_AFTER),
                    False,
                    "self" if rng.random() < 0.9 else "proxy",
                    card,
                    reasons,
                    rules.version,
                    "",
                )

    n = 0
    people = (
        Person.objects.filter(status=Person.Status.ACTIVE)
        .order_by("pk")
        .values_list("pk", "unit_id", "enterprise_id")
    )
    with bulk_load(CheckIn._meta.db_table):
        last = 0
        # Read a chunk, then write it: no query may run on the connection while a COPY is open.
        while chunk := list(people.filter(pk__gt=last)[:PEOPLE_CHUNK]):
            n += insert_rows(CheckIn._meta.db_table, CHECKIN_COLUMNS, rows(chunk))
            last = chunk[-1][0]
    UnitDay.objects.bulk_create(
        [
            UnitDay(
                unit_id=u, day=d, expected=headcount[u], checked_in=c[0], red=c[1], yellow=c[2], on_site=c[3]
            )
            for (u, d), c in counters.items()
        ],
        batch_size=5000,
    )
    Exemption.objects.bulk_create(exemptions, batch_size=5000)
    # The recount joins placements, exemptions and check-ins, all written in this transaction and so
    # without statistics: PostgreSQL then planned a day's recount to run for about a minute, where
    # with them it takes 40-70 ms (docs/performance-history.md, session 16).
    with connection.cursor() as cursor:
        for model in (Membership, Exemption, CheckIn, UnitDay):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    for d in sorted({d for _, d in counters}):
        recount_exempt_day(d)
    items = _health_items(rng, reds, ctx.today)
    ctx.write(f"  check-ins: {n:,} over {days} days; health items: {items:,}")
    return {
        "checkins_checkin": n,
        "checkins_unitday": len(counters),
        "checkins_exemption": len(exemptions),
        "ledger_item": items,
    }


def _health_items(rng: random.Random, reds: dict[int, tuple[date, int, str]], today: date) -> int:
    """One health item per person whose last red card is in the history: open if recent, else closed."""
    units = Unit.objects.in_bulk({u for _, u, _ in reds.values()})
    names = dict(Person.objects.filter(pk__in=list(reds)).values_list("pk", "name"))
    numbers = dict(Person.objects.filter(pk__in=list(reds)).values_list("pk", "employee_no"))
    owners = default_owners(list(units.values()))  # two role reads, not two per unit
    items, events = [], []
    for pid, (day, unit_id, temp) in sorted(reds.items()):
        unit = units[unit_id]
        opened = datetime.combine(day, time(9, 0), tzinfo=UTC)
        recent = (today - day).days <= 2
        item = Item(
            kind=Kind.HEALTH_ANOMALY,
            key=f"person:{pid}",
            unit=unit,
            enterprise_id=unit.enterprise_id,
            person_id=pid,
            title=gettext("%(name)s (%(no)s): red card on %(day)s")
            % {"name": names[pid], "no": numbers[pid], "day": day.isoformat()},
            detail={"temperature": temp, "day": day.isoformat()},
            owner=owners[unit_id],
            due_at=opened + timedelta(hours=24),
            opened_at=opened,
            state=State.OPEN if recent else State.CLOSED,
            close_reason="" if recent else rng.choice([CloseReason.RECOVERED, CloseReason.TEST_NEGATIVE]),
            closed_at=None if recent else opened + timedelta(days=2),
        )
        items.append(item)
    Item.objects.bulk_create(items, batch_size=2000)
    for item in items:
        events.append(Event(item=item, type=Event.Type.OPENED, at=item.opened_at, actor="generate"))
        if item.state == State.CLOSED:
            events.append(
                Event(
                    item=item,
                    type=Event.Type.FOLLOW_UP,
                    at=item.opened_at + timedelta(hours=20),
                    actor="generate",
                    data={"note": "复测体温正常", "temperature": "36.6"},
                )
            )
            events.append(
                Event(
                    item=item,
                    type=Event.Type.CLOSED,
                    at=item.closed_at or item.opened_at,
                    actor="generate",
                    data={"reason": item.close_reason},
                )
            )
    Event.objects.bulk_create(events, batch_size=5000)
    return len(items)
