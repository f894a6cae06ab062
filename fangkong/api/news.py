"""API of the news column: the posts published in a unit's subtree that the caller may read.

The router is mounted at the root: paths are written in full after /api/v1. A unit out of the
caller's scope is 404 like an absent one."""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from fangkong.news import queries
from fangkong.org import access

from .schemas import answers

router = Router(tags=["news"])

PAGE_SIZE = 100


class PostsQuery(Schema):
    category: str = Field("", max_length=32)
    page: int = Field(1, ge=1, le=1_000_000)


class PostOut(Schema):
    uid: uuid.UUID
    title: str
    unit: str
    category: str
    published_at: dt.datetime
    views: int
    comments: int
    has_cover: bool


class PostPage(Schema):
    items: list[PostOut]
    count: int


@router.get(
    "/units/{code}/posts",
    response={200: PostPage, **answers(404, 422)},
    summary="News posts published in the unit's subtree (those the caller may read), newest first",
)
def list_posts(request: HttpRequest, code: str, q: Query[PostsQuery]):
    unit = access.unit_for_user(request.user, code)
    posts = queries.readable_posts(request.user).filter(unit__path__startswith=unit.path)
    if q.category:
        posts = posts.filter(category=q.category)
    rows = queries.listed(posts).order_by("-published_at", "-pk")[
        (q.page - 1) * PAGE_SIZE : q.page * PAGE_SIZE
    ]
    items = [
        {
            "uid": p.uid,
            "title": p.title,
            "unit": p.unit.code,
            "category": p.category,
            "published_at": p.published_at,
            "views": p.views,
            "comments": p.approved,  # type: ignore[attr-defined]
            "has_cover": p.has_cover,
        }
        for p in rows
    ]
    return {"items": items, "count": posts.count()}
