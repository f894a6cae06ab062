"""Projects abroad (境外项目): staff, versioned emergency plans, drills."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangkong.org.models import Person, Region, Unit


class Project(models.Model):
    """A project abroad, run by an enterprise of the group, in one country."""

    class Status(models.TextChoices):
        PREPARING = "preparing", _("preparing")
        ACTIVE = "active", _("under construction / operating")
        SUSPENDED = "suspended", _("suspended")
        EVACUATED = "evacuated", _("staff evacuated")
        COMPLETED = "completed", _("completed")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=128)
    enterprise = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="overseas_projects")
    country = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    city = models.CharField(max_length=64, blank=True)
    timezone = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    staff_cn = models.PositiveIntegerField(default=0)
    staff_local = models.PositiveIntegerField(default=0)
    # Who answers for the project: its plan activations are this person's ledger items.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["enterprise_id", "name"]
        indexes = [
            models.Index(fields=["country", "status"], name="overseas_country_status_idx"),
            models.Index(fields=["enterprise"], name="overseas_enterprise_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def staff_total(self) -> int:
        return self.staff_cn + self.staff_local


LIVE_STATUSES = (Project.Status.PREPARING, Project.Status.ACTIVE, Project.Status.SUSPENDED)


class StaffMember(models.Model):
    """A named person on a project (optional: the counts on the project are what is reported)."""

    class Origin(models.TextChoices):
        CHINESE = "cn", _("Chinese staff")
        LOCAL = "local", _("local staff")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="staff")
    name = models.CharField(max_length=64)
    origin = models.CharField(max_length=6, choices=Origin.choices)
    role = models.CharField(max_length=64, blank=True)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["origin", "name"]

    def __str__(self) -> str:
        return self.name


class PlanVersion(models.Model):
    """One version of a project's emergency plan (应急预案): text, a file, or both. Versions are kept."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="plans")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=128)
    text = models.TextField(blank=True)
    # The file is kept in the database, so it is served only through the scoped view.
    file_name = models.CharField(max_length=128, blank=True)
    file_type = models.CharField(max_length=100, blank=True)
    file_data = models.BinaryField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["project_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["project", "version"], name="overseas_plan_version_unique"),
            models.CheckConstraint(
                condition=~Q(text="") | ~Q(file_name=""), name="overseas_plan_has_content"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class Drill(models.Model):
    """An emergency drill (应急演练) of a project: when, what was practised, what was found."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="drills")
    day = models.DateField()
    scenario = models.CharField(max_length=128)
    participants = models.PositiveIntegerField(default=0)
    findings = models.TextField(blank=True)
    plan_version = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["project_id", "-day", "-pk"]

    def __str__(self) -> str:
        return f"{self.scenario} {self.day}"
