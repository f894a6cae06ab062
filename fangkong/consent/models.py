"""The privacy notice (versioned), the group's legal basis for processing, and acceptances."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangkong.org.models import Person


class Basis(models.TextChoices):
    """Legal bases of PIPL art. 13(1) the group may process check-ins on."""

    CONSENT = "consent", _("consent of the person (PIPL art. 13(1)(1))")
    EMPLOYMENT = "employment", _("necessary for human-resources management (PIPL art. 13(1)(2))")
    PUBLIC_HEALTH_EMERGENCY = (
        "public_health_emergency",
        _("necessary to respond to a public health emergency (PIPL art. 13(1)(4))"),
    )


class Channel(models.TextChoices):
    H5 = "h5", _("check-in page")
    GENERATED = "generated", _("generated data")
    ADMIN = "admin", _("recorded by an administrator")


class Notice(models.Model):
    """One version of the privacy notice; the highest version is the current one."""

    version = models.PositiveIntegerField(unique=True)
    text_zh = models.TextField()
    text_en = models.TextField()
    published_at = models.DateTimeField()
    published_by = models.CharField(max_length=150)

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"privacy notice v{self.version}"


class LegalBasis(models.Model):
    """The group's basis for processing check-ins from `effective_from` on (newest row in force wins)."""

    basis = models.CharField(max_length=24, choices=Basis.choices)
    effective_from = models.DateField()
    reason = models.CharField(max_length=500)
    set_by = models.CharField(max_length=150)
    set_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["effective_from", "id"], name="legalbasis_effective_idx")]

    def __str__(self) -> str:
        return f"{self.basis} from {self.effective_from}"


class Acceptance(models.Model):
    """A person accepted (or, under another basis, only acknowledged) a notice version.

    Rows are history: a withdrawal stamps `withdrawn_at` on the person's standing rows, a renewed
    acceptance is a new row. A standing consenting row (withdrawn_at null, consented) of any version
    lets processing go on under the consent basis.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="acceptances")
    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField()
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # False: only read ("I have read it") while another basis was in force; never consent.
    consented = models.BooleanField(default=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            # Also the index of the check-in gate's Exists(person, standing) probe.
            models.UniqueConstraint(
                fields=["person", "notice"],
                condition=Q(withdrawn_at__isnull=True),
                name="acceptance_one_standing_per_notice",
            )
        ]

    def __str__(self) -> str:
        state = "withdrawn" if self.withdrawn_at else "standing"
        return f"{self.person_id} v{self.notice_id} {state}"
