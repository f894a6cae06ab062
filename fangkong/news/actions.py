"""Every change of the news column: publish a post, count a view, comment, moderate a comment."""

from __future__ import annotations

import io
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.actions import actor_name, record
from fangkong.org.actions import ActionError
from fangkong.org.models import Unit

from . import categories
from .models import Comment, Post, PostView

MAX_COVER_BYTES = 2 * 1024 * 1024
COVER_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
MAX_BODY = 20_000
MAX_COMMENT = 1000


def check_cover(data: bytes) -> str:
    """The image's content type if `data` is a JPEG, PNG, WebP or GIF of at most 2 MB."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_COVER_BYTES:
        raise ActionError(_("the image is larger than 2 MB"), "cover")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            fmt = image.format or ""
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ActionError(_("not an image (JPEG, PNG, WebP or GIF)"), "cover") from None
    if fmt not in COVER_FORMATS:
        raise ActionError(_("not an image (JPEG, PNG, WebP or GIF)"), "cover")
    return COVER_FORMATS[fmt]


@transaction.atomic
def publish_post(
    actor: Any, *, unit: Unit, title: str, body: str, category: str, cover: bytes | None = None
) -> Post:
    """Publish a post to `unit`'s subtree (its readers are the people and users under it)."""
    title, body = title.strip(), body.strip()
    if not title:
        raise ActionError(_("a title is required"), "title")
    if len(title) > 120:
        raise ActionError(_("at most 120 characters"), "title")
    if not body:
        raise ActionError(_("write the post"), "body")
    if len(body) > MAX_BODY:
        raise ActionError(_("at most %(n)d characters") % {"n": MAX_BODY}, "body")
    if category not in categories.codes():
        raise ActionError(_("choose a category"), "category")
    cover_type = check_cover(cover) if cover else ""
    post = Post.objects.create(
        unit=unit,
        title=title,
        body=body,
        category=category,
        cover_type=cover_type,
        cover_data=cover or None,
        author=actor if getattr(actor, "pk", None) else None,
        published_at=timezone.now(),
    )
    record(
        actor,
        "news.publish",
        "news_post",
        post.uid,
        unit_code=unit.code,
        detail={"title": title, "category": category},
    )
    return post


def record_view(post: Post, user: Any) -> bool:
    """Count `user` as a reader of `post` once; True if this was the first view.

    Not audited: a view is a counter (like a plain self check-in, the row itself is the record)."""
    if not getattr(user, "pk", None):
        return False
    try:
        with transaction.atomic():
            PostView.objects.create(post=post, user=user)
            Post.objects.filter(pk=post.pk).update(views=F("views") + 1)
    except IntegrityError:  # seen before (or by a concurrent request of the same user)
        return False
    return True


@transaction.atomic
def add_comment(actor: Any, post: Post, body: str) -> Comment:
    body = body.strip()
    if not body:
        raise ActionError(_("write a comment"), "body")
    if len(body) > MAX_COMMENT:
        raise ActionError(_("at most %(n)d characters") % {"n": MAX_COMMENT}, "body")
    comment = Comment.objects.create(post=post, author=actor, body=body)
    record(
        actor,
        "news.comment",
        "news_comment",
        comment.uid,
        unit_code=post.unit.code,
        detail={"post": str(post.uid)},
    )
    return comment


@transaction.atomic
def moderate(actor: Any, comment: Comment, state: str) -> Comment:
    """Approve or reject a comment (a decision can be changed later; each one is audited)."""
    if state not in (Comment.State.APPROVED, Comment.State.REJECTED):
        raise ActionError(_("approve or reject"), "state")
    before = comment.state
    Comment.objects.filter(pk=comment.pk).update(
        state=state, moderated_by=actor_name(actor)[:150], moderated_at=timezone.now()
    )
    comment.refresh_from_db()
    record(
        actor,
        "news.moderate",
        "news_comment",
        comment.uid,
        unit_code=comment.post.unit.code,
        detail={"from": before, "to": state},
    )
    return comment
