"""The health card: green / yellow / red from a check-in, by the rule set in force."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from fangkong.lib.recent import Recent

from .models import Card, RuleSet

DEFAULT_RULES = {
    "fever_at": Decimal("37.3"),
    "symptom_is_red": True,
    "contact_is_yellow": True,
    "risk_regions": [],
}


# Every check-in reads the rules: each process keeps them this long. A version published in another
# process is in force everywhere within these seconds; each check-in records the version it used.
CACHE_SECONDS = 5.0


def _newest() -> RuleSet:
    """The newest version; version 1 with the defaults is created if none."""
    rules = RuleSet.objects.order_by("-version").first()
    if rules is None:
        rules, _ = RuleSet.objects.get_or_create(version=1, defaults={**DEFAULT_RULES, "note": "defaults"})
    return rules


_rules = Recent(_newest, CACHE_SECONDS)
current_rules = _rules.get  # the rule set in force
forget_rules = _rules.forget  # a new version was published here, or a test starts


def _in_regions(code: str, prefixes: Iterable[str]) -> bool:
    return any(code.startswith(p.rstrip("0") or p) for p in prefixes)


def evaluate(
    rules: RuleSet, *, temperature: Decimal, symptoms: list[str], contact: bool, visited: list[str]
) -> tuple[str, list[str]]:
    """Return (card, reasons). Reasons are codes, e.g. "fever", "symptom", "contact", "risk_travel"."""
    red: list[str] = []
    if temperature >= rules.fever_at:
        red.append("fever")
    if rules.symptom_is_red and symptoms:
        red.append("symptom")
    if red:
        return Card.RED, red
    yellow: list[str] = []
    if rules.contact_is_yellow and contact:
        yellow.append("contact")
    if any(_in_regions(v, rules.risk_regions) for v in visited):
        yellow.append("risk_travel")
    if yellow:
        return Card.YELLOW, yellow
    return Card.GREEN, []
