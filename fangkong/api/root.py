"""The JSON API under /api/v1/: one module per resource, named like the app it serves."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI

from fangkong.security import outage

from .auth import BearerAuth, SessionAuth

api = NinjaAPI(
    title="fangkong API",
    version="1",
    description="Epidemic prevention and return to work across an enterprise group.",
    auth=[BearerAuth(), SessionAuth()],
    urls_namespace="api",
)
outage.install(api)  # database down: 503 + Retry-After (fangkong.security.outage)


@api.exception_handler(RequestDataTooBig)
def _body_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    """A JSON body over DATA_UPLOAD_MAX_MEMORY_SIZE: 413 naming the body, not Django's 400 page."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024 // 1024
    message = f"the request body is too big (at most {limit} MB): send fewer items per request"
    return api.create_response(request, {"detail": [{"field": "body", "message": message}]}, status=413)


from . import (  # noqa: E402  (each module registers its routes on its router)
    checkins,
    controls,
    dashboard,
    ledger,
    news,
    notify,
    overseas,
    reports,
    safety,
    supplies,
    units,
)

api.add_router("/checkins", checkins.router)  # first: the morning peak resolves it (fangkong/urls.py)
api.add_router("/units", units.router)
api.add_router("/units", checkins.unit_router)
api.add_router("/ledger", ledger.router)
api.add_router("", reports.router)
api.add_router("", controls.router)
api.add_router("", notify.router)
api.add_router("", safety.router)
api.add_router("", supplies.router)
api.add_router("", overseas.router)
api.add_router("", news.router)
api.add_router("", dashboard.router)
