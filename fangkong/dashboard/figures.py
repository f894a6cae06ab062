"""The dashboard's figures, as a list of providers: one per module, each plugging its own figures in.

A provider gives, for a unit and a business day, its headline figures, the same figures for each
direct child, what blocks (the units and people holding the figures back), and a daily series of
its figures for the trend charts. The dashboard, the bulletin and the trends read only these, so a
module's figures appear everywhere once its provider is in `PROVIDERS`. Providers of modules that
are not installed (their query module does not import) are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import Promise

from fangkong.lib.dates import business_day, day_bounds
from fangkong.org.models import Unit

Value = int | float | None


def ratio(part: int | None, whole: int | None) -> float | None:
    """A percentage with one decimal, or None when there is nothing to divide by."""
    if not whole or part is None:
        return None
    return round(100.0 * part / whole, 1)


def url_or_empty(name: str, code: str, query: str = "") -> str:
    """The URL of another module's page, or "" while that module has no such page."""
    try:
        url = reverse(name, kwargs={"code": code})
    except NoReverseMatch:
        return ""
    return f"{url}?{query}" if query else url


@dataclass(frozen=True)
class Figure:
    key: str
    label: str | Promise
    percent: bool = False
    # Which way is good, for the "changes since yesterday" arrows: "up", "down" or "" (neutral).
    good: str = "down"
    # The list behind the figure: a function of (unit code, day ISO) giving a URL, or "" for none.
    link: Callable[[str, str], str] | None = None

    def url(self, code: str, day: date) -> str:
        return self.link(code, day.isoformat()) if self.link else ""


@dataclass
class Block:
    """Something holding a unit's figures back: a unit or a person, its owner and how late it is."""

    what: str | Promise
    unit_code: str
    unit_name: str
    count: int | None = None
    person: str = ""
    owner: str = ""
    late: timedelta | None = None
    url: str = ""
    more: bool = False  # a summary row: `count` more of the same kind, not shown


@dataclass
class Overdue:
    """An overdue ledger item as the dashboard shows it: kind, unit, owner, lateness (no health detail)."""

    kind: str
    unit_code: str
    unit_name: str
    owner: str
    due_at: datetime
    late: timedelta
    url: str = ""


@dataclass
class Section:
    values: dict[str, Value] = field(default_factory=dict)
    children: dict[int, dict[str, Value]] = field(default_factory=dict)  # direct child pk -> values
    blocks: list[Block] = field(default_factory=list)
    overdue: list[Overdue] = field(default_factory=list)


@dataclass
class Context:
    """What every provider gets: the unit, the day, its direct children, and the reading instant."""

    unit: Unit
    day: date
    children: list[Unit]
    now: datetime = field(default_factory=timezone.now)
    # Headline figures only (yesterday's, for the changes): no blocks, no overdue list.
    brief: bool = False

    @property
    def is_today(self) -> bool:
        return self.day >= business_day(self.unit.timezone, self.now)

    @property
    def as_of(self) -> datetime:
        """The instant the day's state is read at: now for today, the end of the day before."""
        end = day_bounds(self.unit.timezone, self.day)[1]
        return min(self.now, end)

    def child_of(self, path: str) -> int | None:
        """The pk of the direct child whose subtree holds the unit with this path (None: the unit)."""
        parts = path.strip("/").split("/")
        depth = self.unit.depth
        return int(parts[depth + 1]) if len(parts) > depth + 1 else None


class Provider(Protocol):
    name: str
    figures: tuple[Figure, ...]

    def available(self) -> bool: ...

    def section(self, ctx: Context) -> Section: ...

    def series(self, unit: Unit, days: list[date]) -> dict[str, list[Value]]: ...


def owners_of(units: Iterable[Unit], roles: Any) -> dict[int, str]:
    """Per unit pk, the names of the users answering for the unit (nearest holders of `roles`),
    comma-separated: for all the units a section lists, in the same two reads."""
    from fangkong.org import access

    held = access.holders_many(units, roles)
    return {pk: ", ".join(u.get_full_name() or u.username for u in users[:3]) for pk, users in held.items()}


def show(value: Value, percent: bool = False) -> str:
    """A figure as text: thousands separated, percentages with one decimal, "—" for none."""
    if value is None:
        return "—"
    if percent:
        return f"{value:.1f}%"
    return f"{value:,}"


def show_delta(value: Value, percent: bool = False) -> str:
    if value is None:
        return "—"
    if not value:
        return "±0"
    sign = "+" if value > 0 else "−"
    magnitude = abs(value)
    return sign + (f"{magnitude:.1f}" if percent else f"{magnitude:,}")


def show_late(late: timedelta | None) -> str:
    """How late, in days and hours ("2 d 3 h", in the reader's language), or "" when not late."""
    from django.utils.translation import gettext as _

    if late is None or late.total_seconds() <= 0:
        return ""
    hours = int(late.total_seconds() // 3600)
    days, hours = divmod(hours, 24)
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    minutes = int(late.total_seconds() // 60) % 60
    return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
