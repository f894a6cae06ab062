"""The default inspection checklist: the 15 control aspects, from data/checklist.json.

It mirrors the 15 aspects of the controls policy (issue 7); it is shipped here as a data file so that
inspections do not depend on the controls app's tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils.translation import get_language

DATA = Path(__file__).resolve().parent / "data" / "checklist.json"


@dataclass(frozen=True)
class Aspect:
    code: str
    zh: str
    en: str

    @property
    def label(self) -> str:
        return self.zh if (get_language() or "").lower().startswith("zh") else self.en


@cache
def aspects() -> tuple[Aspect, ...]:
    with DATA.open(encoding="utf-8") as f:
        return tuple(Aspect(a["code"], a["zh"], a["en"]) for a in json.load(f)["aspects"])


def codes() -> frozenset[str]:
    return frozenset(a.code for a in aspects())


def label(code: str) -> str:
    for a in aspects():
        if a.code == code:
            return a.label
    return code
