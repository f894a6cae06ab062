"""Bearer tokens (`Authorization: Bearer <token>`) and the browser session, for the same API."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import Any, Protocol

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer

from fangkong.checkins.actions import DEVICE_PREFIX
from fangkong.checkins.models import Device
from fangkong.org import access, rawsql
from fangkong.org.actions import token_digest
from fangkong.org.models import ApiToken
from fangkong.org.rawsql import Columns, table

_TOUCH_EVERY = timedelta(minutes=5)


_TOKEN = Columns(ApiToken, "t")
_USER = Columns(get_user_model(), "u")


@cache
def _token_sql() -> str:
    return (
        f"SELECT {_TOKEN.sql}, {_USER.sql}, gg.g_role, gg.g_path FROM {table(ApiToken)} t "  # noqa: S608
        f"JOIN {table(get_user_model())} u ON u.id = t.user_id {access.grants_join('u.id')} "
        "WHERE t.digest = %s AND t.revoked_at IS NULL AND u.is_active"
    )


def _live_token(token: str) -> ApiToken | None:
    """The token, if it is neither revoked nor held by a disabled account, with its user and the
    user's grants: one hand-written read (org.rawsql), as every API call of the morning peak makes
    it (a row per grant)."""
    with rawsql.cursor() as cursor:
        cursor.execute(_token_sql(), [token_digest(token)])
        return _token_from(cursor.fetchall())


def _token_from(rows: list[tuple[Any, ...]]) -> ApiToken | None:
    if not rows:
        return None
    n = len(_TOKEN)
    found = _TOKEN.build(rows[0][:n])
    found.user = _USER.build(rows[0][n : n + len(_USER)])
    access.remember_grants(found.user, (row[-2:] for row in rows))
    return found


class Prefetch(Protocol):
    """A read a route wants with the token, in the token's statement (`BearerAuth(prefetch=…)`)."""

    def statement(self, request: HttpRequest) -> tuple[str, list[Any]] | None:
        """A SELECT of at most one row to join to the token's read (None: nothing to read)."""

    def keep(self, request: HttpRequest, rows: list[tuple[Any, ...]]) -> None:
        """Keep what the statement read (its row, or none) for the view; called only once the token
        is accepted."""


@cache
def _token_with_sql(extra: str) -> str:
    # One statement: the token's rows (one per grant), each with the extra read's row or NULLs.
    return f"WITH tk AS ({_token_sql()}), ex AS ({extra}) SELECT * FROM tk LEFT JOIN ex ON 1 = 1"  # noqa: S608


def _live_token_with(
    token: str, extra: tuple[str, list[Any]]
) -> tuple[ApiToken | None, list[tuple[Any, ...]]]:
    """`_live_token` and the extra read in one statement: (the token or None, the extra's rows)."""
    sql, params = extra
    with rawsql.cursor() as cursor:
        cursor.execute(_token_with_sql(sql), [token_digest(token), *params])
        rows = cursor.fetchall()
    n = len(_TOKEN) + len(_USER) + 2  # the token's columns, then the extra's
    found = _token_from([row[:n] for row in rows])
    return found, [rows[0][n:]] if rows and rows[0][n] is not None else []


def bearer_user(request: HttpRequest) -> Any:
    """The account behind the request's `Authorization: Bearer` token, or None (for middleware that
    runs before the API authenticates, e.g. the look-up rate limit)."""
    scheme, _, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    found = _live_token(token.strip())
    return found.user if found is not None else None


class _Bearer(HttpBearer):
    """ninja's HttpBearer, reading the header from `request.META`. ninja's reads `request.headers`,
    which builds a dict of every header at its first use (~30 calls a request) that nothing else on
    the check-in path needs. The same parsing: the scheme, one space, the rest is the token."""

    def __call__(self, request: HttpRequest) -> Any:
        value = request.META.get("HTTP_AUTHORIZATION")
        if not value:
            return None
        scheme, _, token = value.partition(" ")
        if scheme.lower() != self.openapi_scheme:
            return None
        return self.authenticate(request, token)


class BearerAuth(_Bearer):
    """An API token. With `prefetch`, the route's first read joins the token's read (one statement
    instead of two): a single check-in reads the person it names so."""

    def __init__(self, prefetch: Prefetch | None = None) -> None:
        super().__init__()
        self.prefetch = prefetch

    def authenticate(self, request: HttpRequest, token: str):
        statement = self.prefetch.statement(request) if self.prefetch is not None else None
        if statement is None:
            found = _live_token(token)
        else:
            found, extra = _live_token_with(token, statement)
            if found is not None and self.prefetch is not None:
                self.prefetch.keep(request, extra)
        if found is None:
            return None
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at > _TOUCH_EVERY:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user


class SessionAuth(APIKeyCookie):
    """The signed-in browser session (CSRF is checked on unsafe methods)."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def authenticate(self, request: HttpRequest, key: str | None):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


class DeviceAuth(_Bearer):
    """A kiosk's or gate's token: accepted only on the check-in routes, for its own enterprise."""

    def authenticate(self, request: HttpRequest, token: str):
        if not token.startswith(DEVICE_PREFIX):
            return None
        device = (
            Device.objects.select_related("enterprise")
            .filter(digest=token_digest(token), revoked_at__isnull=True)
            .first()
        )
        return device
