"""The shipped list of supply items (supplies/data/items.csv, see data/README.md)."""

from __future__ import annotations

import csv
from pathlib import Path

ITEMS_CSV = Path(__file__).resolve().parent / "data" / "items.csv"


def item_rows() -> list[dict[str, str | int]]:
    with open(ITEMS_CSV, encoding="utf-8", newline="") as f:
        return [{**row, "sort": int(row["sort"])} for row in csv.DictReader(f)]


def load_items(item_model) -> int:
    """Insert the shipped items that are missing (existing rows are kept as they are); returns the count."""
    existing = set(item_model.objects.values_list("code", flat=True))
    new = [item_model(**row) for row in item_rows() if row["code"] not in existing]
    item_model.objects.bulk_create(new)
    return len(new)
