"""Isolation table for the risk levels and control plans routes (see tests/test_isolation_routes.py).

Regions are public reference data, so the region pages are group pages (404 below the group).
`PUT /regions/{region_code}/risk` is for the group admin only (403 to anyone else, proved in
tests/controls/test_api.py and by the walk's group-route test): kind "group", so the walk calls it as
the group admin, who is served.
"""

from __future__ import annotations

from typing import cast

from .common import Call, Sample

MEASURE = "entry.temperature"


def _with_evidence(code: str) -> str:
    """The enterprise's first plan, its entry-screening measure attested with an evidence file."""
    from django.core.files.base import ContentFile

    from fangkong.controls import actions
    from fangkong.controls.models import PlanMeasure
    from fangkong.org.models import Unit

    ent = Unit.objects.get(code=code)
    pm = PlanMeasure.objects.filter(plan__enterprise=ent, plan__version=1, measure__code=MEASURE).first()
    if pm is None:
        actions.sync_plans("test", [ent])
        pm = PlanMeasure.objects.get(plan__enterprise=ent, plan__version=1, measure__code=MEASURE)
    if not pm.evidence:
        actions.attest_measure("test", pm, state="done", evidence=ContentFile(b"photo", name="gate.jpg"))
    return MEASURE


class _LazyMeasure:
    """A Sample whose measure has a plan and an evidence file made when first asked for."""

    absent = "no.such_measure"

    @property
    def e1(self) -> str:
        return _with_evidence("E1")

    @property
    def own(self) -> str:
        return _with_evidence("E2")


PARAMS: dict[str, Sample] = {
    "region_code": Sample("110105", "999999", "420106"),
    "measure": cast(Sample, _LazyMeasure()),
    "version": Sample("1", "1", "1"),
}

ASPECTS = "entry masks canteen dormitory shuttle meetings visitors cleaning isolation supplies emergency"
ASPECTS += " travel cross_region reporting health"
# A policy must give every aspect at least one measure.
_ONE_MEASURE_PER_ASPECT = {
    f"m-{n}-{k}": v
    for n, aspect in enumerate(ASPECTS.split())
    for k, v in {"aspect": aspect, "code": f"{aspect}.walk", "text": "检查", "level": "low"}.items()
}

PAGES: dict[str, Call] = {
    "controls_home": Call(kind="own"),
    "controls_regions": Call(kind="group"),
    "controls_region_set": Call(
        "POST", {"region": "110105", "level": "medium", "effective_from": "2026-03-01"}, kind="group"
    ),
    "controls_region_import": Call(
        "POST", {}, kind="group", unserved="needs an uploaded file; success in tests/controls/test_pages.py"
    ),
    "controls_region": Call(kind="group"),
    "controls_policy": Call(kind="group"),
    "controls_policy_publish": Call("POST", {"attest_hours": "48", **_ONE_MEASURE_PER_ASPECT}, kind="group"),
    "controls_operations": Call(),
    "controls_rescreens": Call(),
    "controls_plan": Call(),
    "controls_attest": Call("POST", {"state": "done"}),
    "controls_evidence": Call(),
    "controls_status": Call("POST", {"status": "resumed"}),
    "controls_project": Call("POST", {"name": "二期厂房", "investment": "1200", "status": "building"}),
    "controls_override": Call(
        "POST", {"level": "high", "reason": "聚集性病例", "expires_on": "2099-01-01"}, kind="group"
    ),
    "controls_override_cancel": Call(
        "POST",
        {},
        kind="group",
        unserved="needs a standing override (409 without); tests/controls/test_pages.py",
    ),
}

API: dict[tuple[str, str], Call] = {
    ("PUT", "/api/v1/regions/{region_code}/risk"): Call(
        "PUT", {"level": "medium", "effective_from": "2026-03-01"}, kind="group"
    ),
    ("GET", "/api/v1/units/{code}/controls"): Call(),
    ("GET", "/api/v1/units/{code}/operations"): Call("GET", {"date": "2026-03-01"}),
}
