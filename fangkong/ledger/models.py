"""The ledger (台账): every anomaly followed by a named owner until closed out, with typed events."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangkong.org.models import Person, Unit


class Kind(models.TextChoices):
    HEALTH_ANOMALY = "health_anomaly", _("health anomaly")
    PERSON_MISSING = "person_missing", _("person missing")
    REPORT_MISSING = "report_missing", _("unit report missing")
    INCIDENT = "incident", _("incident follow-up")
    INSPECTION_FINDING = "inspection_finding", _("inspection finding")
    SUPPLY_SHORTAGE = "supply_shortage", _("supply shortage")
    MEASURE_UNATTESTED = "measure_unattested", _("measure not attested")
    RISK_RESCREEN = "risk_rescreen", _("re-screening after a risk change")
    PLAN_ACTIVATION = "plan_activation", _("emergency plan activation")
    OTHER = "other", _("other")


class State(models.TextChoices):
    OPEN = "open", _("open")
    IN_PROGRESS = "in_progress", _("in progress")
    CLOSED = "closed", _("closed")


class CloseReason(models.TextChoices):
    RECOVERED = "recovered", _("recovered")
    TEST_NEGATIVE = "test_negative", _("test negative")
    FALSE_ALARM = "false_alarm", _("false alarm")
    LEFT_COMPANY = "left_company", _("left the company")
    RESOLVED = "resolved", _("resolved")
    OTHER = "other", _("other (explain)")


OPEN_STATES = (State.OPEN, State.IN_PROGRESS)

# Titles rendered in the reader's language (the stored `title` is the creator's language).
TITLES: dict[str, Any] = {
    Kind.HEALTH_ANOMALY: _("%(name)s (%(no)s): red card on %(day)s"),
    Kind.PERSON_MISSING: _("%(name)s (%(no)s): no check-in for %(n)d days up to %(day)s"),
}


class Item(models.Model):
    """One thing to follow. `key` deduplicates: one open item per key (e.g. one health item per person)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    key = models.CharField(max_length=100)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="ledger_items")
    enterprise = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_items"
    )
    title = models.CharField(max_length=200)
    # Sensitive detail (symptoms, temperature): shown to the enterprise's officers and the owner only.
    detail = models.JSONField(default=dict, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_items"
    )
    due_at = models.DateTimeField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    close_reason = models.CharField(max_length=16, choices=CloseReason.choices, blank=True)
    close_note = models.CharField(max_length=500, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "key"],
                condition=Q(state__in=["open", "in_progress"]),
                name="ledger_one_open_item_per_key",
            ),
            models.CheckConstraint(
                condition=Q(state="closed") | Q(close_reason=""), name="ledger_reason_only_when_closed"
            ),
            models.CheckConstraint(
                condition=~Q(state="closed") | ~Q(close_reason=""), name="ledger_closed_needs_reason"
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "state"], name="ledger_unit_state_idx"),
            # The open items alone, by unit: the group's roll-up counts them for every unit
            # (checkins.rollup); the (unit, state) index holds the closed ones too, most of the items.
            models.Index(fields=["unit"], name="ledger_open_unit_idx", condition=Q(state__in=OPEN_STATES)),
            models.Index(fields=["owner", "state", "due_at"], name="ledger_owner_state_idx"),
            models.Index(fields=["state", "due_at"], name="ledger_state_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def display_title(self) -> str:
        """The title in the reader's language where the kind has a template; else the stored one."""
        values = self._title_values()
        template = TITLES.get(self.kind)
        if template is None or values is None:
            return self.title
        return str(template) % values

    def _title_values(self) -> dict | None:
        if self.person is None:
            return None
        if self.kind == Kind.HEALTH_ANOMALY and "day" in self.detail:
            return {"name": self.person.name, "no": self.person.employee_no, "day": self.detail["day"]}
        days = self.detail.get("days")
        if self.kind == Kind.PERSON_MISSING and isinstance(days, list) and days:
            return {"name": self.person.name, "no": self.person.employee_no, "n": len(days), "day": days[-1]}
        return None


class Event(models.Model):
    """A typed step in an item's life; the item's history is these rows in order."""

    class Type(models.TextChoices):
        OPENED = "opened", _("opened")
        ASSIGNED = "assigned", _("assigned")
        STARTED = "started", _("started")
        FOLLOW_UP = "follow_up", _("follow-up")
        ESCALATED = "escalated", _("escalated")
        CLOSED = "closed", _("closed")
        REOPENED = "reopened", _("reopened")
        NOTE = "note", _("note")

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=10, choices=Type.choices)
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["item", "at"], name="ledger_event_item_at_idx")]

    def __str__(self) -> str:
        return f"{self.type} by {self.actor} at {self.at:%Y-%m-%d %H:%M}"
