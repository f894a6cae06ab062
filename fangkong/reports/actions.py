"""Every step of a unit report: submit (zero or with items), review (accept / return), excuse a unit,
grant an exception after closing, flag a contradicted zero report, open ledger items for overdue ones.

Each step is one transaction with its event and audit rows. Refusals raise ActionError: field
"state" / "zero" / "children" mean a conflict with what is stored (HTTP 409), any other field bad
input (422); PermissionDenied means the caller may not take the step (403).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.actions import actor_name, record
from fangkong.lib.dates import business_day
from fangkong.org.actions import ActionError
from fangkong.org.models import Unit
from fangkong.org.rawsql import any_of, column, day_param, table

from . import queries
from .models import EPIDEMIC, Category, DayLock, Excuse, ReportEvent, ReportType, UnitReport, Unlock
from .periods import closes_at, deadline, period_of
from .validation import clean_values

logger = logging.getLogger(__name__)
CONFLICT_FIELDS = frozenset({"state", "zero", "children"})


def _chain_code(unit: Unit) -> str:
    return unit.enterprise.code if unit.enterprise_id and unit.enterprise else unit.code


def _audit(actor: Any, verb: str, report: UnitReport, **detail: Any) -> None:
    record(
        actor,
        f"reports.{verb}",
        "unit_report",
        f"{report.unit.code}:{report.report_type.code}:{report.period_start.isoformat()}",
        unit_code=_chain_code(report.unit),
        detail=detail,
    )


def _event(
    report: UnitReport, type_: str, actor: Any, comment: str = "", now: datetime | None = None
) -> None:
    ReportEvent.objects.create(
        report=report, type=type_, at=now or timezone.now(), actor=actor_name(actor), comment=comment[:500]
    )


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def lock_days(enterprise_ids: list[int], days: list[date]) -> None:
    """Take the (enterprise, day) rows that zero reports and abnormal check-ins both lock, in one order
    (made first where missing). Hand-written (org.rawsql): every red or yellow check-in takes them,
    and the ORM's two compiled statements were a sixth of such a check-in's Python."""
    if not enterprise_ids:
        return
    pairs = [(e, day_param(d)) for e in sorted(enterprise_ids) for d in sorted(days)]
    enterprise_test, enterprise_params = any_of(sorted(set(enterprise_ids)))
    day_test, day_params = any_of(sorted({day_param(d) for d in days}))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_make_days_sql(), [[e for e, _ in pairs], [d for _, d in pairs]])
        else:
            cursor.executemany(_make_day_sql(), pairs)
        cursor.execute(_lock_days_sql(enterprise_test, day_test), [*enterprise_params, *day_params])
        cursor.fetchall()


def _day_lock_columns() -> str:
    return f"{column(DayLock, 'enterprise_id')}, {column(DayLock, 'day')}"


@cache
def _make_days_sql() -> str:
    return (
        f"INSERT INTO {table(DayLock)} ({_day_lock_columns()}) "  # noqa: S608
        "SELECT * FROM unnest(%s::bigint[], %s::date[]) ON CONFLICT DO NOTHING"
    )


@cache
def _make_day_sql() -> str:
    return f"INSERT INTO {table(DayLock)} ({_day_lock_columns()}) VALUES (%s, %s) ON CONFLICT DO NOTHING"  # noqa: S608


@cache
def _lock_days_sql(enterprise_test: str, day_test: str) -> str:
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    return (
        f"SELECT id FROM {table(DayLock)} WHERE {column(DayLock, 'enterprise_id')} {enterprise_test} "  # noqa: S608
        f"AND {column(DayLock, 'day')} {day_test} ORDER BY {_day_lock_columns()}{lock}"
    )


def _enterprises_under(unit: Unit) -> list[int]:
    if unit.enterprise_id:
        return [unit.enterprise_id]
    return list(
        Unit.objects.filter(path__startswith=unit.path, kind=Unit.Kind.ENTERPRISE)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def contradictions(unit: Unit, first: date, last: date) -> tuple[int, int]:
    """(abnormal check-ins, open health items) in the unit's subtree over the days; read after lock_days."""
    from fangkong.checkins.models import UnitDay
    from fangkong.ledger.models import OPEN_STATES, Item, Kind

    sums = UnitDay.objects.filter(unit__path__startswith=unit.path, day__gte=first, day__lte=last).aggregate(
        red=Sum("red"), yellow=Sum("yellow")
    )
    abnormal = (sums["red"] or 0) + (sums["yellow"] or 0)
    items = Item.objects.filter(
        kind=Kind.HEALTH_ANOMALY, state__in=OPEN_STATES, unit__path__startswith=unit.path
    ).count()
    return abnormal, items


def computed_values(rt: ReportType, unit: Unit, day: date) -> dict[str, int]:
    """The fields bound to person data, from the health-card roll-up of the unit's subtree."""
    bound = [f for f in rt.fields.all() if f.binding]
    if not bound:
        return {}
    from fangkong.checkins.rollup import rollup

    _start, last = period_of(rt, day)
    figures = rollup(unit, min(last, day) if rt.period == "daily" else last)
    return {f.code: int(figures.get(f.binding, 0)) for f in bound}


def _check_open(rt: ReportType, unit: Unit, day: date, now: datetime) -> None:
    start, _last = period_of(rt, day)
    if start > business_day(unit.timezone, now):
        raise ActionError(_("a period that has not begun cannot be reported"), "date")
    if now < closes_at(rt, unit, day):
        return
    if Unlock.objects.filter(unit=unit, report_type=rt, period_start=start, until__gt=now).exists():
        return
    raise ActionError(
        _("this period closed at %(at)s; the level above can grant an exception")
        % {"at": closes_at(rt, unit, day).isoformat(timespec="minutes")},
        "state",
    )


def submit_report(
    actor: Any,
    unit: Unit,
    rt: ReportType,
    day: date,
    *,
    zero: bool = False,
    values: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> UnitReport:
    """Submit (or, before review or after a return, correct) the unit's report for the period of `day`."""
    from fangkong.checkins.rollup import open_day

    now = now or timezone.now()
    values = values or {}
    if zero and values:
        raise ActionError(_("a zero report carries no values"), "values")
    start, last = period_of(rt, day)
    if not queries.expected_units(rt, day).filter(pk=unit.pk).exists():
        raise ActionError(
            _("%(unit)s is not expected to report this type for this period") % {"unit": unit.code}, "type"
        )
    # The day's counter rows are made before any lock is taken (see _submit on lock order).
    open_day(min(last, day) if rt.period == "daily" else last)
    try:
        with transaction.atomic():
            return _submit(actor, unit, rt, day, start, last, zero, values, now)
    except IntegrityError:
        raise ActionError(
            _("someone else submitted this report at the same moment; reload it"), "state"
        ) from None


def _submit(
    actor: Any,
    unit: Unit,
    rt: ReportType,
    day: date,
    start: date,
    last: date,
    zero: bool,
    values: dict,
    now: datetime,
) -> UnitReport:
    """Lock order, the same as a check-in's: the audit chain first (a check-in may hold it when its
    red card opens a ledger item), then the (enterprise, day) rows, then the report row. A zero report
    that took the day rows touches nothing a check-in holds, so the two cannot deadlock."""
    peek = UnitReport.objects.filter(unit=unit, report_type=rt, period_start=start).first()
    verb = "resubmit" if peek else "submit"
    late = peek.late if peek else now >= deadline(rt, unit, day)
    record(
        actor,
        f"reports.{verb}",
        "unit_report",
        f"{unit.code}:{rt.code}:{start.isoformat()}",
        unit_code=_chain_code(unit),
        detail={"zero": zero, "late": late},
    )
    epidemic_zero = zero and rt.category.code == EPIDEMIC
    if epidemic_zero:
        lock_days(_enterprises_under(unit), _days(start, last))
    report = (
        UnitReport.objects.select_for_update().filter(unit=unit, report_type=rt, period_start=start).first()
    )
    if report is not None and report.state == UnitReport.State.ACCEPTED:
        raise ActionError(_("this report was accepted; it can no longer be changed"), "state")
    _check_open(rt, unit, day, now)
    blocking = queries.children_ready(unit, rt, day)
    if blocking:
        raise ActionError(
            _("not yet reported and not excused: %(units)s")
            % {"units": ", ".join(u.code for u in blocking[:20])},
            "children",
        )
    if epidemic_zero:
        abnormal, items = contradictions(unit, start, last)
        if abnormal or items:
            raise ActionError(
                _("a zero report is refused: %(abnormal)d abnormal check-ins and %(items)d open health items")
                % {"abnormal": abnormal, "items": items},
                "zero",
            )
    computed = computed_values(rt, unit, day)
    cleaned = {} if zero else clean_values(rt.fields.all(), rt.rules, values, computed)
    if report is None:
        report = UnitReport.objects.create(
            unit=unit,
            report_type=rt,
            period_start=start,
            period_end=last,
            zero=zero,
            values=cleaned,
            computed=computed,
            submitted_at=now,
            submitted_by=actor if getattr(actor, "is_authenticated", False) else None,
            late=late,
            updated_at=now,
        )
    else:
        report.zero, report.values, report.computed = zero, cleaned, computed
        report.state = UnitReport.State.SUBMITTED
        report.revision += 1
        report.updated_at = now
        report.flagged, report.flagged_at, report.flag_reason = False, None, ""
        report.save()
    _event(report, verb, actor, now=now)
    _close_missing_item(actor, report)
    return report


def _missing_key(unit: Unit, rt: ReportType, start: date) -> str:
    return f"report:{unit.code}:{rt.code}:{start.isoformat()}"


def _close_missing_item(actor: Any, report: UnitReport) -> None:
    from fangkong.ledger.actions import close_item
    from fangkong.ledger.models import OPEN_STATES, CloseReason, Item, Kind

    key = _missing_key(report.unit, report.report_type, report.period_start)
    item = Item.objects.filter(kind=Kind.REPORT_MISSING, key=key, state__in=OPEN_STATES).first()
    if item is not None:
        close_item(actor, item, reason=CloseReason.RESOLVED, note=_("the report was submitted"))


def _require_level_above(actor: Any, unit: Unit) -> None:
    if not queries.can_review(actor, unit):
        raise PermissionDenied(_("only the level above this unit may do this"))


@transaction.atomic
def review_report(actor: Any, report: UnitReport, *, accept: bool, comment: str = "") -> UnitReport:
    """Accept, or return for correction with a comment; by the level above the reporting unit."""
    _require_level_above(actor, report.unit)
    comment = comment.strip()
    if not accept and not comment:
        raise ActionError(_("say what must be corrected"), "comment")
    report = UnitReport.objects.select_for_update().get(pk=report.pk)
    if report.state != UnitReport.State.SUBMITTED:
        raise ActionError(
            _("only a submitted report can be reviewed (this one is %(state)s)")
            % {"state": report.get_state_display()},
            "state",
        )
    now = timezone.now()
    report.state = UnitReport.State.ACCEPTED if accept else UnitReport.State.RETURNED
    report.reviewed_at, report.reviewed_by, report.review_comment = now, actor_name(actor), comment[:500]
    report.save(update_fields=["state", "reviewed_at", "reviewed_by", "review_comment"])
    verb = "accept" if accept else "return"
    _event(report, verb, actor, comment, now)
    _audit(actor, verb, report, comment=comment[:200])
    if not accept:
        transaction.on_commit(lambda: _notify_return(actor, report))
    return report


def _notify_return(actor: Any, report: UnitReport) -> None:
    """Tell the unit's admins after the return is committed; a failure here never undoes the review."""
    try:
        from fangkong.notify.api import notify
    except ImportError:  # the notifications module is optional for this one
        return
    from fangkong.org import access

    users = access.holders(report.unit, queries.SUBMIT_ROLES)
    try:
        _send(notify, actor, users, report)
    except Exception:
        logger.exception("could not notify the return of report %s", report.pk)


def _send(notify: Any, actor: Any, users: list, report: UnitReport) -> None:
    from django.urls import reverse

    notify(
        actor,
        users,
        subject=_("%(type)s of %(day)s returned for correction")
        % {"type": report.report_type.name, "day": report.period_start},
        body=report.review_comment,
        link=reverse("reports_form", args=[report.unit.code])
        + f"?type={report.report_type.code}&date={report.period_start.isoformat()}",
        unit=report.unit,
        key=f"reports.return:{report.pk}:{report.revision}",
    )


@transaction.atomic
def excuse_unit(actor: Any, unit: Unit, rt: ReportType, day: date, *, reason: str) -> Excuse:
    """The level above excuses a unit from one period: it no longer blocks the compiled report."""
    _require_level_above(actor, unit)
    if not reason.strip():
        raise ActionError(_("give the reason"), "reason")
    start, _last = period_of(rt, day)
    excuse, created = Excuse.objects.get_or_create(
        unit=unit,
        report_type=rt,
        period_start=start,
        defaults={"reason": reason.strip()[:200], "by": actor_name(actor), "at": timezone.now()},
    )
    if not created:
        raise ActionError(_("already excused"), "state")
    record(
        actor,
        "reports.excuse",
        "unit_report",
        f"{unit.code}:{rt.code}:{start.isoformat()}",
        unit_code=_chain_code(unit),
        detail={"reason": excuse.reason},
    )
    return excuse


@transaction.atomic
def grant_unlock(
    actor: Any, unit: Unit, rt: ReportType, day: date, *, reason: str, hours: int = 24
) -> Unlock:
    """An audited exception: the unit may submit the closed period for `hours` more."""
    _require_level_above(actor, unit)
    if not reason.strip():
        raise ActionError(_("give the reason"), "reason")
    if not 1 <= hours <= 168:
        raise ActionError(_("between 1 and 168 hours"), "hours")
    start, _last = period_of(rt, day)
    now = timezone.now()
    unlock = Unlock.objects.create(
        unit=unit,
        report_type=rt,
        period_start=start,
        until=now + timedelta(hours=hours),
        reason=reason.strip()[:200],
        by=actor_name(actor),
        at=now,
    )
    record(
        actor,
        "reports.unlock",
        "unit_report",
        f"{unit.code}:{rt.code}:{start.isoformat()}",
        unit_code=_chain_code(unit),
        detail={"reason": unlock.reason, "until": unlock.until.isoformat()},
    )
    return unlock


def flag_zero_reports(actor: Any, checkins: list) -> int:
    """Abnormal check-ins flag the zero epidemic reports already given for their day by their unit and
    every unit above. Runs inside the check-ins' transaction, after taking the same (enterprise, day)
    rows as a zero report: whichever comes second sees the other. A batch takes its rows and reads
    the reports once. The audit rows follow the commit in their own transaction: taking an audit
    chain here, after the day row, could deadlock with a zero report that holds the chain and waits
    for the day row."""
    if not checkins:
        return 0
    lock_days(sorted({c.enterprise_id for c in checkins}), sorted({c.day for c in checkins}))
    chains = {c.pk: {*c.unit.ancestor_ids, c.unit.pk} for c in checkins}
    found = _zero_reports(
        sorted(set().union(*chains.values())), min(c.day for c in checkins), max(c.day for c in checkins)
    )
    if not found:
        return 0  # the common case: no zero report given yet for these days above these units
    candidates = UnitReport.objects.select_related("unit", "report_type").filter(pk__in=found)
    reasons: dict[int, str] = {}
    reports = []
    for report in candidates:
        cause = next(
            (
                c
                for c in checkins
                if report.unit_id in chains[c.pk] and report.period_start <= c.day <= report.period_end
            ),
            None,
        )
        if cause is not None:
            reports.append(report)
            reasons[report.pk] = f"{cause.card} check-in on {cause.day.isoformat()} in {cause.unit.code}"[
                :200
            ]
    if not reports:
        return 0
    now = timezone.now()
    for report in reports:
        UnitReport.objects.filter(pk=report.pk).update(
            flagged=True, flagged_at=now, flag_reason=reasons[report.pk]
        )
        _event(report, "flagged", actor, reasons[report.pk], now)
    name = actor_name(actor)

    def audit() -> None:
        with transaction.atomic():
            for report in reports:
                _audit(name, "flag", report, reason=reasons[report.pk])

    transaction.on_commit(audit)
    return len(reports)


def _zero_reports(unit_ids: list[int], first: date, last: date) -> list[int]:
    """The unflagged zero epidemic reports (not returned) of these units whose periods meet the days:
    one hand-written read (org.rawsql), as every red or yellow check-in makes it."""
    test, params = any_of(unit_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            _zero_reports_sql(test),
            [*params, EPIDEMIC, day_param(last), day_param(first), UnitReport.State.RETURNED.value],
        )
        return [row[0] for row in cursor.fetchall()]


@cache
def _zero_reports_sql(unit_test: str) -> str:
    def r(name: str) -> str:
        return f"r.{column(UnitReport, name)}"

    return (
        f"SELECT r.id FROM {table(UnitReport)} r "  # noqa: S608
        f"JOIN {table(ReportType)} t ON t.id = {r('report_type_id')} "
        f"JOIN {table(Category)} c ON c.id = t.{column(ReportType, 'category_id')} "
        f"WHERE {r('unit_id')} {unit_test} AND {r('zero')} AND NOT {r('flagged')} "
        f"AND c.{column(Category, 'code')} = %s AND {r('period_start')} <= %s AND {r('period_end')} >= %s "
        f"AND {r('state')} <> %s"
    )


def open_overdue(now: datetime | None = None, actor: Any = "system") -> int:
    """Open a REPORT_MISSING ledger item for each expected unit whose report is past its deadline and
    still missing (recent periods only); owner: the unit's nearest admin. Returns items opened."""
    from django.contrib.auth import get_user_model

    from fangkong.ledger.actions import open_item
    from fangkong.ledger.models import OPEN_STATES, Item, Kind

    now = now or timezone.now()
    today = now.date()
    opened = 0
    for rt in ReportType.objects.filter(active=True).select_related("category"):
        # UTC's date is a day behind or ahead of some zones: look one day either side.
        days = {today - timedelta(days=k) for k in range(-1, rt.deadline_offset_days + 2)}
        starts = {period_of(rt, d)[0]: d for d in sorted(days)}
        for start, day in sorted(starts.items()):
            missing = [u for u in queries.missing_units(rt, day) if deadline(rt, u, day) <= now]
            if not missing:
                continue
            keys = {_missing_key(u, rt, start): u for u in missing}
            already = set(
                Item.objects.filter(
                    kind=Kind.REPORT_MISSING, key__in=list(keys), state__in=OPEN_STATES
                ).values_list("key", flat=True)
            )
            owner_of = queries.owners(missing)
            users = {
                u.username: u for u in get_user_model().objects.filter(username__in=set(owner_of.values()))
            }
            for key, unit in keys.items():
                if key in already:
                    continue
                _item, created = open_item(
                    actor,
                    kind=Kind.REPORT_MISSING,
                    key=key,
                    unit=unit,
                    title=_("%(unit)s: %(type)s for %(day)s not submitted")
                    % {"unit": unit.name, "type": rt.name, "day": start.isoformat()},
                    due_at=closes_at(rt, unit, day),
                    owner=users.get(owner_of.get(unit.pk, "")),
                    detail={
                        "type": rt.code,
                        "period_start": start.isoformat(),
                        "deadline": deadline(rt, unit, day).isoformat(),
                    },
                )
                opened += created
    return opened
