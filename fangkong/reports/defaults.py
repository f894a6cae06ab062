"""The shipped report types (data/defaults.json), loaded by a data migration and by
`fangkong reports defaults`. Idempotent: a type that exists already is left as the group configured it."""

from __future__ import annotations

import json
from datetime import date, time
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data" / "defaults.json"


def load_defaults(apps: Any = None) -> int:
    """Create missing categories and types (with fields and assignments); returns types created.
    `apps` is a migration's app registry, or None for the live models."""
    if apps is None:
        from django.apps import apps as live

        apps = live
    category_model = apps.get_model("reports", "Category")
    type_model = apps.get_model("reports", "ReportType")
    field_model = apps.get_model("reports", "Field")
    assignment_model = apps.get_model("reports", "Assignment")
    data = json.loads(DATA.read_text(encoding="utf-8"))
    categories = {}
    for c in data["categories"]:
        categories[c["code"]], _ = category_model.objects.get_or_create(
            code=c["code"], defaults={"name_zh": c["name_zh"], "name_en": c["name_en"], "order": c["order"]}
        )
    created = 0
    for t in data["types"]:
        if type_model.objects.filter(code=t["code"]).exists():
            continue
        rt = type_model.objects.create(
            code=t["code"],
            name_zh=t["name_zh"],
            name_en=t["name_en"],
            category=categories[t["category"]],
            period=t["period"],
            deadline_time=time.fromisoformat(t["deadline"]),
            deadline_offset_days=t["deadline_offset_days"],
            closing_time=time.fromisoformat(t["closing"]),
            closing_offset_days=t["closing_offset_days"],
            rules=t["rules"],
        )
        for order, f in enumerate(t["fields"]):
            field_model.objects.create(
                report_type=rt,
                code=f["code"],
                label_zh=f["label_zh"],
                label_en=f["label_en"],
                kind=f["kind"],
                required=f.get("required", False),
                min_value=f.get("min"),
                max_value=f.get("max"),
                choices=f.get("choices", []),
                rollup=f.get("rollup", "sum"),
                binding=f.get("binding", ""),
                order=order,
            )
        for a in t["assign"]:
            assignment_model.objects.create(
                report_type=rt, unit_kind=a["unit_kind"], start=date.fromisoformat(a["start"])
            )
        created += 1
    return created
