"""Figures of the reports, controls and safety modules, read through each module's own queries.

Each provider is available once its module's query function exists; until then the dashboard shows
check-ins and the ledger only. The modules answer with dicts or objects: `_get` reads either.
"""

from __future__ import annotations

import importlib
from datetime import date, datetime
from types import ModuleType
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import pgettext_lazy

from fangkong.org.models import Role, Unit

from ..figures import Block, Context, Figure, Section, Value, owners_of, ratio, url_or_empty


def _function(module: str, name: str) -> Any:
    try:
        mod: ModuleType = importlib.import_module(module)
    except ImportError:
        return None
    return getattr(mod, name, None)


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(key, default)
    return getattr(obj, key, default)


def _owner(entry: Any) -> str:
    owner = _get(entry, "owner", "")
    if owner is None:
        return ""
    if isinstance(owner, list | tuple):
        return ", ".join(str(_get(o, "username", o)) for o in owner)
    if hasattr(owner, "get_full_name"):
        return owner.get_full_name() or owner.username
    return str(owner)


def _late(entry: Any, now: datetime) -> Any:
    late = _get(entry, "late_by") or _get(entry, "late")
    if late is not None and hasattr(late, "total_seconds"):
        return late
    deadline = _get(entry, "deadline") or _get(entry, "due_at")
    if isinstance(deadline, datetime) and deadline < now:
        return now - deadline
    return None


def _reporting_link(code: str, day: str) -> str:
    return url_or_empty("reports_reporting", code, f"date={day}")


class ReportFigures:
    """Reporting and on-time rates of the daily epidemic report (reports.queries.reporting)."""

    name = "reports"
    figures: tuple[Figure, ...] = (
        Figure(
            "reporting_rate",
            pgettext_lazy("dashboard", "reporting rate"),
            percent=True,
            good="up",
            link=_reporting_link,
        ),
        Figure(
            "on_time_rate",
            pgettext_lazy("dashboard", "on-time rate"),
            percent=True,
            good="up",
            link=_reporting_link,
        ),
        Figure("reports_missing", pgettext_lazy("dashboard", "reports missing"), link=_reporting_link),
    )

    def _fn(self) -> Any:
        return _function("fangkong.reports.queries", "reporting")

    def available(self) -> bool:
        return self._fn() is not None

    @staticmethod
    def _values(r: Any) -> dict[str, Value]:
        expected = _get(r, "expected", 0)
        missing = _get(r, "missing", []) or []
        return {
            "reporting_rate": ratio(_get(r, "submitted", 0), expected),
            "on_time_rate": ratio(_get(r, "on_time", 0), expected),
            "reports_missing": len(missing) if isinstance(missing, list | tuple) else int(missing),
        }

    def section(self, ctx: Context) -> Section:
        r = self._fn()(ctx.unit, ctx.day)
        section = Section(values=self._values(r))
        by_code = {c.code: c.pk for c in ctx.children}
        for row in _get(r, "children", []) or []:
            pk = by_code.get(str(_get(row, "code", "")))
            if pk is not None:
                section.children[pk] = self._values(row)
        if ctx.brief:
            return section
        missing = _get(r, "missing", []) or []
        for entry in missing if isinstance(missing, list | tuple) else []:
            code = str(_get(entry, "code", ""))
            section.blocks.append(
                Block(
                    what=pgettext_lazy("dashboard", "daily report missing"),
                    unit_code=code,
                    unit_name=str(_get(entry, "name", "")),
                    owner=_owner(entry),
                    late=_late(entry, ctx.as_of),
                    url=_reporting_link(code, ctx.day.isoformat()) if code else "",
                )
            )
        return section

    def series(self, unit: Unit, days: list[date]) -> dict[str, list[Value]]:
        """From the reports module's `reporting_over` (one read of the span's reports), or day by
        day through `reporting` where the module has no such call."""
        over = _function("fangkong.reports.queries", "reporting_over")
        per_day = over(unit, days) if over is not None else {d: self._fn()(unit, d) for d in days}
        out: dict[str, list[Value]] = {f.key: [] for f in self.figures}
        for d in days:
            for k, v in self._values(per_day[d]).items():
                out[k].append(v)
        return out


def _operations_link(code: str, day: str) -> str:
    return url_or_empty("controls_operations", code, f"date={day}")


def _enterprises(unit: Unit) -> list[Unit]:
    """The subtree's active enterprises, by code."""
    return list(unit.subtree().filter(kind=Unit.Kind.ENTERPRISE, active=True).order_by("code"))


class ControlFigures:
    """Return to work and the enterprises' risk levels, from the controls module's batch reads
    (statuses_on, levels_on: a few queries whatever the number of enterprises). Its operations()
    also counts on-site staff from the day's check-ins, which the dashboard does not need."""

    name = "controls"
    figures: tuple[Figure, ...] = (
        Figure(
            "resume_rate",
            pgettext_lazy("dashboard", "return-to-work rate"),
            percent=True,
            good="up",
            link=_operations_link,
        ),
        Figure("not_resumed", pgettext_lazy("dashboard", "enterprises not resumed"), link=_operations_link),
        Figure("risk_high", pgettext_lazy("dashboard", "enterprises at high risk"), link=_operations_link),
        Figure(
            "risk_medium", pgettext_lazy("dashboard", "enterprises at medium risk"), link=_operations_link
        ),
        Figure("risk_low", pgettext_lazy("dashboard", "enterprises at low risk"), good=""),
    )

    def _q(self) -> Any:
        try:
            return importlib.import_module("fangkong.controls.queries")
        except ImportError:
            return None

    def available(self) -> bool:
        q = self._q()
        names = ("statuses_on", "statuses_over", "levels_on", "levels_over", "RESUMED_STATUSES")
        return q is not None and all(hasattr(q, n) for n in names)

    def _read(self, unit: Unit, day: date) -> tuple[list[Unit], dict[int, Any], dict[int, str]]:
        """The subtree's active enterprises, the status row in force of each, and each one's level."""
        ents = _enterprises(unit)
        return ents, self._q().statuses_on([e.pk for e in ents], day), self.levels(ents, day)

    def _stopped(self, status: dict[int, Any], pk: int) -> bool:
        row = status.get(pk)
        return row is not None and row.status not in self._q().RESUMED_STATUSES

    def _values(self, ents: list[Unit], status: dict[int, Any], levels: dict[int, str]) -> dict[str, Value]:
        stopped = sum(1 for e in ents if self._stopped(status, e.pk))
        return {
            "resume_rate": ratio(len(ents) - stopped, len(ents)),
            "not_resumed": stopped,
            "risk_high": sum(1 for e in ents if levels.get(e.pk) == "high"),
            "risk_medium": sum(1 for e in ents if levels.get(e.pk) == "medium"),
            "risk_low": sum(1 for e in ents if levels.get(e.pk) == "low"),
        }

    def section(self, ctx: Context) -> Section:
        ents, status, levels = self._read(ctx.unit, ctx.day)
        section = Section(values=self._values(ents, status, levels))
        if ctx.unit.kind in (Unit.Kind.GROUP, Unit.Kind.SEGMENT):
            for child in ctx.children:
                mine = [e for e in ents if e.path.startswith(child.path)]
                section.children[child.pk] = self._values(mine, status, levels)
        if ctx.brief:
            return section
        stopped = [e for e in ents if self._stopped(status, e.pk)]
        owners = owners_of(stopped, {Role.ENTERPRISE_ADMIN})
        for e in stopped:
            since = getattr(status[e.pk], "effective_from", None)
            section.blocks.append(
                Block(
                    what=pgettext_lazy("dashboard", "not resumed"),
                    unit_code=e.code,
                    unit_name=e.name,
                    owner=owners[e.pk],
                    late=(ctx.day - since) if since else None,
                    url=_operations_link(e.code, ctx.day.isoformat()),
                )
            )
        return section

    def series(self, unit: Unit, days: list[date]) -> dict[str, list[Value]]:
        """The enterprises, their statuses and their levels are read once for all the days."""
        q = self._q()
        ents = _enterprises(unit)
        statuses = q.statuses_over([e.pk for e in ents], days)
        levels = q.levels_over(ents, days)
        out: dict[str, list[Value]] = {f.key: [] for f in self.figures}
        for d in days:
            named = {pk: str(lv[0]) for pk, lv in levels[d].items()}
            for k, v in self._values(ents, statuses[d], named).items():
                out[k].append(v)
        return out

    def levels(self, enterprises: list[Unit], day: date) -> dict[int, str]:
        q = self._q()
        return {pk: str(lv[0]) for pk, lv in q.levels_on(enterprises, day).items()}

    def stopped(self, enterprises: list[Unit], day: date) -> set[int]:
        status = self._q().statuses_on([e.pk for e in enterprises], day)
        return {e.pk for e in enterprises if self._stopped(status, e.pk)}


def _incidents_link(code: str, day: str) -> str:
    try:
        return f"{reverse('safety_incidents')}?unit={code}"
    except NoReverseMatch:
        return ""


class SafetyFigures:
    name = "safety"
    figures: tuple[Figure, ...] = (
        Figure(
            "incidents_30d",
            pgettext_lazy("dashboard", "incidents in 30 days"),
            link=_incidents_link,
        ),
        Figure("serious_30d", pgettext_lazy("dashboard", "serious incidents in 30 days")),
        Figure(
            "days_without_serious", pgettext_lazy("dashboard", "days without a serious incident"), good="up"
        ),
    )

    def _fn(self, name: str = "incident_summary") -> Any:
        return _function("fangkong.safety.queries", name)

    def available(self) -> bool:
        return self._fn() is not None

    def _values(self, summary: dict[str, Any]) -> dict[str, Value]:
        return {f.key: _get(summary, f.key) for f in self.figures}

    def section(self, ctx: Context) -> Section:
        summaries = self._fn("incident_summaries")(ctx.unit, ctx.children, ctx.day)  # one read for all
        section = Section(values=self._values(summaries[ctx.unit.pk]))
        for child in ctx.children:
            section.children[child.pk] = self._values(summaries[child.pk])
        return section

    def series(self, unit: Unit, days: list[date]) -> dict[str, list[Value]]:
        out: dict[str, list[Value]] = {f.key: [] for f in self.figures}
        for summary in self._fn("incident_summary_over")(unit, days).values():
            for k, v in self._values(summary).items():
                out[k].append(v)
        return out
