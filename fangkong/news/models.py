"""The news column (防疫专栏): posts published to a unit's subtree, views, moderated comments."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fangkong.org.models import Unit

from . import categories


class Post(models.Model):
    """A post by a unit, for the people of its subtree. `body` is Markdown, rendered safely."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="news_posts")
    title = models.CharField(max_length=120)
    body = models.TextField()
    category = models.CharField(max_length=32)  # a code of news/data/categories.csv
    # The cover image lives in the database so that it is served only through the scoped view.
    cover_type = models.CharField(max_length=32, blank=True)
    cover_data = models.BinaryField(null=True, blank=True, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField()
    views = models.PositiveIntegerField(default=0)  # = its PostView rows, kept with F() on each new view

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["unit", "published_at"], name="news_post_unit_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def category_label(self) -> str:
        return categories.label(self.category)

    @property
    def has_cover(self) -> bool:
        return bool(self.cover_type)


class PostView(models.Model):
    """One reader has seen one post: a reload adds nothing (the database refuses a second row)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="news_one_view_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.post_id}"


class Comment(models.Model):
    """A signed-in reader's comment; shown to others once the publishing unit's admins approve it."""

    class State(models.TextChoices):
        PENDING = "pending", _("awaiting moderation")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.TextField(max_length=1000)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    moderated_by = models.CharField(max_length=150, blank=True)
    moderated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["post", "state"], name="news_comment_state_idx")]

    def __str__(self) -> str:
        return self.body[:40]
