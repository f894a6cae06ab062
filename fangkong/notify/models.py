"""Inbox messages, channels per unit, deliveries, schedules and the scheduler's run keys."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangkong.org.models import Unit


class Message(models.Model):
    """One in-app message to one user. `key` makes a run's message to a user unique (no repeats)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages")
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=300, blank=True)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=150, blank=True)
    sender = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], condition=~Q(key=""), name="notify_one_message_per_key"
            )
        ]
        indexes = [
            # The unread count in every page header: (user, read_at IS NULL).
            models.Index(fields=["user", "read_at"], name="notify_msg_user_read_idx"),
            models.Index(fields=["user", "-created_at"], name="notify_msg_user_created_idx"),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Channel(models.Model):
    """A way out of the app configured on a unit: e-mail for its people, or a group-chat robot."""

    class Kind(models.TextChoices):
        EMAIL = "email", _("e-mail")
        WECOM = "wecom", _("WeCom robot")
        DINGTALK = "dingtalk", _("DingTalk robot")
        FEISHU = "feishu", _("Feishu robot")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="notify_channels")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=100, blank=True)
    # The robot's webhook address (unused for e-mail).
    url = models.URLField(max_length=500, blank=True)
    # DingTalk / Feishu signing secret; never shown back in full.
    secret = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["unit__path", "kind", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind="email") | ~Q(url=""), name="notify_robot_needs_url"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name or self.unit.code}"

    @property
    def is_robot(self) -> bool:
        return self.kind != self.Kind.EMAIL


class Delivery(models.Model):
    """One attempt-tracked send on one channel: an e-mail to one user or one robot post."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        RETRYING = "retrying", _("retrying")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    channel = models.ForeignKey(Channel, null=True, on_delete=models.SET_NULL, related_name="deliveries")
    kind = models.CharField(max_length=10, choices=Channel.Kind.choices)
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    address = models.CharField(max_length=500)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=300, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="notify_delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.address}: {self.state}"


class Schedule(models.Model):
    """A job's local time set on a unit: the group's row is the default, an enterprise's overrides it."""

    job = models.CharField(max_length=80)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="notify_schedules")
    at = models.TimeField()
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["job", "unit__path"]
        constraints = [
            models.UniqueConstraint(fields=["job", "unit"], name="notify_one_schedule_per_job_unit")
        ]

    def __str__(self) -> str:
        return f"{self.job} @ {self.at:%H:%M} on {self.unit.code}"


class Run(models.Model):
    """A scheduled run claimed by one scheduler: the unique key makes 'exactly once' the database's job."""

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    key = models.CharField(max_length=200)
    job = models.CharField(max_length=80)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    due_at = models.DateTimeField()
    claimed_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    sent = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-due_at", "job"]
        constraints = [models.UniqueConstraint(fields=["key"], name="notify_run_key_unique")]
        indexes = [models.Index(fields=["day", "job"], name="notify_run_day_job_idx")]

    def __str__(self) -> str:
        return self.key
