"""News column pages: the list (cards, phone first), a post (counts a view, comments), publishing,
moderation, the XLSX export, the cover image. Scope: `queries.readable_posts` (404 like absent)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from fangkong.lib.xlsx import stream_xlsx
from fangkong.org import access
from fangkong.org.actions import ActionError
from fangkong.org.models import Unit

from . import actions, categories, queries
from .markdown import excerpt
from .markdown import render as render_markdown
from .models import Comment, Post

PAGE_SIZE = 20
NEW_FIELDS = {"title", "body", "category", "cover"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class HttpResponseSeeOther(HttpResponseRedirect):
    status_code = 303


def _filtered(request: HttpRequest) -> tuple[Unit | None, str, QuerySet[Post]]:
    posts = queries.readable_posts(request.user)
    unit = None
    if code := request.GET.get("unit", "").strip():
        unit = access.unit_for_user(request.user, code)
        posts = posts.filter(unit__path__startswith=unit.path)
    category = request.GET.get("category", "")
    if category in categories.codes():
        posts = posts.filter(category=category)
    else:
        category = ""
    return unit, category, posts


@require_GET
@never_cache
@login_required
def post_list(request: HttpRequest) -> HttpResponse:
    unit, category, posts = _filtered(request)
    page = Paginator(queries.listed(posts).order_by("-published_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    bodies = dict(Post.objects.filter(pk__in=[p.pk for p in page]).values_list("pk", "body"))
    for post in page:
        post.excerpt = excerpt(bodies.get(post.pk, ""))  # type: ignore[attr-defined]
    query = {k: v for k, v in (("unit", unit.code if unit else ""), ("category", category)) if v}
    context = {
        "page": page,
        "unit": unit,
        "category": category,
        "categories": categories.choices(),
        "query": urlencode(query),
        "can_publish": queries.publish_units(request.user).exists(),
        "can_moderate": access.grants(request.user, queries.MODERATE_ROLES).exists()
        or request.user.is_superuser,
    }
    return render(request, "news/list.html", context)


def _post_page(
    request: HttpRequest, post: Post, *, error: tuple[str, str] | None = None, status: int = 200
) -> HttpResponse:
    if status == 200:
        actions.record_view(post, request.user)
        post.refresh_from_db(fields=["views"])
    context = {
        "post": post,
        "body": render_markdown(post.body),
        "comments": queries.visible_comments(request.user, post),
        "can_moderate": queries.can_moderate(request.user, post),
        "error": error,
        "posted": request.POST if request.method == "POST" else {},
    }
    return render(request, "news/post.html", context, status=status)


@require_GET
@never_cache
@login_required
def post_detail(request: HttpRequest, post_uid: uuid.UUID) -> HttpResponse:
    return _post_page(request, queries.post_for_user(request.user, post_uid))


@require_GET
@login_required
def cover(request: HttpRequest, post_uid: uuid.UUID) -> HttpResponse:
    post = queries.post_for_user(request.user, post_uid)
    data = Post.objects.filter(pk=post.pk).values_list("cover_data", flat=True).first()
    if not post.cover_type or not data:
        raise Http404("No cover")
    response = HttpResponse(bytes(data), content_type=post.cover_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_POST
@never_cache
@login_required
def comment(request: HttpRequest, post_uid: uuid.UUID) -> HttpResponse:
    post = queries.post_for_user(request.user, post_uid)
    try:
        actions.add_comment(request.user, post, request.POST.get("body", ""))
    except ActionError as exc:
        return _post_page(request, post, error=(exc.field, str(exc)), status=400)
    messages.success(request, _("Thank you: your comment shows to others once it is approved."))
    return HttpResponseSeeOther(reverse("news_post", args=[post.uid]) + "#comments")


def _new_page(
    request: HttpRequest, *, error: tuple[str, str] | None = None, status: int = 200
) -> HttpResponse:
    units = queries.publish_units(request.user)
    if not units.exists():
        raise Http404("Nothing you may publish for")
    context = {
        "units": units,
        "selected": request.POST.get("unit") or request.GET.get("unit", ""),
        "categories": categories.choices(),
        "error": error,
        "general_error": error[1] if error and error[0] not in NEW_FIELDS else "",
        "posted": request.POST if request.method == "POST" else {},
    }
    return render(request, "news/new.html", context, status=status)


@require_GET
@never_cache
@login_required
def new(request: HttpRequest) -> HttpResponse:
    return _new_page(request)


@require_POST
@never_cache
@login_required
def publish(request: HttpRequest, code: str) -> HttpResponse:
    unit = access.unit_for_user(request.user, code, queries.PUBLISH_ROLES)
    upload = request.FILES.get("cover")
    p = request.POST
    try:
        if upload is not None and upload.size and upload.size > actions.MAX_COVER_BYTES:
            raise ActionError(_("the image is larger than 2 MB"), "cover")
        post = actions.publish_post(
            request.user,
            unit=unit,
            title=p.get("title", ""),
            body=p.get("body", ""),
            category=p.get("category", ""),
            cover=upload.read() if upload is not None else None,
        )
    except ActionError as exc:
        return _new_page(request, error=(exc.field, str(exc)), status=400)
    messages.success(request, _("Published."))
    return HttpResponseSeeOther(reverse("news_post", args=[post.uid]))


@require_GET
@never_cache
@login_required
def moderation(request: HttpRequest) -> HttpResponse:
    unit = None
    if code := request.GET.get("unit", "").strip():
        unit = access.unit_for_user(request.user, code, queries.MODERATE_ROLES)
    state = request.GET.get("state", Comment.State.PENDING)
    if state not in Comment.State.values:
        state = Comment.State.PENDING
    comments = queries.moderation_queue(request.user, unit).filter(state=state).order_by("created_at", "pk")
    page = Paginator(comments, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "unit": unit,
        "state": state,
        "states": Comment.State.choices,
        "top_units": access.top_units(request.user),
    }
    return render(request, "news/moderation.html", context)


def _moderate(request: HttpRequest, comment_uid: uuid.UUID, state: str, done: str) -> HttpResponse:
    found = queries.comment_for_moderator(request.user, comment_uid)
    if not queries.can_moderate(request.user, found.post):
        raise PermissionDenied
    actions.moderate(request.user, found, state)
    messages.success(request, done)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("news_moderation")
    return HttpResponseSeeOther(back)


@require_POST
@never_cache
@login_required
def approve(request: HttpRequest, comment_uid: uuid.UUID) -> HttpResponse:
    return _moderate(request, comment_uid, Comment.State.APPROVED, _("Comment approved."))


@require_POST
@never_cache
@login_required
def reject(request: HttpRequest, comment_uid: uuid.UUID) -> HttpResponse:
    return _moderate(request, comment_uid, Comment.State.REJECTED, _("Comment rejected."))


EXPORT_COLUMNS = (
    ("published", "发布时间"),
    ("unit", "单位编码"),
    ("unit_name", "发布单位"),
    ("category", "栏目"),
    ("title", "标题"),
    ("views", "阅读人数"),
    ("comments_approved", "评论(已通过)"),
)


@require_GET
@never_cache
@login_required
def export(request: HttpRequest) -> StreamingHttpResponse:
    unit, _category, posts = _filtered(request)
    zh = (get_language() or "").lower().startswith("zh")
    labels = dict(categories.choices())
    tz = timezone.get_current_timezone()

    def rows() -> Iterator[tuple]:
        for p in queries.listed(posts).order_by("-published_at", "-pk").iterator(chunk_size=1000):
            yield (
                p.published_at.astimezone(tz),
                p.unit.code,
                p.unit.name,
                labels.get(p.category, p.category),
                p.title,
                p.views,
                p.approved,  # type: ignore[attr-defined]
            )

    header = [c[1] if zh else c[0] for c in EXPORT_COLUMNS]
    response = StreamingHttpResponse(
        stream_xlsx("防疫专栏" if zh else "news", header, rows()), content_type=XLSX
    )
    filename = f"news-{unit.code if unit else 'all'}-{timezone.localdate().isoformat()}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response


urlpatterns = [
    path("", post_list, name="news_list"),
    path("posts.xlsx", export, name="news_export"),
    path("new/", new, name="news_new"),
    path("units/<str:code>/posts/", publish, name="news_publish"),
    path("posts/<uuid:post_uid>/", post_detail, name="news_post"),
    path("posts/<uuid:post_uid>/cover", cover, name="news_cover"),
    path("posts/<uuid:post_uid>/comments/", comment, name="news_comment"),
    path("moderation/", moderation, name="news_moderation"),
    path("comments/<uuid:comment_uid>/approve/", approve, name="news_approve"),
    path("comments/<uuid:comment_uid>/reject/", reject, name="news_reject"),
]
