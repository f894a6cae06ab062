"""The news column: readers by subtree, one view per reader, moderated comments, safe Markdown."""

import io
import threading

import openpyxl
import pytest
from django.db import connection, connections
from django.test import Client

from fangkong.news import actions, queries
from fangkong.news.markdown import render
from fangkong.news.models import Comment, Post, PostView
from fangkong.org.actions import ActionError, create_token
from tests.route_tables.news import PNG

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def publish(unit, title="复工复产防疫须知", body="**进厂测温**", category="notice", cover=None):
    return actions.publish_post("test", unit=unit, title=title, body=body, category=category, cover=cover)


def test_a_post_reaches_the_subtree_of_its_unit_and_nobody_else(w):
    group_post = publish(w.group, title="集团通报")
    e1_post = publish(w.e1, title="一企通知")
    grid2_post = publish(w.grid2, title="二车间通知")
    alice_reads = set(queries.readable_posts(w.employee).values_list("pk", flat=True))
    assert alice_reads == {group_post.pk, e1_post.pk}  # alice is on grid 1
    outsider_reads = set(queries.readable_posts(w.outsider).values_list("pk", flat=True))
    assert outsider_reads == {group_post.pk}
    assert grid2_post.pk in set(queries.readable_posts(w.enterprise_admin).values_list("pk", flat=True))
    assert client_for(w.outsider).get(f"/news/posts/{e1_post.uid}/").status_code == 404


def test_a_reload_does_not_inflate_the_view_count(w):
    post = publish(w.e1)
    alice = client_for(w.employee)
    for _ in range(3):
        assert alice.get(f"/news/posts/{post.uid}/").status_code == 200
    client_for(w.grid_leader).get(f"/news/posts/{post.uid}/")
    post.refresh_from_db()
    assert post.views == 2
    assert PostView.objects.filter(post=post).count() == 2


def test_comments_wait_for_moderation_by_the_publishing_units_admins(w):
    post = publish(w.e1)
    alice, bob_reader = client_for(w.employee), client_for(w.grid_leader)
    assert alice.post(f"/news/posts/{post.uid}/comments/", {"body": "感谢一线同事!"}).status_code == 303
    comment = Comment.objects.get()
    assert comment.state == Comment.State.PENDING
    assert "感谢一线同事" in alice.get(f"/news/posts/{post.uid}/").content.decode()  # the author sees it
    assert "感谢一线同事" not in bob_reader.get(f"/news/posts/{post.uid}/").content.decode()
    assert bob_reader.post(f"/news/comments/{comment.uid}/approve/").status_code == 404  # not an admin
    admin = client_for(w.enterprise_admin)
    assert "感谢一线同事" in admin.get("/news/moderation/").content.decode()
    assert admin.post(f"/news/comments/{comment.uid}/approve/").status_code == 303
    comment.refresh_from_db()
    assert comment.state == Comment.State.APPROVED and comment.moderated_by == "e1_admin"
    assert "感谢一线同事" in bob_reader.get(f"/news/posts/{post.uid}/").content.decode()
    assert alice.post(f"/news/posts/{post.uid}/comments/", {"body": "  "}).status_code == 400


def test_markdown_is_rendered_and_html_is_never_passed_through():
    html = render(
        "# 标题\n\n**加粗** 和 *强调* 与 `code`\n\n- 一\n- 二\n\n1. 甲\n2. 乙\n\n> 引用\n\n"
        "[官网](https://www.nhc.gov.cn) [坏](javascript:alert(1))\n"
        '<script>alert(1)</script><img src=x onerror="alert(1)">'
    )
    assert "<h2>标题</h2>" in html
    assert "<strong>加粗</strong>" in html and "<em>强调</em>" in html and "<code>code</code>" in html
    assert "<ul><li>一</li><li>二</li></ul>" in html and "<ol><li>甲</li><li>乙</li></ol>" in html
    assert "<blockquote>" in html
    assert '<a href="https://www.nhc.gov.cn" rel="nofollow noopener">官网</a>' in html
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html


def test_the_cover_must_be_an_image(w):
    with pytest.raises(ActionError) as exc:
        publish(w.e1, cover=b"<svg onload=alert(1)>")
    assert exc.value.field == "cover"
    post = publish(w.e1, cover=PNG)
    r = client_for(w.employee).get(f"/news/posts/{post.uid}/cover")
    assert (
        r.status_code == 200 and r["Content-Type"] == "image/png" and r["X-Content-Type-Options"] == "nosniff"
    )


def test_publishing_is_for_admins_of_the_unit(w):
    assert client_for(w.employee).get("/news/new/").status_code == 404
    admin = client_for(w.enterprise_admin)
    r = admin.post("/news/units/E1/posts/", {"title": "", "body": "x", "category": "notice"})
    assert r.status_code == 400 and 'id="error-title"' in r.content.decode()
    r = admin.post(
        "/news/units/E1/posts/",
        {"title": "致全体员工的一封信", "body": "大家好", "category": "typical_deeds"},
    )
    assert r.status_code == 303
    assert Post.objects.get().unit == w.e1
    assert (
        admin.post("/news/units/E2/posts/", {"title": "x", "body": "x", "category": "notice"}).status_code
        == 404
    )


def test_the_list_and_export_and_api_are_scoped(w):
    publish(w.e1, title="一企通知")
    publish(w.e2, title="二企通知")
    page = client_for(w.employee).get("/news/").content.decode()
    assert "一企通知" in page and "二企通知" not in page
    export = client_for(w.segment_admin).get("/news/posts.xlsx?unit=E1")
    rows = list(
        openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active.iter_rows(
            values_only=True
        )
    )
    assert [r[4] for r in rows[1:]] == ["一企通知"]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {create_token('test', w.segment_admin)}")
    body = api.get("/api/v1/units/S1/posts").json()
    assert body["count"] == 2
    outsider = Client(HTTP_AUTHORIZATION=f"Bearer {create_token('test', w.outsider)}")
    assert outsider.get("/api/v1/units/E1/posts").status_code == 404


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers; proves nothing")
def test_concurrent_loads_of_one_reader_count_one_view():
    from fangkong.org.models import Region
    from fangkong.org.regions import load_regions
    from tests.factories import world

    load_regions(Region)  # an earlier transactional test's flush emptied the migration's rows
    w = world()
    post = publish(w.e1)
    barrier = threading.Barrier(10)

    def run() -> None:
        try:
            barrier.wait()
            actions.record_view(post, w.employee)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    post.refresh_from_db()
    assert post.views == 1
