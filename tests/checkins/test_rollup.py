"""The roll-up of a root, which is read without a test on the path (checkins.rollup._figures_sql)."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from fangkong.checkins.actions import CheckinData, people_for_checkin, submit_checkin
from fangkong.checkins.rollup import rollup
from fangkong.ledger.models import OPEN_STATES, Item
from fangkong.org.models import Unit
from tests.factories import person, unit

DAY = date(2026, 3, 2)


def _check_in(p, temperature: str) -> None:
    at = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    found = people_for_checkin(pks=[p.pk])[0]
    data = CheckinData(id=uuid.uuid4(), temperature=Decimal(temperature), captured_at=at)
    submit_checkin("test", found, data, source="proxy", now=at + timedelta(minutes=1))


def _tree(code: str, people: int) -> tuple[Unit, list]:
    root = unit(code, Unit.Kind.GROUP)
    ent = unit(f"{code}-E", Unit.Kind.ENTERPRISE, unit(f"{code}-S", Unit.Kind.SEGMENT, root))
    grid = unit(f"{code}-E-1", Unit.Kind.GRID, ent)
    staff = [person(grid if i % 2 else ent, f"{code}{i}", joined=date(2026, 2, 1)) for i in range(people)]
    return root, staff


@pytest.mark.django_db
def test_a_roots_rollup_counts_its_own_tree_only():
    """Two groups in one database: each root's figures, open items included, are its own tree's,
    and equal the sums of its children's."""
    g1, staff1 = _tree("G1", 4)
    g2, staff2 = _tree("G2", 6)
    _check_in(staff1[0], "36.5")
    _check_in(staff1[1], "38.6")  # red: an open item in G1's tree
    for p in staff2[:5]:
        _check_in(p, "38.6")  # five red cards and five open items in G2's tree

    first, second = rollup(g1, DAY), rollup(g2, DAY)

    assert (first["expected"], first["checked_in"], first["missing"]) == (4, 2, 2)
    assert (first["red"], first["open_items"]) == (1, 1)
    assert (second["expected"], second["checked_in"], second["missing"]) == (6, 5, 1)
    assert (second["red"], second["open_items"]) == (5, 5)
    assert Item.objects.filter(state__in=OPEN_STATES).count() == 6
    for figures in (first, second):
        (child,) = figures["children"]
        assert {k: v for k, v in child.items() if k != "code"} == {
            k: v for k, v in figures.items() if k not in ("code", "date", "children")
        }
