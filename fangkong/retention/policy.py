"""Retention periods per data class, read from the settings and checked against the legal minimum.

The settings module already refuses bad values from the environment; `periods()` checks again so a
value set at run time (a test, a settings override) cannot slip under the minimum either, and the
system check below makes `fangkong check` (and every server start) fail on it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

# Audit and access logs: at least 3 years (the settings name the same figure).
LEGAL_MINIMUM_DAYS = 1095

# setting name, minimum
_SETTINGS = {
    "checkins": ("RETENTION_CHECKIN_DAYS", 1),
    "closed_items": ("RETENTION_CLOSED_ITEM_DAYS", 1),
    "left_people": ("RETENTION_LEFT_PERSON_DAYS", 1),
    "notify": ("RETENTION_NOTIFY_DAYS", 1),
    "audit": ("RETENTION_AUDIT_DAYS", LEGAL_MINIMUM_DAYS),
    "access_log": ("RETENTION_ACCESS_LOG_DAYS", LEGAL_MINIMUM_DAYS),
}


@dataclass(frozen=True)
class Periods:
    """Days kept, per class. `audit` and `access_log` are floors the purge never goes under: it never
    deletes those rows at all (docs/privacy.md, "Retention")."""

    checkins: int
    closed_items: int
    left_people: int
    notify: int
    audit: int
    access_log: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _problems() -> list[str]:
    found = []
    for name, minimum in _SETTINGS.values():
        value: Any = getattr(settings, name, None)
        if not isinstance(value, int) or isinstance(value, bool):
            found.append(f"{name} must be a whole number of days, not {value!r}")
        elif value < minimum:
            found.append(f"{name}={value}: must be at least {minimum} days")
    return found


def periods() -> Periods:
    """The periods in force; raises ImproperlyConfigured when one is missing or below its minimum."""
    problems = _problems()
    if problems:
        raise ImproperlyConfigured("; ".join(problems))
    return Periods(**{key: getattr(settings, name) for key, (name, _) in _SETTINGS.items()})


def check_periods(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return [checks.Error(p, id="retention.E001") for p in _problems()]
