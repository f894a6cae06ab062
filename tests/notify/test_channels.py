"""Acceptance 3: a local HTTP receiver gets well-formed WeCom, DingTalk and Feishu payloads; when it
answers 500 the delivery is retried with back-off and recorded, and e-mail still goes out."""

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core import mail
from django.utils import timezone

from fangkong.notify import delivery
from fangkong.notify.api import notify
from fangkong.notify.models import Channel, Delivery

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


class Receiver:
    """A robot endpoint on 127.0.0.1:<free port> that records what it is sent."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers["Content-Length"])
                receiver.received.append(
                    {
                        "path": self.path,
                        "content_type": self.headers["Content-Type"],
                        "json": json.loads(self.rfile.read(length)),
                    }
                )
                answer = (
                    {"errcode": 0, "errmsg": "ok"}
                    if "feishu" not in self.path
                    else {"code": 0, "msg": "success"}
                )
                body = json.dumps(answer if receiver.status == 200 else {"error": "boom"}).encode()
                self.send_response(receiver.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def by_path(self, prefix: str) -> list[dict]:
        return [r for r in self.received if r["path"].startswith(prefix)]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def channels(w, receiver, settings):
    settings.TASKS = IMMEDIATE
    w.grid_leader.email = "leader@example.com"
    w.grid_leader.save()
    Channel.objects.create(unit=w.e1, kind=Channel.Kind.EMAIL)
    Channel.objects.create(unit=w.e1, kind=Channel.Kind.WECOM, url=f"{receiver.url}/wecom?key=k")
    Channel.objects.create(
        unit=w.e1, kind=Channel.Kind.DINGTALK, url=f"{receiver.url}/dingtalk?access_token=t", secret="SECdt"
    )
    Channel.objects.create(
        unit=w.e1, kind=Channel.Kind.FEISHU, url=f"{receiver.url}/feishu/hook", secret="fs-secret"
    )


def _send(w, capture, **kw) -> None:
    with capture(execute=True):
        notify(
            "system",
            [w.grid_leader],
            subject="3 people in your grid have not checked in",
            body="艾丽、鲍勃、大卫",
            link="/units/E1-G1/missing/",
            unit=w.grid1,
            **kw,
        )


@pytest.mark.django_db
def test_robots_receive_their_own_formats(w, receiver, channels, django_capture_on_commit_callbacks):
    _send(w, django_capture_on_commit_callbacks)

    (wecom,) = receiver.by_path("/wecom")
    assert wecom["content_type"].startswith("application/json")
    assert wecom["json"]["msgtype"] == "markdown"
    assert "3 people in your grid" in wecom["json"]["markdown"]["content"]
    assert "艾丽" in wecom["json"]["markdown"]["content"]

    (ding,) = receiver.by_path("/dingtalk")
    assert ding["json"]["msgtype"] == "markdown"
    assert ding["json"]["markdown"]["title"] == "3 people in your grid have not checked in"
    assert "/units/E1-G1/missing/" in ding["json"]["markdown"]["text"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(ding["path"]).query)
    ts = query["timestamp"][0]
    expected = base64.b64encode(hmac.new(b"SECdt", f"{ts}\nSECdt".encode(), hashlib.sha256).digest()).decode()
    assert query["access_token"] == ["t"] and query["sign"] == [expected]

    (feishu,) = receiver.by_path("/feishu")
    body = feishu["json"]
    assert body["msg_type"] == "text" and "艾丽" in body["content"]["text"]
    key = f"{body['timestamp']}\nfs-secret".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()

    assert [m.to for m in mail.outbox] == [["leader@example.com"]]
    assert set(Delivery.objects.values_list("state", flat=True)) == {Delivery.State.SENT}


@pytest.mark.django_db
def test_a_failing_robot_is_retried_and_mail_still_goes_out(
    w, receiver, channels, django_capture_on_commit_callbacks
):
    receiver.status = 500
    _send(w, django_capture_on_commit_callbacks)

    assert [m.to for m in mail.outbox] == [["leader@example.com"]]
    robots = Delivery.objects.exclude(kind=Channel.Kind.EMAIL)
    assert robots.count() == 3
    for d in robots:
        assert (d.state, d.attempts) == (Delivery.State.RETRYING, 1)
        assert d.last_error.startswith("HTTP 500")
        assert timedelta(seconds=50) < d.next_attempt_at - timezone.now() <= timedelta(minutes=1)
    assert Delivery.objects.get(kind=Channel.Kind.EMAIL).state == Delivery.State.SENT

    # Not yet due: the sweep leaves them alone.
    assert delivery.deliver_due(timezone.now()) == {}
    # Back-off doubles while the receiver still fails.
    later = timezone.now() + timedelta(minutes=1, seconds=1)
    assert delivery.deliver_due(later) == {"retrying": 3}
    d = robots.all().first()
    assert d.attempts == 2 and d.next_attempt_at - later == timedelta(minutes=2)

    receiver.status = 200
    assert delivery.deliver_due(later + timedelta(minutes=2)) == {"sent": 3}
    assert set(robots.all().values_list("state", "attempts")) == {(Delivery.State.SENT, 3)}
    assert len(receiver.by_path("/wecom")) == 3  # three attempts reached the receiver
    assert len(mail.outbox) == 1  # e-mail was not sent again


@pytest.mark.django_db
def test_a_robot_that_never_recovers_ends_failed(w, receiver, channels, django_capture_on_commit_callbacks):
    receiver.status = 500
    _send(w, django_capture_on_commit_callbacks)
    at = timezone.now()
    for _ in range(delivery.MAX_ATTEMPTS):
        at += timedelta(hours=1)
        delivery.deliver_due(at)
    states = set(Delivery.objects.exclude(kind=Channel.Kind.EMAIL).values_list("state", "attempts"))
    assert states == {(Delivery.State.FAILED, delivery.MAX_ATTEMPTS)}


@pytest.mark.django_db
def test_an_unreachable_robot_does_not_fail_the_caller(w, settings, django_capture_on_commit_callbacks):
    settings.TASKS = IMMEDIATE
    Channel.objects.create(unit=w.e1, kind=Channel.Kind.WECOM, url="http://127.0.0.1:9/nothing-listens")
    _send(w, django_capture_on_commit_callbacks)
    d = Delivery.objects.get()
    assert d.state == Delivery.State.RETRYING and "unreachable" in d.last_error
