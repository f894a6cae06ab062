"""The JSON API under /api/v1/: one module per resource, named like the app it serves."""

from ninja import NinjaAPI

from .auth import BearerAuth, SessionAuth

api = NinjaAPI(
    title="fangkong API",
    version="1",
    description="Epidemic prevention and return to work across an enterprise group.",
    auth=[BearerAuth(), SessionAuth()],
    urls_namespace="api",
)

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

api.add_router("/units", units.router)
api.add_router("/units", checkins.unit_router)
api.add_router("/checkins", checkins.router)
api.add_router("/ledger", ledger.router)
api.add_router("", reports.router)
api.add_router("", controls.router)
api.add_router("", notify.router)
api.add_router("", safety.router)
api.add_router("", supplies.router)
api.add_router("", overseas.router)
api.add_router("", news.router)
api.add_router("", dashboard.router)
