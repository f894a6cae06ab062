"""Sign-in lockout, session rotation, sign-out, disabled accounts, idle and absolute timeouts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fangkong.org.actions import create_token
from fangkong.security.middleware import SEEN, STARTED, clock

PASSWORD = "pw-Secret-123"  # tests/factories.py


def _sign_in(client: Client, username: str, password: str = PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


def _signed_in(client: Client) -> bool:
    response = client.get(reverse("home"))
    return response.status_code == 200


@pytest.mark.django_db
def test_five_failed_sign_ins_lock_the_account_for_a_while(w):
    assert settings.AXES_FAILURE_LIMIT == 5
    client = Client()
    for attempt in range(4):
        response = _sign_in(client, w.enterprise_admin.username, "wrong")
        assert response.status_code == 200, attempt  # the form again, with its error
    locked = _sign_in(client, w.enterprise_admin.username, "wrong")
    assert locked.status_code == 429
    assert "locked" in locked.content.decode().lower() or "锁定" in locked.content.decode()

    # Even the right password is refused now, from any client.
    again = _sign_in(Client(), w.enterprise_admin.username)
    assert again.status_code == 429
    assert not _signed_in(client)
    # Another account is not affected.
    other = Client()
    assert _sign_in(other, w.group_admin.username).status_code == 302
    assert _signed_in(other)

    # After the cool-off the account signs in again.
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(1))
    later = Client()
    assert _sign_in(later, w.enterprise_admin.username).status_code == 302
    assert _signed_in(later)


@pytest.mark.django_db
def test_a_successful_sign_in_resets_the_failure_count(w):
    client = Client()
    for _ in range(4):
        _sign_in(client, w.tracker.username, "wrong")
    assert _sign_in(client, w.tracker.username).status_code == 302
    for _ in range(4):
        assert _sign_in(Client(), w.tracker.username, "wrong").status_code == 200
    assert _sign_in(Client(), w.tracker.username).status_code == 302


@pytest.mark.django_db
def test_sign_in_rotates_the_session(w):
    client = Client()
    client.get(reverse("login"))  # the form stores its CSRF secret in a session
    before = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=before).exists()
    assert _sign_in(client, w.enterprise_admin.username).status_code == 302
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert _signed_in(client)


@pytest.mark.django_db
def test_sign_out_ends_the_session(w):
    client = Client()
    _sign_in(client, w.enterprise_admin.username)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.post(reverse("logout")).status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    # Replaying the old cookie does not sign anyone in.
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = key
    assert not _signed_in(replay)


@pytest.mark.django_db
def test_a_disabled_account_is_signed_out_on_its_next_request(w):
    client = Client()
    _sign_in(client, w.enterprise_admin.username)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert _signed_in(client)
    w.enterprise_admin.is_active = False
    w.enterprise_admin.save(update_fields=["is_active"])
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not Session.objects.filter(session_key=key).exists()
    # And the API refuses its session as well.
    assert client.get("/api/v1/units").status_code == 401


@pytest.mark.django_db
def test_api_tokens_of_a_disabled_account_are_refused(w):
    token = create_token("test", w.enterprise_admin)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/v1/units").status_code == 200
    w.enterprise_admin.is_active = False
    w.enterprise_admin.save(update_fields=["is_active"])
    assert api.get("/api/v1/units").status_code == 401
    assert api.get("/api/v1/units/E1/people").status_code == 401


def _age_session(client: Client, **seconds_ago: int) -> None:
    session = client.session
    now = int(clock())
    for key, ago in seconds_ago.items():
        session[{"started": STARTED, "seen": SEEN}[key]] = now - ago
    session.save()


@pytest.mark.django_db
def test_idle_timeout_signs_out_and_slides_with_use(w):
    idle = settings.SESSION_IDLE_TIMEOUT
    assert idle == 30 * 60
    client = Client()
    _sign_in(client, w.enterprise_admin.username)

    _age_session(client, seen=idle - 120)  # used 28 minutes ago: still signed in, clock moves
    assert _signed_in(client)
    assert int(clock()) - client.session[SEEN] < 5

    _age_session(client, seen=idle + 1)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert client.get("/api/v1/units").status_code == 401


@pytest.mark.django_db
def test_absolute_timeout_ends_even_a_busy_session(w):
    assert settings.SESSION_ABSOLUTE_TIMEOUT == 12 * 3600
    client = Client()
    _sign_in(client, w.enterprise_admin.username)
    _age_session(client, started=settings.SESSION_ABSOLUTE_TIMEOUT - 60, seen=0)
    assert _signed_in(client)
    _age_session(client, started=settings.SESSION_ABSOLUTE_TIMEOUT + 1, seen=0)
    assert not _signed_in(client)
