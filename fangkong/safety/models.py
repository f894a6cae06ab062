"""Safety and environment (安全环保): incidents, report-time limits, inspection plans, visits, findings.

Follow-up work (an incident's investigation and corrective actions, a finding's rectification) is
not stored here: it is ledger items (fangkong.ledger), linked by their `key` ("incident:<uid>:…",
"finding:<uid>"), so it is owned, due, escalated and closed out like every other item.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from fangkong.ledger.models import Item
from fangkong.org.models import Unit


class IncidentKind(models.TextChoices):
    INJURY_FATAL = "injury_fatal", _("work injury: fatality")
    INJURY_SERIOUS = "injury_serious", _("work injury: serious injury")
    INJURY_MINOR = "injury_minor", _("work injury: minor injury")
    ENV_I = "env_1", _("environmental emergency: grade I (particularly serious)")
    ENV_II = "env_2", _("environmental emergency: grade II (serious)")
    ENV_III = "env_3", _("environmental emergency: grade III (major)")
    ENV_IV = "env_4", _("environmental emergency: grade IV (general)")
    FIRE = "fire", _("fire")
    OTHER = "other", _("other")


# Serious: what the group must hear of at once and what "days without a serious incident" counts.
SERIOUS_KINDS = frozenset(
    {
        IncidentKind.INJURY_FATAL,
        IncidentKind.INJURY_SERIOUS,
        IncidentKind.ENV_I,
        IncidentKind.ENV_II,
        IncidentKind.ENV_III,
        IncidentKind.ENV_IV,
    }
)
INJURY_KINDS = frozenset({IncidentKind.INJURY_FATAL, IncidentKind.INJURY_SERIOUS, IncidentKind.INJURY_MINOR})
ENV_KINDS = frozenset({IncidentKind.ENV_I, IncidentKind.ENV_II, IncidentKind.ENV_III, IncidentKind.ENV_IV})

# Report-time limits when no ReportLimit applies (minutes after the occurrence).
DEFAULT_SERIOUS_MINUTES = 60
DEFAULT_OTHER_MINUTES = 24 * 60


class ReportLimit(models.Model):
    """How soon after it happened an incident must be reported, set on a unit (normally the group).

    The nearest unit at or above the incident's unit that has a row decides; none: the defaults."""

    unit = models.OneToOneField(Unit, on_delete=models.PROTECT, related_name="incident_report_limit")
    serious_minutes = models.PositiveIntegerField(default=DEFAULT_SERIOUS_MINUTES)
    other_minutes = models.PositiveIntegerField(default=DEFAULT_OTHER_MINUTES)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(serious_minutes__gt=0) & Q(other_minutes__gt=0), name="safety_limit_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit.code}: {self.serious_minutes} / {self.other_minutes} min"


class Incident(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=16, choices=IncidentKind.choices)
    serious = models.BooleanField()  # derived from kind when reported (SERIOUS_KINDS)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="incidents")
    enterprise = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="enterprise_incidents")
    occurred_at = models.DateTimeField()
    # The local date in the enterprise's zone: months and "days without" are counted in local days.
    occurred_on = models.DateField()
    reported_at = models.DateTimeField()
    place = models.CharField(max_length=200)
    description = models.TextField(max_length=4000)
    people_affected = models.PositiveIntegerField(default=0)
    immediate_actions = models.TextField(max_length=4000, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The limit in force when reported, so that a later change of the limit never rewrites history.
    limit_minutes = models.PositiveIntegerField()
    late = models.BooleanField()

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reported_at__gte=models.F("occurred_at")), name="safety_reported_after_occurred"
            )
        ]
        indexes = [
            models.Index(fields=["unit", "occurred_on"], name="safety_incident_unit_idx"),
            models.Index(fields=["enterprise", "serious", "occurred_on"], name="safety_incident_ent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.unit.code} {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def ledger_prefix(self) -> str:
        return f"incident:{self.uid}:"


class InspectionPlan(models.Model):
    """A supervision campaign (督查计划): a period, the units to visit, the inspectors who go."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="inspection_plans")
    title = models.CharField(max_length=200)
    starts_on = models.DateField()
    ends_on = models.DateField()
    units = models.ManyToManyField(Unit, related_name="+")
    inspectors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="safety_plan_period")
        ]

    def __str__(self) -> str:
        return self.title


class Visit(models.Model):
    """An inspector's visit to a unit (or an admin's self-inspection, 自查), with its checklist."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(
        InspectionPlan, null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="inspection_visits")
    enterprise = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # False: recorded by an inspector; True: recorded by an admin of the unit itself (自查).
    self_inspection = models.BooleanField(default=False)
    visited_at = models.DateTimeField()
    summary = models.TextField(max_length=4000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-visited_at", "-pk"]
        indexes = [models.Index(fields=["unit", "visited_at"], name="safety_visit_unit_idx")]

    def __str__(self) -> str:
        return f"{self.unit.code} {self.visited_at:%Y-%m-%d}"


class CheckResult(models.TextChoices):
    OK = "ok", _("in order")
    ISSUE = "issue", _("issue found")
    NA = "na", _("not applicable")


class ChecklistEntry(models.Model):
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="checklist")
    aspect = models.CharField(max_length=40)
    result = models.CharField(max_length=8, choices=CheckResult.choices)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "aspect"], name="safety_one_entry_per_aspect")
        ]

    def __str__(self) -> str:
        return f"{self.aspect}: {self.result}"


class Finding(models.Model):
    """Something a visit found that must be rectified by a deadline: its ledger item follows it."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="findings")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="inspection_findings")
    aspect = models.CharField(max_length=40, blank=True)
    description = models.TextField(max_length=4000)
    deadline = models.DateTimeField()
    item = models.OneToOneField(Item, on_delete=models.PROTECT, related_name="finding")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deadline", "pk"]

    def __str__(self) -> str:
        return self.description[:60]


class Recheck(models.Model):
    """A re-inspection of a finding: resolved closes its ledger item; not resolved keeps it open."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="rechecks")
    inspector = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    resolved = models.BooleanField()
    note = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.finding_id} {'resolved' if self.resolved else 'not resolved'}"


class AttachmentStorage(FileSystemStorage):
    """MEDIA_ROOT when the settings have one, else var/media under FANGKONG_VAR_DIR. Read at use
    time (and again when a test overrides MEDIA_ROOT). Files are served only by a scoped view."""

    @cached_property
    def base_location(self) -> str:
        return self._value_or_setting(getattr(self, "_location", None), settings.MEDIA_ROOT) or str(
            Path(settings.VAR_DIR) / "media"
        )


def attachment_storage() -> Storage:
    return AttachmentStorage(base_url=None)


class Attachment(models.Model):
    """A photo or file of a finding (evidence), or of its re-inspection."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="attachments")
    recheck = models.ForeignKey(
        Recheck, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to="safety/%Y/%m/", storage=attachment_storage, max_length=200)
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.CharField(max_length=150)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
