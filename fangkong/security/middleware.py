"""Request-level guards: body size, no-store caching, session timeouts, person look-up rate limits; the
Content-Security-Policy header (django-csp, with the settings' policy built once)."""

from __future__ import annotations

import functools
import http
import json
import time
from collections.abc import Callable
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as _CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

GetResponse = Callable[[HttpRequest], HttpResponseBase]

API_PREFIX = "/api/"

# Session keys: when the session was signed in, and when it was last seen (epoch seconds).
STARTED = "_fk_started"
SEEN = "_fk_seen"
# "Last seen" is written at most this often: a session save on every request costs a write each.
TOUCH_EVERY = 60


def clock() -> float:
    """Now, in epoch seconds (one place for tests to move time)."""
    return time.time()


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


class RequestSizeLimitMiddleware:
    """413 for a body declared bigger than MAX_REQUEST_BYTES, before any byte of it is read.

    Nothing is parsed, spooled to a temporary file or kept in memory. (Django reads at most
    CONTENT_LENGTH bytes, so a body without one is read as empty.) Non-file bodies are further
    limited by DATA_UPLOAD_MAX_MEMORY_SIZE when they are read.
    """

    def __init__(self, get_response: GetResponse):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.MAX_REQUEST_BYTES
        if length > limit:
            return too_big(request, length, limit)
        return self.get_response(request)


def _megabytes(n: int) -> str:
    return f"{n / 1024 / 1024:.0f}"


def too_big(request: HttpRequest, length: int, limit: int) -> HttpResponse:
    message = _("The request is too big (%(size)s MB, at most %(limit)s MB): split the file.") % {
        "size": _megabytes(length),
        "limit": _megabytes(limit),
    }
    if _is_api(request):
        return JsonResponse({"detail": [{"field": "body", "message": message}]}, status=413)
    # The session and user are not loaded yet: a page of its own, not one extending base.html.
    body = render_to_string("security/refused.html", {"title": _("Too big"), "message": message})
    return HttpResponse(body, status=413)


class NulCharacterMiddleware:
    """400 (422 on the API) naming the field for a NUL character anywhere in the query, form fields
    or a JSON body. PostgreSQL's text columns cannot hold one: without this check a stray NUL from a
    broken scanner or an attacker reaches the database and answers 500 (SQLite stores it silently).
    Runs after the size limit, so what it reads is bounded."""

    def __init__(self, get_response: GetResponse):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        try:
            loc = _nul_location(request)
        except MultiPartParserError:
            return malformed(request)
        except RequestDataTooBig:
            loc = None  # the view answers 413 naming the body when it reads it
        if loc is not None:
            return refused_nul(request, loc)
        return self.get_response(request)


def _has_nul(name: str, values: list[str]) -> bool:
    return "\x00" in name or any("\x00" in v for v in values)


def _nul_location(request: HttpRequest) -> list[str | int] | None:
    """Where the first NUL is, as the API names places: ["query", name], ["body", 0, "id"] …"""
    if "\x00" in request.path_info:
        return ["path"]
    for name, values in request.GET.lists():
        if _has_nul(name, values):
            return ["query", name.replace("\x00", "")]
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    content_type = request.content_type or ""
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, values in request.POST.lists():
            if _has_nul(name, values):
                return ["form", name.replace("\x00", "")]
    elif content_type.endswith("json") and b"\\u0000" in request.body:
        try:
            found = _json_nul(json.loads(request.body), [])
        except ValueError:
            return None  # not JSON: the API answers that itself
        return ["body", *found] if found is not None else None
    return None


def _json_nul(node: Any, path: list[str | int]) -> list[str | int] | None:
    """The path of the first JSON key or string holding a NUL (`[0, "id"]` in a batch)."""
    if isinstance(node, str):
        return path if "\x00" in node else None
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        if isinstance(key, str) and "\x00" in key:
            return [*path, key.replace("\x00", "")]
        found = _json_nul(value, [*path, key])
        if found is not None:
            return found
    return None


def malformed(request: HttpRequest) -> HttpResponse:
    """A multipart body that cannot be parsed (a JSON text sent as form data, a broken boundary)."""
    message = _("The form data could not be read: send it again as a form or as JSON.")
    if _is_api(request):
        return JsonResponse({"detail": message}, status=400)
    body = render_to_string("security/refused.html", {"title": _("Not accepted"), "message": message})
    return HttpResponse(body, status=400)


def refused_nul(request: HttpRequest, loc: list[str | int]) -> HttpResponse:
    field = str(loc[-1])
    message = _("%(field)s contains a NUL character (\\0): remove it and send again.") % {"field": field}
    if _is_api(request):
        return JsonResponse({"detail": [{"loc": loc, "msg": message, "type": "value_error"}]}, status=422)
    body = render_to_string("security/refused.html", {"title": _("Not accepted"), "message": message})
    return HttpResponse(body, status=400)


# What a view or decorator of django-csp sets on a response to change its policy.
_CSP_PER_RESPONSE = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)


@functools.cache
def _settings_policies() -> tuple[tuple[str, str, str, tuple[str, ...]], ...]:
    """(header, policy, exempting attribute, excluded path prefixes) of each policy the settings set,
    built by django-csp as its middleware builds them for a response that changes nothing."""
    found = []
    for header, name, exempt, report_only in (
        (HEADER, "CONTENT_SECURITY_POLICY", "_csp_exempt", False),
        (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", "_csp_exempt_ro", True),
    ):
        if policy := build_policy(report_only=report_only):
            prefixes = (getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            found.append((header, policy, exempt, tuple(prefixes)))
    return tuple(found)


@receiver(setting_changed)
def _policy_settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _settings_policies.cache_clear()


class CSPMiddleware(_CSPMiddleware):
    """django-csp's middleware, which builds both policies from the settings on every response
    (~5 % of a check-in's Python time in cProfile). A response whose request used no nonce
    and that carries no policy of its own gets the same headers every time: here they are built once
    per settings. Pages with a nonce and responses of csp's decorators go through django-csp as before.
    """

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in _CSP_PER_RESPONSE
        ):
            return super().process_response(request, response)
        debug_page = response.status_code in (
            http.HTTPStatus.INTERNAL_SERVER_ERROR,
            http.HTTPStatus.NOT_FOUND,
        )
        if debug_page and settings.DEBUG:
            return response
        for header, policy, exempt, prefixes in _settings_policies():
            if header not in response and not getattr(response, exempt, False):
                if not request.path_info.startswith(prefixes):
                    response[header] = policy
        # As django-csp does (and with setattr, as it does): a nonce asked for after the header was
        # written is an error, not a nonce silently missing from the policy.
        setattr(request, "csp_nonce", CheckableLazyObject(self._csp_nonce_post_response))  # noqa: B010
        return response


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every response that may carry personal data.

    Signed-in pages and every API answer are never kept by a browser or a proxy (a shared phone, a
    shared office PC, a corporate proxy). Static files are served by whitenoise before this runs.
    """

    def __init__(self, get_response: GetResponse):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        personal = (
            _is_api(request)
            or "HTTP_AUTHORIZATION" in request.META
            or (user is not None and user.is_authenticated)
        )
        if personal or "Cache-Control" not in response:
            patch_cache_control(response, no_store=True, private=True)
        return response


def start_session_clock(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """On sign-in (connected to user_logged_in): the absolute and idle clocks start now."""
    session = getattr(request, "session", None)
    if session is not None:
        now = int(clock())
        session[STARTED] = now
        session[SEEN] = now


class SessionGuardMiddleware:
    """Ends a session that idled past SESSION_IDLE_TIMEOUT, lived past SESSION_ABSOLUTE_TIMEOUT, or
    belongs to an account that was disabled (or deleted) since it signed in.

    The idle clock slides: every request moves it (written at most once a minute).
    """

    def __init__(self, get_response: GetResponse):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        session = request.session
        if SESSION_KEY in session:
            if not request.user.is_authenticated:
                # Django no longer resolves the account (is_active False, deleted, password
                # changed): drop the session itself, not only this request's user.
                session.flush()
            else:
                self._check_clocks(request)
        return self.get_response(request)

    def _check_clocks(self, request: HttpRequest) -> None:
        session = request.session
        now = int(clock())
        started = session.get(STARTED)
        seen = session.get(SEEN)
        if not isinstance(started, int) or not isinstance(seen, int):
            session[STARTED] = session[SEEN] = now  # a session from before these clocks
            return
        if now - started >= settings.SESSION_ABSOLUTE_TIMEOUT or now - seen >= settings.SESSION_IDLE_TIMEOUT:
            logout(request)  # flushes the session; this request goes on as anonymous
            return
        if now - seen >= TOUCH_EVERY:
            session[SEEN] = now


def _account_key(request: HttpRequest) -> str | None:
    """Who is looking people up: the signed-in account, or the account behind a bearer token.

    The account's creation time is part of the key, so an account id reused after a deletion never
    inherits the previous holder's count.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        from fangkong.api.auth import bearer_user

        user = bearer_user(request)
    if user is None:
        return None  # anonymous: the view refuses it anyway
    return f"{user.pk}.{int(user.date_joined.timestamp())}"


class LookupRateLimitMiddleware:
    """At most LOOKUP_RATE_LIMIT person look-ups per account per LOOKUP_RATE_WINDOW seconds.

    The views are named in LOOKUP_RATE_LIMITED_VIEWS (URL names). Past the limit: 429 with
    Retry-After (seconds until the window ends). A fixed window counted in Django's cache.
    """

    def __init__(self, get_response: GetResponse):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        match = request.resolver_match
        limit, window = settings.LOOKUP_RATE_LIMIT, settings.LOOKUP_RATE_WINDOW
        if match is None or limit <= 0 or match.view_name not in settings.LOOKUP_RATE_LIMITED_VIEWS:
            return None
        account = _account_key(request)
        if account is None:
            return None
        now = clock()
        slot = int(now // window)
        key = f"fangkong:lookups:{account}:{slot}"
        cache.add(key, 0, timeout=window + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window + 1)
            count = 1
        if count <= limit:
            return None
        retry_after = max(1, int((slot + 1) * window - now + 0.999))
        return too_many(request, retry_after)


def too_many(request: HttpRequest, retry_after: int) -> HttpResponse:
    message = _("Too many look-ups of people: try again in %(seconds)s seconds.") % {"seconds": retry_after}
    response: HttpResponse
    if _is_api(request):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "security/too_many.html", {"message": message}, status=429)
    response["Retry-After"] = str(retry_after)
    return response
