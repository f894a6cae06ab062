"""Isolation table for the news column routes (see tests/test_isolation_routes.py).

The samples name objects the personas' world does not have; they are made on first use, in the
test's database, with fixed uids: a post of E1 (with a cover and a comment by alice) and one of E2
(with a cover and a comment by carol's enterprise admin, the outsider)."""

from __future__ import annotations

import base64
from typing import cast

from .common import Call, Sample

E1_POST = "9c4d5e6f-0e4b-4d8e-9a53-1e2b3c4d5e01"
E2_POST = "9c4d5e6f-0e4b-4d8e-9a53-1e2b3c4d5e02"
E1_COMMENT = "9c4d5e6f-0e4b-4d8e-9a53-1e2b3c4d5ec1"
E2_COMMENT = "9c4d5e6f-0e4b-4d8e-9a53-1e2b3c4d5ec2"
ABSENT = "00000000-0000-4000-8000-0000000000f0"
# a 1×1 PNG
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def _post(uid: str, unit_code: str) -> str:
    from fangkong.news import actions
    from fangkong.news.models import Post
    from fangkong.org.models import Unit

    if not Post.objects.filter(uid=uid).exists():
        post = actions.publish_post(
            "test",
            unit=Unit.objects.get(code=unit_code),
            title=f"{unit_code} 复工复产防疫须知",
            body="**进厂测温**,佩戴口罩。",
            category="notice",
            cover=PNG,
        )
        Post.objects.filter(pk=post.pk).update(uid=uid)
    return uid


def _comment(uid: str, post_uid: str, username: str) -> str:
    from django.contrib.auth import get_user_model

    from fangkong.news import actions
    from fangkong.news.models import Comment, Post

    if not Comment.objects.filter(uid=uid).exists():
        author = get_user_model().objects.get(username=username)
        comment = actions.add_comment(author, Post.objects.get(uid=post_uid), "辛苦了!")
        Comment.objects.filter(pk=comment.pk).update(uid=uid)
    return uid


class _LazyPost:
    absent = ABSENT

    @property
    def e1(self) -> str:
        return _post(E1_POST, "E1")

    @property
    def own(self) -> str:
        return _post(E2_POST, "E2")


class _LazyComment:
    absent = ABSENT

    @property
    def e1(self) -> str:
        return _comment(E1_COMMENT, _post(E1_POST, "E1"), "alice")

    @property
    def own(self) -> str:
        return _comment(E2_COMMENT, _post(E2_POST, "E2"), "outsider")


PARAMS: dict[str, Sample] = {
    "post_uid": cast(Sample, _LazyPost()),
    "comment_uid": cast(Sample, _LazyComment()),
}

_UNIT = {"unit": "{code}"}

PAGES: dict[str, Call] = {
    "news_list": Call("GET", _UNIT),
    "news_export": Call("GET", _UNIT),
    "news_new": Call(kind="own"),
    "news_publish": Call("POST", {"title": "通知", "body": "正文", "category": "notice"}),
    "news_post": Call(),
    "news_cover": Call(),
    "news_comment": Call("POST", {"body": "好"}),
    "news_moderation": Call("GET", _UNIT),
    "news_approve": Call("POST"),
    "news_reject": Call("POST"),
}

API: dict[tuple[str, str], Call] = {
    ("GET", "/api/v1/units/{code}/posts"): Call(),
}
