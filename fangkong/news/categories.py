"""The news categories: data (news/data/categories.csv), read once."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from django.utils.translation import get_language

CATEGORIES_CSV = Path(__file__).resolve().parent / "data" / "categories.csv"


@cache
def _rows() -> tuple[tuple[str, str, str], ...]:
    with open(CATEGORIES_CSV, encoding="utf-8", newline="") as f:
        return tuple((r["code"], r["name"], r["name_en"]) for r in csv.DictReader(f))


def codes() -> list[str]:
    return [code for code, _zh, _en in _rows()]


def choices() -> list[tuple[str, str]]:
    zh = (get_language() or "").lower().startswith("zh")
    return [(code, name if zh else name_en) for code, name, name_en in _rows()]


def label(code: str) -> str:
    return dict(choices()).get(code, code)
