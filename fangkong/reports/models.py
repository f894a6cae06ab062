"""Report types (configured by the group), their fields and assignments, and the unit reports.

A unit report for (unit, type, period) is *missing* (no row), *zero* (an explicit, attested "nothing
to report", with who and when) or *with items* (typed values). Fields bound to person data are
computed from the health cards at submission and stored apart from the typed values.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from fangkong.org.models import Unit


def _zh() -> bool:
    return (get_language() or "").lower().startswith("zh")


class Named(models.Model):
    name_zh = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_zh if _zh() else (self.name_en or self.name_zh)


class Category(Named):
    """条: epidemic prevention, production dispatch, project progress, business analysis (data)."""

    code = models.SlugField(max_length=32, unique=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name_plural = "categories"


# The category whose zero reports the health data may contradict.
EPIDEMIC = "epidemic"


class Period(models.TextChoices):
    DAILY = "daily", _("daily")
    WEEKLY = "weekly", _("weekly")
    MONTHLY = "monthly", _("monthly")


class ReportType(Named):
    """What is reported, how often, by when. Deadline and closing are local times of the reporting
    unit, on the period's last day plus an offset in days (a daily report due at 10:00 the same day:
    offset 0; a weekly report due Monday noon: offset 1)."""

    code = models.SlugField(max_length=40, unique=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="types")
    period = models.CharField(max_length=8, choices=Period.choices, default=Period.DAILY)
    deadline_time = models.TimeField()
    deadline_offset_days = models.PositiveSmallIntegerField(default=0)
    closing_time = models.TimeField()
    closing_offset_days = models.PositiveSmallIntegerField(default=1)
    # Rules across fields, each "field op field-or-number", e.g. "on_site <= headcount".
    rules = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category__order", "code"]

    def ordered_fields(self) -> list[Field]:
        return list(self.fields.order_by("order", "pk"))


class Field(models.Model):
    class Kind(models.TextChoices):
        INTEGER = "integer", _("integer")
        DECIMAL = "decimal", _("decimal")
        PERCENTAGE = "percentage", _("percentage")
        CHOICE = "choice", _("choice")
        TEXT = "text", _("text")

    class Rollup(models.TextChoices):
        SUM = "sum", _("sum")
        MAX = "max", _("maximum")
        NONE = "none", _("none")

    class Binding(models.TextChoices):
        NONE = "", _("typed")
        EXPECTED = "expected", _("headcount expected")
        CHECKED_IN = "checked_in", _("checked in")
        ABNORMAL = "abnormal", _("abnormal")
        EXEMPT = "exempt", _("exempt")
        OPEN_ITEMS = "open_items", _("open ledger items")

    report_type = models.ForeignKey(ReportType, on_delete=models.CASCADE, related_name="fields")
    code = models.SlugField(max_length=40)
    label_zh = models.CharField(max_length=100)
    label_en = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.INTEGER)
    required = models.BooleanField(default=False)
    min_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    max_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    choices = models.JSONField(default=list, blank=True)  # for kind choice: list of option codes
    rollup = models.CharField(max_length=4, choices=Rollup.choices, default=Rollup.SUM)
    # Bound to person data: computed from the health cards at submission, shown, never typed.
    binding = models.CharField(max_length=12, choices=Binding.choices, blank=True, default="")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["report_type", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["report_type", "code"], name="reports_field_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.report_type.code}.{self.code}"

    @property
    def label(self) -> str:
        return self.label_zh if _zh() else (self.label_en or self.label_zh)

    @property
    def numeric(self) -> bool:
        return self.kind in (self.Kind.INTEGER, self.Kind.DECIMAL, self.Kind.PERCENTAGE)


class Assignment(models.Model):
    """Which units must report a type, effective-dated [start, end): every unit of a kind (optionally
    under a unit), or one explicit unit. `include=False` on an explicit unit excludes it for the span
    (a unit closed mid-month). A unit is expected for a period when an assignment is in force on the
    period's last day and no exclusion is."""

    report_type = models.ForeignKey(ReportType, on_delete=models.CASCADE, related_name="assignments")
    unit_kind = models.CharField(max_length=10, choices=Unit.Kind.choices, blank=True)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    under = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    include = models.BooleanField(default=True)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(unit__isnull=True) & ~Q(unit_kind=""))
                | (Q(unit__isnull=False) & Q(unit_kind="")),
                name="reports_assignment_kind_xor_unit",
            ),
            models.CheckConstraint(
                condition=Q(include=True) | Q(unit__isnull=False), name="reports_exclusion_names_a_unit"
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=models.F("start")), name="reports_assignment_span"
            ),
        ]

    def __str__(self) -> str:
        who = self.unit.code if self.unit else self.unit_kind
        return f"{self.report_type.code} {'+' if self.include else '-'}{who} {self.start}..{self.end or ''}"


class UnitReport(models.Model):
    class State(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        ACCEPTED = "accepted", _("accepted")
        RETURNED = "returned", _("returned for correction")

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="reports")
    report_type = models.ForeignKey(ReportType, on_delete=models.PROTECT, related_name="reports")
    period_start = models.DateField()
    period_end = models.DateField()
    zero = models.BooleanField(default=False)
    values = models.JSONField(default=dict, blank=True)
    computed = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.SUBMITTED)
    # First submission decides lateness; corrections after a return do not make it late.
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    late = models.BooleanField(default=False)
    revision = models.PositiveSmallIntegerField(default=1)
    updated_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.CharField(max_length=150, blank=True)
    review_comment = models.CharField(max_length=500, blank=True)
    # A zero epidemic report that a later abnormal check-in contradicts.
    flagged = models.BooleanField(default=False)
    flagged_at = models.DateTimeField(null=True, blank=True)
    flag_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["period_start", "unit__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "report_type", "period_start"], name="reports_one_report_per_period"
            ),
            models.CheckConstraint(condition=~Q(zero=True) | Q(values={}), name="reports_zero_has_no_values"),
        ]
        indexes = [
            models.Index(fields=["report_type", "period_start"], name="reports_type_period_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.unit.code} {self.report_type.code} {self.period_start}"

    @property
    def counted(self) -> bool:
        """Counted as submitted: a returned report is owed again until resubmitted."""
        return self.state != self.State.RETURNED


class ReportEvent(models.Model):
    """History of a report: submitted, resubmitted, accepted, returned, flagged."""

    report = models.ForeignKey(UnitReport, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=12)
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    comment = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.type} {self.at:%Y-%m-%d %H:%M}"


class Excuse(models.Model):
    """The level above excuses a unit from one period's report (it then counts neither way)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    report_type = models.ForeignKey(ReportType, on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField()
    reason = models.CharField(max_length=200)
    by = models.CharField(max_length=150)
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "report_type", "period_start"], name="reports_excuse_unique"
            )
        ]

    def __str__(self) -> str:
        return f"excused {self.unit_id} {self.period_start}"


class Unlock(models.Model):
    """An exception granted by the level above: submitting after closing is allowed until `until`."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    report_type = models.ForeignKey(ReportType, on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField()
    until = models.DateTimeField()
    reason = models.CharField(max_length=200)
    by = models.CharField(max_length=150)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"unlock {self.unit_id} {self.period_start} until {self.until}"


class DayLock(models.Model):
    """One row per (enterprise, day) that a zero epidemic report and an abnormal check-in both lock,
    so that they cannot both stand unflagged (see receivers.py and actions.submit_report)."""

    enterprise = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enterprise", "day"], name="reports_daylock_unique")]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.day}"
