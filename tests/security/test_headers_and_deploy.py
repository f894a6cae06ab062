"""Security headers, no-store on personal data, and `fangkong check --deploy` with production settings."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

import fangkong
from fangkong.org.actions import create_token

TEMPLATES = Path(fangkong.__file__).parent


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_pages_carry_the_security_headers_and_are_not_stored(w):
    response = _signed_in(w.enterprise_admin).get(reverse("roster", kwargs={"code": "E1"}))
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert re.search(r"script-src 'self'(?: 'nonce-[^']+')?(?:;|$)", csp), csp  # no inline scripts
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_every_signed_in_response_is_no_store(w):
    client = _signed_in(w.enterprise_admin)
    unit_page = reverse("unit_detail", kwargs={"code": "E1"})
    for url in ("/", unit_page, "/api/v1/units", "/api/v1/units/E1/people"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
    bearer = Client(HTTP_AUTHORIZATION=f"Bearer {create_token('test', w.enterprise_admin)}")
    for url in ("/api/v1/units", "/api/v1/units/E1/people", "/api/v1/units/NOPE"):
        assert "no-store" in bearer.get(url)["Cache-Control"], url
    # Errors too: a 404 body can still say what exists.
    assert "no-store" in client.get("/units/NOPE/")["Cache-Control"]


@pytest.mark.django_db
def test_hsts_and_https_redirect_when_served_over_https(w, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_SSL_REDIRECT = True
    client = Client()
    plain = client.get(reverse("login"))
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    secure = client.get(reverse("login"), secure=True)
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_no_template_has_an_inline_script_or_event_handler():
    """The CSP allows scripts from our static files only: an inline <script> must carry the nonce
    (nonce="{{ request.csp_nonce }}") or be a JSON data block."""
    offenders = []
    for path in TEMPLATES.rglob("templates/**/*.html"):
        text = path.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text, flags=re.IGNORECASE):
            if "src=" not in tag and "csp_nonce" not in tag and "application/json" not in tag:
                offenders.append((str(path.relative_to(TEMPLATES)), tag))
        for handler in re.findall(r"\son[a-z]+\s*=", text):
            offenders.append((str(path.relative_to(TEMPLATES)), handler.strip()))
        if "javascript:" in text:
            offenders.append((str(path.relative_to(TEMPLATES)), "javascript: URL"))
    assert not offenders


def _check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FANGKONG_", "SECRET_KEY", "DEBUG"))}
    clean.pop("SECURE_COOKIES", None)
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "fangkong.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "fangkong.example.com",
    "FANGKONG_HTTPS": "1",
    "FANGKONG_FIELD_KEY": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",  # 32 bytes (else fangkong.E002)
}


def test_check_deploy_is_clean_with_production_settings():
    result = _check_deploy({**PRODUCTION, "SECRET_KEY": secrets.token_urlsafe(50)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_is_clean_behind_a_tls_proxy_that_redirects_itself():
    proxy = {**PRODUCTION, "FANGKONG_SSL_REDIRECT": "0", "FANGKONG_PROXY_SSL_HEADER": "1"}
    result = _check_deploy({**proxy, "SECRET_KEY": secrets.token_urlsafe(50)})
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_fails_without_a_secret_key_from_the_environment():
    result = _check_deploy(PRODUCTION)
    assert result.returncode != 0
    assert "fangkong.E001" in result.stdout + result.stderr


def test_check_deploy_fails_with_debug_or_plain_http():
    for env in ({**PRODUCTION, "DEBUG": "1"}, {**PRODUCTION, "FANGKONG_HTTPS": "0"}):
        result = _check_deploy({**env, "SECRET_KEY": secrets.token_urlsafe(50)})
        assert result.returncode != 0, env
