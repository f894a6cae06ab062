"""The roll-up of a root, which is read without a test on the path (checkins.rollup._figures_sql), and a
page of the missing list (a board's first missing people, the API's and the list page's pages), which
skips the units before it by the day's counters (checkins.rollup.missing_page)."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from fangkong.checkins import rollup as rollup_module
from fangkong.checkins.actions import CheckinData, people_for_checkin, submit_checkin
from fangkong.checkins.rollup import (
    MISSING_ORDER,
    MissingList,
    missing_page,
    missing_people,
    rollup,
)
from fangkong.ledger.models import OPEN_STATES, Item
from fangkong.org.actions import transfer_person
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


@pytest.mark.django_db
@pytest.mark.parametrize("read_at_once", [0, 16], ids=["by-the-counters", "read-at-once"])
def test_the_missing_lists_pages_are_its_slices_whoever_moved_since(monkeypatch, read_at_once):
    """A board lists the first missing people of its enterprise, and a page of its missing list any
    slice of it, without reading the people before it. People who moved since the day are listed by
    their unit now, as the full list has them: one who moved out to an enterprise whose path sorts
    first comes first; one who moved in after the day is not listed; one who moved between two
    grids is listed under the new grid."""
    monkeypatch.setattr(rollup_module, "READ_AT_ONCE", read_at_once)  # this tree's 6 units
    root = unit("G", Unit.Kind.GROUP)
    seg = unit("S", Unit.Kind.SEGMENT, root)
    first = unit("E1", Unit.Kind.ENTERPRISE, seg)  # made first: its path sorts before E2's
    ent = unit("E2", Unit.Kind.ENTERPRISE, seg)
    grids = [unit(f"E2-{i}", Unit.Kind.GRID, ent) for i in range(1, 6)]
    staff = {u.code: [person(u, f"{u.code}-{i}", joined=date(2026, 2, 1)) for i in range(3)] for u in grids}
    for p in [staff["E2-1"][0], staff["E2-4"][1], *staff["E2-5"]]:
        _check_in(p, "36.5")
    leaver = transfer_person("test", staff["E2-5"][0], first, DAY + timedelta(days=1))
    transfer_person("test", staff["E2-3"][2], grids[0], DAY + timedelta(days=1))  # between grids
    newcomer = person(first, "E1-new", joined=date(2026, 2, 1))
    transfer_person("test", newcomer, grids[1], DAY + timedelta(days=1))

    full = list(missing_people(ent, DAY).select_related("unit").order_by(*MISSING_ORDER))
    listed = [p.employee_no for p in full]
    assert listed[:4] == ["E2-1-1", "E2-1-2", "E2-3-2", "E2-2-0"]  # the mover under E2-1, now
    assert "E1-new" not in listed and leaver.employee_no not in listed  # checked in before leaving
    assert len(listed) == 10
    for n in (0, 1, 2, 4, 5, 10, 20):
        got = missing_page(ent, DAY, 0, n)
        assert [p.employee_no for p in got] == listed[:n]
        assert [p.unit.code for p in got] == [p.unit.code for p in full[:n]]

    _every_page_is_the_lists_slice(ent, full)

    # The one who moved out had not checked in: listed first, under the enterprise they are in now.
    gone = transfer_person("test", staff["E2-2"][0], first, DAY + timedelta(days=2))
    got = [(p.employee_no, p.unit.code) for p in missing_page(ent, DAY, 0, 3)]
    assert got == [(gone.employee_no, "E1"), ("E2-1-1", "E2-1"), ("E2-1-2", "E2-1")]
    full = list(missing_people(ent, DAY).select_related("unit").order_by(*MISSING_ORDER))
    assert got == [(p.employee_no, p.unit.code) for p in full[:3]]
    _every_page_is_the_lists_slice(ent, full)


def _every_page_is_the_lists_slice(u: Unit, full: list) -> None:
    """missing_page gives the full list's slice for every start and end, the units of the people
    who moved since included."""
    want = [(p.employee_no, p.unit.code) for p in full]
    for start in range(len(full) + 2):
        for stop in range(start, len(full) + 3):
            got = [(p.employee_no, p.unit.code) for p in missing_page(u, DAY, start, stop)]
            assert got == want[start:stop], (start, stop)


@pytest.mark.django_db
@pytest.mark.parametrize("read_at_once", [0, 16], ids=["by-the-counters", "read-at-once"])
def test_a_paged_missing_list_is_the_full_list_in_pages_with_the_days_figure_as_its_count(
    monkeypatch, read_at_once
):
    """The missing list's pages (the API's, the list page's), each read by `missing_page`, are the
    full list's slices; the count is the roll-up's figure."""
    monkeypatch.setattr(rollup_module, "READ_AT_ONCE", read_at_once)
    root = unit("G", Unit.Kind.GROUP)
    ent = unit("E", Unit.Kind.ENTERPRISE, unit("S", Unit.Kind.SEGMENT, root))
    grids = [ent, *(unit(f"E-{i}", Unit.Kind.GRID, ent) for i in range(1, 4))]
    staff = [person(grids[i % 4], f"P{i:02d}", joined=date(2026, 2, 1)) for i in range(12)]
    for p in staff[::3]:
        _check_in(p, "36.5")
    full = [p.employee_no for p in missing_people(ent, DAY).order_by(*MISSING_ORDER)]
    assert len(full) == 8
    missing = MissingList(ent, DAY)
    pages = [[p.employee_no for p in missing[i : i + 2]] for i in range(0, 10, 2)]
    assert pages == [full[0:2], full[2:4], full[4:6], full[6:8], []]
    assert [p.employee_no for p in missing] == full  # the whole list (an unbounded slice)
    assert missing.count() == len(missing) == 8 == rollup(ent, DAY)["missing"]
