"""The database is down: 503 with Retry-After, never 500 (docs/reliability.md).

A request that fails because the database cannot be reached (connection refused, the server closed
the connection, an administrator shut it down, the server still starting up) raises django.db's
OperationalError or InterfaceError. That is an outage, not a bug: the client is told to come back
in RETRY_AFTER seconds — JSON `{"detail": …}` under /api/, a small page of its own elsewhere.

Three places catch it, because Django turns an exception into a 500 at the layer that raised it:

- `api_outage` is registered on the NinjaAPI (fangkong.api.root): ninja answers a view's exception
  itself when DEBUG is on;
- `DatabaseOutageMiddleware.process_exception`: a view's exception (ninja re-raises it when DEBUG
  is off);
- the `got_request_exception` receiver marks the request when the exception was raised anywhere
  else inside the middleware (a session saved at the end of the request, the user loaded by
  a middleware), and the middleware turns that 500 into the 503; when making the 500 page needed
  the database too (Django's server_error reads the CSRF secret from the session), the error
  escapes the inner layers and the middleware catches it.

Recovery needs nothing here: Django closes a connection on which an error occurred and that is no
longer usable at the end of the request (close_if_unusable_or_obsolete), and CONN_HEALTH_CHECKS
tests a persistent connection before its first use in a request, so the first request after the
database is back opens a fresh connection.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

RETRY_AFTER = 5
OUTAGE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
API_PREFIX = "/api/"
_MARK = "_fk_database_outage"

logger = logging.getLogger("fangkong.outage")


def is_outage(exc: BaseException | None) -> bool:
    return isinstance(exc, OUTAGE_ERRORS)


def unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 answer: JSON under /api/, a page of its own (no session, no database) elsewhere."""
    if request.path_info.startswith(API_PREFIX):
        response: HttpResponse = JsonResponse(
            {"detail": "the database is unavailable; retry in a few seconds"}, status=503
        )
    else:
        body = render_to_string(
            "security/outage.html",
            {
                "title": _("Temporarily unavailable"),
                "message": _("fangkong cannot reach its database. Try again in a few seconds."),
            },
        )
        response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


def _log(request: HttpRequest, exc: BaseException) -> None:
    # One line, no traceback: an outage is expected and logged by the database's own monitoring.
    logger.warning("database unavailable on %s %s: %s", request.method, request.path, str(exc).strip()[:200])


def api_outage(request: HttpRequest, exc: Exception) -> HttpResponse:
    """NinjaAPI exception handler for OUTAGE_ERRORS (registered in fangkong.api.root)."""
    _log(request, exc)
    return unavailable(request)


def install(api: Any) -> None:
    """Register the 503 handler on a NinjaAPI for each outage error."""
    for exc_class in OUTAGE_ERRORS:
        api.add_exception_handler(exc_class, api_outage)


def _mark_request(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """got_request_exception receiver: remember that the 500 being made is an outage."""
    exc = sys.exc_info()[1]
    if request is not None and is_outage(exc):
        setattr(request, _MARK, exc)


got_request_exception.connect(_mark_request, dispatch_uid="fangkong.security.outage")


class DatabaseOutageMiddleware:
    """503 + Retry-After instead of 500 when the database is unreachable (see the module doc).

    Sits outside the session, auth and rate-limit middleware (their database errors are caught)
    and inside the security headers and CSP (the 503 gets them too).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        try:
            response = self.get_response(request)
        except OUTAGE_ERRORS as exc:
            # Django's 500 page itself needed the database (the CSRF secret lives in the session)
            # and raised again: the error escaped the inner layers.
            _log(request, exc)
            return unavailable(request)
        marked = getattr(request, _MARK, None)
        if marked is not None and response.status_code == 500:
            _log(request, marked)
            return unavailable(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_outage(exception):
            _log(request, exception)
            return unavailable(request)
        return None
