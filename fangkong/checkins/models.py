"""Health check-ins, the versioned health-card rules, exemptions and per-unit day counters."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangkong.org.models import Person, Unit


class Card(models.TextChoices):
    GREEN = "green", _("green")
    YELLOW = "yellow", _("yellow")
    RED = "red", _("red")


class Where(models.TextChoices):
    ON_SITE = "on_site", _("on site")
    REMOTE = "remote", _("remote")
    LEAVE = "leave", _("on leave")
    ISOLATED = "isolated", _("isolated")


class Source(models.TextChoices):
    SELF = "self", _("self")
    PROXY = "proxy", _("proxy")
    DEVICE = "device", _("device")
    IMPORT = "import", _("import")


SYMPTOMS: dict[str, Any] = {
    "fever": _("fever"),
    "cough": _("cough"),
    "fatigue": _("fatigue"),
    "sore_throat": _("sore throat"),
    "short_breath": _("shortness of breath"),
    "loss_of_smell": _("loss of smell or taste"),
    "diarrhea": _("diarrhoea"),
    "muscle_ache": _("muscle ache"),
    "other": _("other symptom"),
}


class RuleSet(models.Model):
    """A version of the health-card rules. The newest version is in force; old ones stay for history."""

    version = models.PositiveIntegerField(unique=True)
    fever_at = models.DecimalField(max_digits=3, decimal_places=1, default=Decimal("37.3"))
    symptom_is_red = models.BooleanField(default=True)
    contact_is_yellow = models.BooleanField(default=True)
    # Region codes (or prefixes: "42" is Hubei) whose visit within 14 days makes a card yellow.
    risk_regions = models.JSONField(default=list, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.CharField(max_length=150, default="system")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"rules v{self.version}"


class CheckIn(models.Model):
    """One submitted check-in. The client's UUID is the primary key, which makes replays idempotent.

    A person has at most one *current* check-in per business day (database constraint); a later
    one that day is an amendment with the next `version`, and the earlier one stops being current.
    """

    id = models.UUIDField(primary_key=True)
    # No single-column indexes for person, unit and enterprise: checkin_version_unique (person, day,
    # …), checkin_unit_day_idx (unit, day) and checkin_ent_day_card_idx (enterprise, day, …) lead with
    # them and serve every look-up and key check; each index is one more random page a check-in
    # writes at the morning peak.
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="checkins", db_index=False)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", db_index=False)
    enterprise = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", db_index=False)
    day = models.DateField()
    version = models.PositiveSmallIntegerField(default=1)
    current = models.BooleanField(default=True)
    # False once the person is no longer on the roster that day (left): kept, but not counted.
    counted = models.BooleanField(default=True)
    temperature = models.DecimalField(max_digits=3, decimal_places=1)
    symptoms = models.JSONField(default=list, blank=True)
    where = models.CharField(max_length=8, choices=Where.choices, default=Where.ON_SITE)
    location = models.CharField(max_length=6, blank=True)
    visited = models.JSONField(default=list, blank=True)
    contact = models.BooleanField(default=False)
    note = models.CharField(max_length=500, blank=True)
    captured_at = models.DateTimeField()
    received_at = models.DateTimeField()
    late = models.BooleanField(default=False)
    source = models.CharField(max_length=6, choices=Source.choices)
    # Indexed only where set (checkin_submitter_idx): a person's own check-in names no submitter.
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    # Indexed only where set (checkin_device_idx): most check-ins come from phones, not devices.
    device = models.ForeignKey(
        "Device", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    card = models.CharField(max_length=6, choices=Card.choices)
    card_reasons = models.JSONField(default=list, blank=True)
    rule_version = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "day"], condition=Q(current=True), name="checkin_one_current_per_person_day"
            ),
            models.UniqueConstraint(fields=["person", "day", "version"], name="checkin_version_unique"),
            models.CheckConstraint(
                condition=Q(temperature__gte=Decimal("34.0"), temperature__lte=Decimal("43.0")),
                name="checkin_temperature_range",
            ),
        ]
        indexes = [
            # Not partial (all versions): it is also the index of the unit's foreign key.
            models.Index(fields=["unit", "day"], name="checkin_unit_day_idx"),
            models.Index(fields=["enterprise", "day", "card"], name="checkin_ent_day_card_idx"),
            models.Index(fields=["device"], name="checkin_device_idx", condition=Q(device__isnull=False)),
            models.Index(
                fields=["submitted_by"], name="checkin_submitter_idx", condition=Q(submitted_by__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.day} v{self.version} {self.card}"


class Exemption(models.Model):
    """A person not expected to check in from `start` to `end` (inclusive): leave, trip, off shift."""

    class Reason(models.TextChoices):
        LEAVE = "leave", _("leave")
        BUSINESS_TRIP = "business_trip", _("business trip")
        OFF_SHIFT = "off_shift", _("off shift")
        OTHER = "other", _("other")

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="exemptions")
    start = models.DateField()
    end = models.DateField()
    reason = models.CharField(max_length=16, choices=Reason.choices)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="exemption_end_after_start")
        ]
        indexes = [models.Index(fields=["start", "end"], name="exemption_span_idx")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.reason} {self.start}..{self.end}"


class UnitDay(models.Model):
    """Counters of one unit (where people sit: a grid or an enterprise) for one business day.

    Kept in the same transaction as each check-in; a roll-up sums them over a subtree at read time,
    so no row is shared by the whole group.
    """

    # The unique (unit, day) index serves the key: a second index on the unit alone would only be
    # one more index to write on every counter update.
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    # People placed on the unit that day (memberships covering it): counted when the row is made,
    # then moved by every roster change (org.signals.headcount_changed).
    expected = models.IntegerField(default=0)
    checked_in = models.IntegerField(default=0)
    red = models.IntegerField(default=0)
    yellow = models.IntegerField(default=0)
    # Counted check-ins saying the person is on site that day (return to work: controls.operations).
    on_site = models.IntegerField(default=0)
    # People placed on the unit that day with an exemption covering it who have not checked in:
    # recounted (rollup.recount_exempt) whenever an exemption or a placement changes. A person's first
    # check-in of the day takes the person off it (the batch and the single statement subtract one;
    # the transaction path recounts).
    exempt = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "day"], name="unitday_unique")]
        indexes = [models.Index(fields=["day", "unit"], name="unitday_day_unit_idx")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.day}: {self.checked_in}"


class OpenDay(models.Model):
    """A business day whose UnitDay rows exist for every unit with people (see rollup.open_day)."""

    day = models.DateField(unique=True)
    opened_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.day} open"


class Device(models.Model):
    """A kiosk or gate thermometer: its token may only post check-ins for its enterprise."""

    enterprise = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="devices")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.enterprise.code})"


class PersonalLink(models.Model):
    """The signed personal link with which an employee opens the H5 check-in page without a password.

    The link carries (person, generation) signed with SECRET_KEY; revoking bumps `generation`, so
    every link issued before stops working at once.
    """

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="checkin_link")
    generation = models.PositiveIntegerField(default=1)
    issued_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"link of {self.person_id} (gen {self.generation})"


class CardOverride(models.Model):
    """An enterprise prevention officer set a check-in's card by hand (checkins.overrides).

    The check-in's `card` holds the overridden colour (so every list, count and answer shows it);
    this row keeps the card and reasons it had before, who decided, when and why. The newest row of
    a check-in is the one in force; a later amendment that day is evaluated afresh by the rules.
    """

    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="overrides")
    card_before = models.CharField(max_length=6, choices=Card.choices)
    reasons_before = models.JSONField(default=list, blank=True)
    card = models.CharField(max_length=6, choices=Card.choices)
    reason = models.CharField(max_length=500)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    by_name = models.CharField(max_length=150)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["checkin", "-at"], name="cardoverride_checkin_idx")]

    def __str__(self) -> str:
        return f"{self.checkin_id}: {self.card_before} -> {self.card}"
