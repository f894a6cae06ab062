"""Region risk levels, the control policy, per-enterprise control plans, re-screening, operating status.

Everything that changes over time is a row with the date it takes effect from: "what applied on day D"
is the newest row dated on or before D, never a field overwritten in place.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from fangkong.org.models import Person, Region, Unit


class Level(models.TextChoices):
    LOW = "low", _("low")
    MEDIUM = "medium", _("medium")
    HIGH = "high", _("high")


RANK = {Level.LOW: 0, Level.MEDIUM: 1, Level.HIGH: 2}


class Aspect(models.TextChoices):
    """The 15 control aspects (fixed; the measures under them are the editable policy)."""

    ENTRY = "entry", _("Entry screening and temperature checks")
    MASKS = "masks", _("Masks and protective equipment")
    CANTEEN = "canteen", _("Canteens")
    DORMITORY = "dormitory", _("Dormitories")
    SHUTTLE = "shuttle", _("Shuttle transport")
    MEETINGS = "meetings", _("Meetings and gatherings")
    VISITORS = "visitors", _("Visitors and contractors")
    CLEANING = "cleaning", _("Cleaning and disinfection")
    ISOLATION = "isolation", _("Isolation rooms")
    SUPPLIES = "supplies", _("Supply reserves")
    EMERGENCY = "emergency", _("Emergency plans and drills")
    TRAVEL = "travel", _("Travel approval")
    CROSS_REGION = "cross_region", _("Cross-region personnel")
    REPORTING = "reporting", _("Information reporting")
    HEALTH = "health", _("Health monitoring")


class EvidenceStorage(FileSystemStorage):
    """Evidence files under MEDIA_ROOT when the project sets one, else under var/media (read lazily,
    so tests and deployments can point it elsewhere)."""

    @cached_property
    def base_location(self) -> str:  # type: ignore[override]
        root = getattr(settings, "MEDIA_ROOT", "") or Path(settings.VAR_DIR) / "media"
        return str(root)

    @cached_property
    def location(self) -> str:  # type: ignore[override]
        return os.path.abspath(self.base_location)


def evidence_storage() -> FileSystemStorage:
    return EvidenceStorage()


class RiskLevel(models.Model):
    """A region's level from `effective_from` on, until a later row for the same region."""

    class Source(models.TextChoices):
        WEB = "web", _("web")
        API = "api", _("API")
        IMPORT = "import", _("import")

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=6, choices=Level.choices)
    effective_from = models.DateField()
    source = models.CharField(max_length=6, choices=Source.choices)
    set_by = models.CharField(max_length=150)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["region_id", "-effective_from", "-pk"]
        indexes = [models.Index(fields=["region", "effective_from"], name="risk_region_from_idx")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.level} from {self.effective_from}"


class Override(models.Model):
    """A manual level for one enterprise from `starts_on` to `expires_on` (both inclusive).

    It lapses by date: every reader compares the day with `expires_on`, no job has to run."""

    enterprise = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=6, choices=Level.choices)
    reason = models.CharField(max_length=200)
    starts_on = models.DateField()
    expires_on = models.DateField()
    cancelled_on = models.DateField(null=True, blank=True)
    set_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__gte=models.F("starts_on")), name="override_expires_after_start"
            )
        ]
        indexes = [models.Index(fields=["enterprise", "starts_on"], name="override_ent_start_idx")]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.level} {self.starts_on}..{self.expires_on}"


class PolicyVersion(models.Model):
    """A published version of the measures; the newest one dated on or before a day is in force."""

    version = models.PositiveIntegerField(unique=True)
    effective_from = models.DateField()
    attest_hours = models.PositiveIntegerField(default=48)
    note = models.CharField(max_length=200, blank=True)
    published_by = models.CharField(max_length=150, default="system")
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"policy v{self.version}"


class Measure(models.Model):
    """One measure of one aspect, required at `min_level` and above."""

    policy = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="measures")
    aspect = models.CharField(max_length=16, choices=Aspect.choices)
    code = models.CharField(max_length=40)
    text = models.CharField(max_length=200)
    text_en = models.CharField(max_length=200, blank=True)
    min_level = models.CharField(max_length=6, choices=Level.choices)

    class Meta:
        ordering = ["policy_id", "pk"]
        constraints = [models.UniqueConstraint(fields=["policy", "code"], name="measure_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} ({self.min_level})"

    @property
    def label(self) -> str:
        """The text in the reader's language (Chinese is the reference text)."""
        if (get_language() or "").lower().startswith("en") and self.text_en:
            return self.text_en
        return self.text

    def required_at(self, level: str) -> bool:
        return RANK[Level(self.min_level)] <= RANK[Level(level)]


class ControlPlan(models.Model):
    """A version of one enterprise's plan: the measures its level required under a policy version."""

    class Reason(models.TextChoices):
        INITIAL = "initial", _("first plan")
        LEVEL = "level", _("risk level changed")
        POLICY = "policy", _("policy changed")

    enterprise = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    current = models.BooleanField(default=True)
    level = models.CharField(max_length=6, choices=Level.choices)
    # Why this level: "override", "default", or "region:<code>" (the region whose level applied).
    source = models.CharField(max_length=20)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    policy = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    effective_from = models.DateField()
    reason = models.CharField(max_length=8, choices=Reason.choices)
    added = models.JSONField(default=list, blank=True)
    relaxed = models.JSONField(default=list, blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["enterprise_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "version"], name="plan_version_unique"),
            models.UniqueConstraint(
                fields=["enterprise"], condition=Q(current=True), name="plan_one_current_per_enterprise"
            ),
        ]
        indexes = [models.Index(fields=["enterprise", "effective_from"], name="plan_ent_from_idx")]

    def __str__(self) -> str:
        return f"{self.enterprise_id} plan v{self.version} ({self.level})"


class PlanMeasure(models.Model):
    """A measure of a plan version and its attestation by the enterprise."""

    class State(models.TextChoices):
        PENDING = "pending", _("to attest")
        DONE = "done", _("done")
        NOT_APPLICABLE = "not_applicable", _("not applicable")

    plan = models.ForeignKey(ControlPlan, on_delete=models.CASCADE, related_name="measures")
    measure = models.ForeignKey(Measure, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    note = models.CharField(max_length=300, blank=True)
    evidence = models.FileField(upload_to="controls/evidence/%Y/%m/", storage=evidence_storage, blank=True)
    attested_by = models.CharField(max_length=150, blank=True)
    attested_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField()

    class Meta:
        ordering = ["plan_id", "measure_id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "measure"], name="plan_measure_unique"),
            models.CheckConstraint(
                condition=~Q(state="not_applicable") | ~Q(note=""), name="plan_measure_na_needs_reason"
            ),
        ]
        indexes = [models.Index(fields=["state", "due_at"], name="plan_measure_state_due_idx")]

    def __str__(self) -> str:
        return f"{self.plan_id}/{self.measure_id} {self.state}"


class RescreenEntry(models.Model):
    """A person whose recent check-ins named a region that turned medium or high."""

    risk = models.ForeignKey(RiskLevel, on_delete=models.PROTECT, related_name="rescreens")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=6, choices=Level.choices)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    enterprise = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    # The check-ins that named the region: [{"id": uuid, "day": "YYYY-MM-DD", "code": region code}]
    checkins = models.JSONField(default=list)
    card = models.CharField(max_length=6, default="yellow")
    item = models.ForeignKey(
        "ledger.Item", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["enterprise_id", "person_id"]
        constraints = [models.UniqueConstraint(fields=["risk", "person"], name="rescreen_once_per_change")]
        indexes = [models.Index(fields=["enterprise", "created_at"], name="rescreen_ent_idx")]

    def __str__(self) -> str:
        return f"{self.person_id} after {self.region_id} {self.level}"


class OperatingStatus(models.Model):
    """An enterprise's operating status from `effective_from` on (复工状态)."""

    class Status(models.TextChoices):
        NORMAL = "normal", _("normal operation")
        RESUMED = "resumed", _("resumed")
        PARTIAL = "partial", _("partially resumed")
        SUSPENDED = "suspended", _("suspended")

    enterprise = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices)
    effective_from = models.DateField()
    reason = models.CharField(max_length=200, blank=True)
    set_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["enterprise_id", "-effective_from", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="suspended") | ~Q(reason=""), name="status_suspended_needs_reason"
            )
        ]
        indexes = [models.Index(fields=["enterprise", "effective_from"], name="status_ent_from_idx")]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.status} from {self.effective_from}"


# Statuses that count as "resumed" in the group's return-to-work rate (复工率).
RESUMED_STATUSES = (
    OperatingStatus.Status.NORMAL,
    OperatingStatus.Status.RESUMED,
    OperatingStatus.Status.PARTIAL,
)


class KeyProject(models.Model):
    """A key project of an enterprise and whether it keeps building (重点项目)."""

    class Status(models.TextChoices):
        BUILDING = "building", _("building")
        PAUSED = "paused", _("paused")
        RESUMED = "resumed", _("resumed")

    enterprise = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=120)
    investment = models.DecimalField(max_digits=14, decimal_places=2, help_text="10 000 CNY (万元)")
    status = models.CharField(max_length=10, choices=Status.choices)
    note = models.CharField(max_length=200, blank=True)
    updated_by = models.CharField(max_length=150)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["enterprise_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "name"], name="project_name_unique"),
            models.CheckConstraint(condition=Q(investment__gte=0), name="project_investment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.name}"
