"""The shipped region tables (fangkong/data/regions_cn.csv and countries.csv, see data/README.md)."""

from __future__ import annotations

import csv
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def region_rows() -> list[dict[str, str | None]]:
    """Chinese divisions (parents before children), then countries, as dicts for Region."""
    with open(DATA_DIR / "regions_cn.csv", encoding="utf-8", newline="") as f:
        cn = list(csv.DictReader(f))
    order = {"province": 0, "city": 1, "county": 2}
    cn.sort(key=lambda r: (order[r["level"]], r["code"]))
    rows = [
        {
            "code": r["code"],
            "name": r["name"],
            "name_en": "",
            "level": r["level"],
            "parent_id": r["parent"] or None,
        }
        for r in cn
    ]
    with open(DATA_DIR / "countries.csv", encoding="utf-8", newline="") as f:
        rows += [
            {
                "code": r["code"],
                "name": r["name"],
                "name_en": r["name_en"],
                "level": "country",
                "parent_id": None,
            }
            for r in csv.DictReader(f)
        ]
    return rows


def load_regions(region_model) -> int:
    """Insert the shipped regions that are missing; returns how many were added."""
    existing = set(region_model.objects.values_list("code", flat=True))
    new = [region_model(**r) for r in region_rows() if r["code"] not in existing]
    region_model.objects.bulk_create(new, batch_size=1000)
    return len(new)
