"""Deployment checks (`fangkong check --deploy`) beyond Django's own."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def production_settings(app_configs: Any, **kwargs: Any) -> list[Error | Warning]:
    issues: list[Error | Warning] = []
    if not settings.DEBUG and not settings.SECRET_KEY_FROM_ENV:
        issues.append(
            Error(
                "SECRET_KEY is not set in the environment: the key generated under var/ is for "
                "development only.",
                hint='Set SECRET_KEY to a long random value (e.g. `python -c "import secrets; '
                'print(secrets.token_urlsafe(50))"`) kept out of the repository.',
                id="fangkong.E001",
            )
        )
    if not settings.DEBUG and not settings.FIELD_KEY_FROM_ENV:
        issues.append(
            Error(
                "FANGKONG_FIELD_KEY is not set in the environment: ID numbers and mobiles would be "
                "encrypted with the development key generated under var/.",
                hint='Set FANGKONG_FIELD_KEY to base64 of 32 random bytes (`python -c "import base64, '
                'secrets; print(base64.b64encode(secrets.token_bytes(32)).decode())"`), kept out of the '
                "repository and backed up apart from the database (docs/privacy.md).",
                id="fangkong.E002",
            )
        )
    if not settings.AXES_ENABLED:
        issues.append(
            Warning(
                "The sign-in lockout is off (FANGKONG_LOCKOUT=0): passwords can be guessed without limit.",
                id="fangkong.W001",
            )
        )
    if settings.LOOKUP_RATE_LIMIT <= 0:
        issues.append(
            Warning(
                "Person look-ups are not rate-limited (FANGKONG_LOOKUP_LIMIT=0).",
                id="fangkong.W002",
            )
        )
    if not settings.HTTPS:
        issues.append(
            Warning(
                "FANGKONG_HTTPS is off: cookies are not marked secure and no HSTS header is sent.",
                hint="Serve the site over HTTPS and set FANGKONG_HTTPS=1 (docs/security.md).",
                id="fangkong.W003",
            )
        )
    return issues
