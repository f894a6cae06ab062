"""Who reads which post, who moderates, scoped lists of the news column.

Readers of a post are the users whose unit is inside the subtree of the post's unit: a post of the
group reaches everyone, a post of a grid only that grid. A user's units are those of its role grants
and its own person's unit; the admins over a unit also see (and moderate) what is published below it.
"""

from __future__ import annotations

import uuid

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from fangkong.org import access
from fangkong.org.models import Person, Unit

from .models import Comment, Post

PUBLISH_ROLES = access.ADMIN_ROLES  # publish for a unit it administers
MODERATE_ROLES = access.ADMIN_ROLES  # moderate comments on posts of a unit it administers


def _reader_unit_ids(user) -> set[int]:
    """The user's units and all their ancestors: a post on any of them reaches the user."""
    paths = [g.unit.path for g in access.grants(user)]
    person_unit = (
        Person.objects.filter(user_id=user.pk, status=Person.Status.ACTIVE)
        .values_list("unit__path", flat=True)
        .first()
    )
    if person_unit:
        paths.append(person_unit)
    return {int(p) for path in paths for p in path.strip("/").split("/") if p}


def readable_posts(user) -> QuerySet[Post]:
    if not (user and user.is_authenticated and user.is_active):
        return Post.objects.none()
    if user.is_superuser:
        return Post.objects.all()
    admin_units = access.visible_units(user, MODERATE_ROLES)
    return Post.objects.filter(Q(unit_id__in=_reader_unit_ids(user)) | Q(unit__in=admin_units.values("pk")))


def post_for_user(user, uid: uuid.UUID) -> Post:
    post = readable_posts(user).filter(uid=uid).select_related("unit", "author").first()
    if post is None:
        raise Http404("No such post")
    return post


def listed(qs: QuerySet[Post]) -> QuerySet[Post]:
    return (
        qs.select_related("unit")
        .annotate(approved=Count("comments", filter=Q(comments__state=Comment.State.APPROVED)))
        .defer("cover_data", "body")
    )


def can_moderate(user, post: Post) -> bool:
    return access.has_role(user, MODERATE_ROLES, post.unit)


def publish_units(user) -> QuerySet[Unit]:
    return access.visible_units(user, PUBLISH_ROLES).order_by("path")


def visible_comments(user, post: Post) -> QuerySet[Comment]:
    """Approved ones for every reader, plus the user's own; everything for the moderators."""
    qs = post.comments.select_related("author")
    if can_moderate(user, post):
        return qs
    return qs.filter(Q(state=Comment.State.APPROVED) | Q(author_id=user.pk))


def moderation_queue(user, unit: Unit | None = None) -> QuerySet[Comment]:
    units = access.visible_units(user, MODERATE_ROLES)
    if unit is not None:
        units = units.filter(path__startswith=unit.path)
    return Comment.objects.filter(post__unit__in=units.values("pk")).select_related(
        "post", "post__unit", "author"
    )


def comment_for_moderator(user, uid: uuid.UUID) -> Comment:
    comment = moderation_queue(user).filter(uid=uid).first()
    if comment is None:
        raise Http404("No such comment")
    return comment
