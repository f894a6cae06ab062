"""Person look-ups are rate-limited per account: 429 with Retry-After past the limit."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from fangkong.org.actions import create_token


@pytest.fixture(autouse=True)
def _fresh_counters_and_a_still_clock(monkeypatch):
    """Empty counters, and time held 20 s into a window, so a slow run never straddles two."""
    import fangkong.security.middleware as middleware

    now = [60 * 16_666_667 + 20.0]
    monkeypatch.setattr(middleware, "clock", lambda: now[0])
    cache.clear()
    yield now
    cache.clear()


def _exhaust(get) -> list[int]:
    return [get().status_code for _ in range(settings.LOOKUP_RATE_LIMIT)]


@pytest.mark.django_db
def test_roster_search_is_limited_per_account(w):
    assert settings.LOOKUP_RATE_LIMIT == 60 and settings.LOOKUP_RATE_WINDOW == 60
    client = Client()
    client.force_login(w.enterprise_admin)
    url = reverse("roster", kwargs={"code": "E1"})
    assert set(_exhaust(lambda: client.get(url, {"q": "A0"}))) == {200}
    refused = client.get(url, {"q": "A00"})
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= settings.LOOKUP_RATE_WINDOW
    assert refused["Retry-After"] in refused.content.decode()
    # The export is a look-up too, and counted on the same account.
    assert client.get(reverse("roster_export", kwargs={"code": "E1"})).status_code == 429
    # Other pages and other accounts are not affected.
    assert client.get(reverse("unit_detail", kwargs={"code": "E1"})).status_code == 200
    other = Client()
    other.force_login(w.group_admin)
    assert other.get(url).status_code == 200


@pytest.mark.django_db
def test_the_people_api_is_limited_per_account_across_tokens_and_sessions(w):
    first = Client(HTTP_AUTHORIZATION=f"Bearer {create_token('test', w.enterprise_admin)}")
    assert set(_exhaust(lambda: first.get("/api/v1/units/E1/people"))) == {200}
    refused = first.get("/api/v1/units/E1/people", {"page": 2})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert "detail" in refused.json()
    # A second token or the browser session of the same account share its count.
    second = Client(HTTP_AUTHORIZATION=f"Bearer {create_token('test', w.enterprise_admin)}")
    assert second.get("/api/v1/units/E1/people").status_code == 429
    browser = Client()
    browser.force_login(w.enterprise_admin)
    assert browser.get(reverse("roster", kwargs={"code": "E1"})).status_code == 429
    # Not a person look-up: still served.
    assert first.get("/api/v1/units/E1").status_code == 200


@pytest.mark.django_db
def test_the_next_window_serves_again(w, _fresh_counters_and_a_still_clock):
    now = _fresh_counters_and_a_still_clock
    client = Client()
    client.force_login(w.enterprise_admin)
    url = reverse("roster", kwargs={"code": "E1"})
    _exhaust(lambda: client.get(url))
    refused = client.get(url)
    assert refused.status_code == 429 and refused["Retry-After"] == "40"
    now[0] += 40
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_anonymous_look_ups_are_refused_by_the_views_not_counted(w, client):
    for _ in range(settings.LOOKUP_RATE_LIMIT + 1):
        assert client.get("/api/v1/units/E1/people").status_code == 401
