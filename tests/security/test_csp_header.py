"""The Content-Security-Policy header: fangkong's middleware builds the settings' policy once, and must
give every response the header django-csp's own middleware gives it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, NONE, SELF
from csp.decorators import csp_exempt, csp_update
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import RequestFactory

from fangkong.org.actions import create_token
from fangkong.security.middleware import CSPMiddleware

View = Callable[[HttpRequest], HttpResponse]


def _json(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True})


def _page_with_nonce(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f'<script nonce="{request.csp_nonce}"></script>')


@csp_update({"img-src": "data:"})
def _updated(request: HttpRequest) -> HttpResponse:
    return HttpResponse("updated")


@csp_exempt()
def _exempt(request: HttpRequest) -> HttpResponse:
    return HttpResponse("exempt")


def _headers(middleware: type, view: View, path: str = "/api/v1/x") -> dict[str, str]:
    request = RequestFactory().get(path)
    response = middleware(view)(request)
    return {h: response[h] for h in (HEADER, HEADER_REPORT_ONLY) if h in response}


@pytest.mark.parametrize("view", [_json, _updated, _exempt], ids=["plain", "csp_update", "csp_exempt"])
def test_each_response_gets_the_header_django_csp_gives_it(view):
    ours = _headers(CSPMiddleware, view)
    assert ours == _headers(DjangoCSPMiddleware, view)
    if view is _exempt:
        assert HEADER not in ours
    else:
        assert "default-src 'self'" in ours[HEADER] and "frame-ancestors 'none'" in ours[HEADER]
    if view is _updated:
        assert "data:" in ours[HEADER]


def test_a_page_that_used_its_nonce_names_that_nonce_in_its_header():
    request = RequestFactory().get("/")
    response = CSPMiddleware(_page_with_nonce)(request)
    nonce = response.content.decode().split('nonce="')[1].split('"')[0]
    assert f"'nonce-{nonce}'" in response[HEADER]
    other = CSPMiddleware(_page_with_nonce)(RequestFactory().get("/"))
    assert other[HEADER] != response[HEADER]  # one nonce per request, not the cached policy


def test_a_nonce_asked_for_after_the_header_is_written_is_an_error():
    request = RequestFactory().get("/api/v1/x")
    CSPMiddleware(_json)(request)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)


def test_a_change_of_the_settings_changes_the_header(settings):
    before = _headers(CSPMiddleware, _json)
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {"default-src": [NONE]},
        "EXCLUDE_URL_PREFIXES": ["/skip/"],
    }
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"default-src": [SELF]}}
    after = _headers(CSPMiddleware, _json)
    assert after != before
    assert after == _headers(DjangoCSPMiddleware, _json)
    assert after == {HEADER: "default-src 'none'", HEADER_REPORT_ONLY: "default-src 'self'"}
    skipped = _headers(CSPMiddleware, _json, path="/skip/x")
    assert (
        skipped
        == _headers(DjangoCSPMiddleware, _json, path="/skip/x")
        == {HEADER_REPORT_ONLY: "default-src 'self'"}
    )


@pytest.mark.django_db
def test_an_api_answer_carries_the_policy(w, client):
    token = create_token("test", w.enterprise_admin)
    response = client.get("/api/v1/units", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert "default-src 'self'" in response[HEADER] and "object-src 'none'" in response[HEADER]
