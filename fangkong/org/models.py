"""The org tree (units), regions, the effective-dated roster, role grants and API tokens."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangkong.lib.identity import mask_id_number, mask_mobile
from fangkong.privacy.fields import EncryptedField, KeyedHashField

PATH_SEP = "/"


class Region(models.Model):
    """A GB/T 2260 division (6-digit code) or an ISO 3166 country (2 letters) for overseas units."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("province")
        CITY = "city", _("city")
        COUNTY = "county", _("county")
        COUNTRY = "country", _("country")

    code = models.CharField(max_length=6, primary_key=True)
    name = models.CharField(max_length=64)
    name_en = models.CharField(max_length=64, blank=True)
    level = models.CharField(max_length=8, choices=Level.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Unit(models.Model):
    """A node of the org tree.

    `path` is a materialized path of ancestor ids ("/1/7/42/"), so a subtree is one indexed prefix
    query on SQLite and PostgreSQL alike. `enterprise` points to the enterprise a grid belongs to
    (itself for an enterprise), because the enterprise is the boundary of most data.
    """

    class Kind(models.TextChoices):
        GROUP = "group", _("group")
        SEGMENT = "segment", _("segment")
        ENTERPRISE = "enterprise", _("enterprise")
        GRID = "grid", _("grid")

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=128)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, db_index=False)
    depth = models.PositiveSmallIntegerField(default=0)
    enterprise = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=True
    )
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="units")
    timezone = models.CharField(max_length=64, default="Asia/Shanghai")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["path"]
        indexes = [
            models.Index(fields=["path"], name="unit_path_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["kind", "path"], name="unit_kind_path_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="group", parent__isnull=True) | Q(parent__isnull=False),
                name="unit_only_group_is_root",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip(PATH_SEP).split(PATH_SEP) if p and int(p) != self.pk]

    def subtree(self) -> models.QuerySet[Unit]:
        return Unit.objects.filter(path__startswith=self.path)

    def is_within(self, other: Unit) -> bool:
        return self.path.startswith(other.path)


class Person(models.Model):
    """An employee of the group. ID number and mobile are sensitive: use the masked properties.

    Both are encrypted at rest (privacy/fields.py): `person.id_number` reads the plain value, the
    column holds ciphertext. Look them up, and keep ID numbers unique, through the keyed hashes:
    `Person.objects.filter(id_number_hash=keyed_hash(value))`.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        LEFT = "left", _("left")

    employee_no = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=64)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="people")
    enterprise = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    id_number = EncryptedField(blank=True)
    mobile = EncryptedField(blank=True)
    id_number_hash = KeyedHashField(source="id_number")
    mobile_hash = KeyedHashField(source="mobile", db_index=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    joined_on = models.DateField()
    left_on = models.DateField(null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["employee_no"]
        indexes = [
            models.Index(fields=["unit", "status"], name="person_unit_status_idx"),
            models.Index(fields=["enterprise", "status"], name="person_ent_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hash"], condition=~Q(id_number_hash=""), name="person_id_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee_no} {self.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """A save limited to `update_fields` that names an encrypted field also writes its hash."""
        fields = kwargs.get("update_fields")
        if fields is not None:
            hashes = [f"{f}_hash" for f in fields if f in ("id_number", "mobile")]
            kwargs["update_fields"] = {*fields, *hashes}
        super().save(*args, **kwargs)

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def mobile_masked(self) -> str:
        return mask_mobile(self.mobile)


class Membership(models.Model):
    """A person's placement on a unit from `start` (inclusive) to `end` (exclusive, open if null).

    Joining opens one, a transfer closes the current one and opens another, leaving closes it:
    "who was expected on day D" is the memberships covering D.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="memberships")
    start = models.DateField()
    end = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["person_id", "start"]
        indexes = [
            models.Index(fields=["unit", "start"], name="membership_unit_start_idx"),
            # Placements closed after a day: who has moved since (checkins.rollup.missing_page).
            models.Index(fields=["end"], condition=Q(end__isnull=False), name="membership_closed_end_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=models.F("start")),
                name="membership_end_after_start",
            ),
            models.UniqueConstraint(
                fields=["person"], condition=Q(end__isnull=True), name="membership_one_open_per_person"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.unit_id} {self.start}..{self.end or ''}"


class Role(models.TextChoices):
    GROUP_ADMIN = "group_admin", _("group admin")
    SEGMENT_ADMIN = "segment_admin", _("segment admin")
    ENTERPRISE_ADMIN = "enterprise_admin", _("enterprise admin")
    # Reads the access log of personal data (privacy app) and nothing else: separation of duties.
    DATA_PROTECTION = "data_protection", _("data-protection officer")
    GRID_LEADER = "grid_leader", _("grid leader")
    TRACKER = "tracker", _("tracker")
    INSPECTOR = "inspector", _("inspector")
    EMPLOYEE = "employee", _("employee")


class RoleGrant(models.Model):
    """A role granted on a unit; it reaches the unit's whole subtree (see org/access.py)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(max_length=20, choices=Role.choices)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="grants")
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role", "unit"], name="grant_unique")]

    def __str__(self) -> str:
        return f"{self.user} {self.role} @ {self.unit.code}"


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 is stored; revoking sets `revoked_at`."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    label = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"
