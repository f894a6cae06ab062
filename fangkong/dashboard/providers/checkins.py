"""Check-in figures: completeness, missing, red and yellow cards, from the leaf-unit day counters."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, time, timedelta

from django.db.models import Sum
from django.utils.translation import pgettext_lazy

from fangkong.checkins import rollup
from fangkong.checkins.models import CheckIn, UnitDay
from fangkong.lib.dates import local_time
from fangkong.org import access
from fangkong.org.models import Person, Role, Unit

from ..figures import Block, Context, Figure, Section, Value, owners_of, ratio, url_or_empty

# When the day's check-in is due (local time): a unit or person still missing after it is late.
CHECKIN_DUE = time(10, 0)
PEOPLE_SHOWN = 10
UNITS_SHOWN = 10
RUN_LOOKBACK = 14  # days looked back to tell how long a person has been missing in a row
PERSON_OWNER_ROLES = frozenset({Role.GRID_LEADER, Role.ENTERPRISE_ADMIN})


def _missing_link(code: str, day: str) -> str:
    return url_or_empty("checkins_missing", code, f"date={day}")


def _cards_link(colour: str):
    return lambda code, day: url_or_empty("checkins_cards", code, f"colour={colour}&date={day}")


def _roster_link(code: str, day: str) -> str:
    return url_or_empty("roster", code)


class CheckinFigures:
    name = "checkins"
    figures: tuple[Figure, ...] = (
        Figure("expected", pgettext_lazy("dashboard", "expected"), good="", link=_roster_link),
        Figure("checked_in", pgettext_lazy("dashboard", "checked in"), good="up"),
        Figure(
            "completeness",
            pgettext_lazy("dashboard", "check-in completeness"),
            percent=True,
            good="up",
            link=_missing_link,
        ),
        Figure("missing", pgettext_lazy("dashboard", "missing check-ins"), link=_missing_link),
        Figure("exempt", pgettext_lazy("dashboard", "exempt"), good=""),
        Figure("red", pgettext_lazy("dashboard", "red cards"), link=_cards_link("red")),
        Figure("yellow", pgettext_lazy("dashboard", "yellow cards"), link=_cards_link("yellow")),
    )

    def available(self) -> bool:
        return True

    @staticmethod
    def _values(row: dict) -> dict[str, Value]:
        values: dict[str, Value] = {
            k: row[k] for k in ("expected", "checked_in", "missing", "exempt", "red", "yellow")
        }
        values["completeness"] = ratio(row["expected"] - row["missing"], row["expected"])
        return values

    def section(self, ctx: Context) -> Section:
        data = rollup.rollup(ctx.unit, ctx.day)
        by_code = {c.code: c for c in ctx.children}
        section = Section(values=self._values(data))
        for row in data["children"]:
            child = by_code.get(row["code"])
            if child is not None:
                section.children[child.pk] = self._values(row)
        if ctx.brief:
            return section
        due = local_time(ctx.unit.timezone, ctx.day, CHECKIN_DUE)
        late = ctx.as_of - due if ctx.as_of > due else None
        worst = sorted(
            (c for c in ctx.children if (section.children.get(c.pk) or {}).get("missing")),
            key=lambda c: (-(section.children[c.pk]["missing"] or 0), c.code),
        )
        owners = owners_of(worst[:UNITS_SHOWN], access.ROSTER_ROLES)
        for child in worst[:UNITS_SHOWN]:
            section.blocks.append(
                Block(
                    what=pgettext_lazy("dashboard", "check-ins missing"),
                    unit_code=child.code,
                    unit_name=child.name,
                    count=int(section.children[child.pk]["missing"] or 0),
                    owner=owners[child.pk],
                    late=late,
                    url=_missing_link(child.code, ctx.day.isoformat()),
                )
            )
        if ctx.unit.kind in (Unit.Kind.ENTERPRISE, Unit.Kind.GRID):
            section.blocks += self._people(ctx, int(section.values["missing"] or 0))
        return section

    def _people(self, ctx: Context, missing: int) -> list[Block]:
        """The people missing the day's check-in (first ones), with who follows them and since when."""
        people = rollup.missing_page(ctx.unit, ctx.day, 0, PEOPLE_SHOWN)
        runs = _missing_runs(people, ctx.day)
        owners = owners_of({p.unit_id: p.unit for p in people}.values(), PERSON_OWNER_ROLES)
        blocks = []
        for p in people:
            first_missing = ctx.day - timedelta(days=runs[p.pk] - 1)
            since = local_time(ctx.unit.timezone, first_missing, CHECKIN_DUE)
            blocks.append(
                Block(
                    what=pgettext_lazy("dashboard", "no check-in"),
                    unit_code=p.unit.code,
                    unit_name=p.unit.name,
                    person=f"{p.name} ({p.employee_no})",
                    owner=owners[p.unit_id],
                    late=ctx.as_of - since if ctx.as_of > since else None,
                    url=_missing_link(p.unit.code, ctx.day.isoformat()),
                )
            )
        rest = missing - len(people)
        if rest > 0:
            blocks.append(
                Block(
                    what=pgettext_lazy("dashboard", "no check-in"),
                    unit_code="",
                    unit_name="",
                    count=rest,
                    url=_missing_link(ctx.unit.code, ctx.day.isoformat()),
                    more=True,
                )
            )
        return blocks

    def series(self, unit: Unit, days: list[date]) -> dict[str, list[Value]]:
        """Daily figures from the counters (days without counters show nothing), one grouped query:
        each day's figures are the roll-up's of that day, exempt people included (UnitDay.exempt:
        those exempt who did not check in, where they were placed that day). Recounting them from
        the exemptions and check-ins took ~0.8–1 s for 30 days of 1 000 000 people, against ~20 ms
        for the counters (docs/performance-history.md, session 13)."""
        first, last = days[0], days[-1]
        rows = (
            UnitDay.objects.filter(unit__path__startswith=unit.path, day__gte=first, day__lte=last)
            .values("day")
            .annotate(e=Sum("expected"), c=Sum("checked_in"), r=Sum("red"), y=Sum("yellow"), x=Sum("exempt"))
        )
        by_day = {r["day"]: r for r in rows}
        out: dict[str, list[Value]] = defaultdict(list)
        for d in days:
            r = by_day.get(d)
            if r is None:
                for key in ("expected", "checked_in", "missing", "exempt", "red", "yellow", "completeness"):
                    out[key].append(None)
                continue
            missing = max(0, r["e"] - r["c"] - r["x"])
            out["expected"].append(r["e"])
            out["checked_in"].append(r["c"])
            out["exempt"].append(r["x"])
            out["missing"].append(missing)
            out["red"].append(r["r"])
            out["yellow"].append(r["y"])
            out["completeness"].append(ratio(r["e"] - missing, r["e"]))
        return dict(out)


def _missing_runs(people: list[Person], day: date) -> dict[int, int]:
    """How many days in a row (up to RUN_LOOKBACK) each person has been without a check-in."""
    start = day - timedelta(days=RUN_LOOKBACK - 1)
    seen: dict[int, set[date]] = defaultdict(set)
    rows = CheckIn.objects.filter(
        person_id__in=[p.pk for p in people], day__gte=start, day__lte=day, current=True, counted=True
    ).values_list("person_id", "day")
    for pid, d in rows:
        seen[pid].add(d)
    runs = {}
    for p in people:
        n = 0
        while n < RUN_LOOKBACK and (day - timedelta(days=n)) not in seen[p.pk]:
            n += 1
        runs[p.pk] = max(1, n)
    return runs
