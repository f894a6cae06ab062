"""The access log of personal data: who saw whose health detail or whereabouts, revealed an
identifier or exported personal data, when and why (PIPL art. 28 sensitive information)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AccessRecord(models.Model):
    """One access to personal data. Append-only: database triggers refuse UPDATE and DELETE.

    No foreign keys: the log outlives the people, units and accounts it names (it is kept longer than
    the data itself), so it stores their public identifiers. `unit_path` (the materialized path of the
    unit the data belongs to, org.Unit.path) scopes the log to a data-protection officer's subtree.
    """

    class Action(models.TextChoices):
        VIEW_HEALTH = "view_health", _("viewed health detail")
        VIEW_TRAJECTORY = "view_trajectory", _("viewed whereabouts")
        REVEAL = "reveal", _("revealed an identifier")
        EXPORT = "export", _("exported personal data")

    at = models.DateTimeField(default=timezone.now)
    actor_id = models.BigIntegerField(null=True, blank=True)  # auth user id (no FK: see above)
    actor = models.CharField(max_length=150)  # username at the time
    action = models.CharField(max_length=16, choices=Action.choices)
    employee_no = models.CharField(max_length=32, blank=True)  # the person whose data it was, if one
    unit_code = models.CharField(max_length=32, blank=True)
    unit_path = models.CharField(max_length=255, blank=True)
    what = models.CharField(max_length=255, blank=True)  # e.g. "ID number", "ledger item 1a2b…"
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["unit_path"], name="access_path_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["at"], name="access_at_idx"),
            models.Index(fields=["employee_no", "at"], name="access_person_at_idx"),
            models.Index(fields=["actor", "at"], name="access_actor_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.employee_no or self.unit_code}"
