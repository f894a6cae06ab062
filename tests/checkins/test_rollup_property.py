"""Property: the roll-up equals a direct count over roster, check-ins and exemptions, whatever happens."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from fangkong.checkins import rollup as rollup_module
from fangkong.checkins.actions import (
    CheckinData,
    add_exemption,
    cancel_exemption,
    people_for_checkin,
    submit_checkin,
)
from fangkong.checkins.batch import Submission, submit_many
from fangkong.checkins.models import CheckIn, Exemption
from fangkong.checkins.rollup import MISSING_ORDER, missing_page, missing_people, rollup
from fangkong.org.actions import ActionError, person_leaves, rejoin_person, transfer_person
from fangkong.org.models import Membership, Person, Unit
from tests.factories import person, unit

DAYS = [date(2026, 3, d) for d in range(1, 5)]
TEMPS = [Decimal("36.5"), Decimal("37.5"), Decimal("38.4")]

op = st.one_of(
    st.tuples(
        st.just("checkin"), st.integers(0, 7), st.integers(0, 3), st.sampled_from(TEMPS), st.booleans()
    ),
    st.tuples(st.just("exempt"), st.integers(0, 7), st.integers(0, 3), st.integers(0, 2)),
    st.tuples(st.just("transfer"), st.integers(0, 7), st.integers(1, 3), st.integers(0, 2)),
    st.tuples(st.just("cancel"), st.integers(0, 7)),
    # several people (or one twice) in one set-based batch: new check-ins, amendments, exempt people
    st.tuples(
        st.just("batch"),
        st.lists(st.tuples(st.integers(0, 7), st.sampled_from(TEMPS)), min_size=1, max_size=6),
        st.integers(0, 3),
    ),
    st.tuples(st.just("leave"), st.integers(0, 7), st.integers(1, 3)),
    st.tuples(st.just("rejoin"), st.integers(0, 7), st.integers(1, 3), st.integers(0, 3)),
    # somebody reads the day in between: its counters are opened and must then follow every change
    st.tuples(st.just("look"), st.integers(0, 7), st.integers(0, 3)),
)


def _direct(u: Unit, day: date) -> dict[str, int]:
    paths = u.path
    expected = set(
        Membership.objects.filter(unit__path__startswith=paths, start__lte=day)
        .exclude(end__lte=day)
        .values_list("person_id", flat=True)
    )
    current = {
        c.person_id: c for c in CheckIn.objects.filter(day=day, current=True) if c.person_id in expected
    }
    exempt = {
        e.person_id
        for e in Exemption.objects.filter(start__lte=day, end__gte=day, cancelled_at=None)
        if e.person_id in expected and e.person_id not in current
    }
    abnormal = sum(1 for c in current.values() if c.card != "green")
    return {
        "expected": len(expected),
        "checked_in": len(current),
        "exempt": len(exempt),
        "abnormal": abnormal,
        "missing": len(expected) - len(current) - len(exempt),
    }


class RollupProperty(TestCase):
    def setUp(self):
        self.group = unit("G", Unit.Kind.GROUP)
        seg = unit("S", Unit.Kind.SEGMENT, self.group)
        self.ent = unit("E", Unit.Kind.ENTERPRISE, seg)
        self.grids = [self.ent, unit("E-1", Unit.Kind.GRID, self.ent), unit("E-2", Unit.Kind.GRID, self.ent)]
        self.sub = unit("E-1-a", Unit.Kind.GRID, self.grids[1])
        self.grids.append(self.sub)
        self.people = [person(self.grids[i % 4], f"P{i}", joined=date(2026, 2, 1)) for i in range(8)]
        # missing_page skips these few units by the counters, as it skips a large enterprise's
        patch = mock.patch.object(rollup_module, "READ_AT_ONCE", 0)
        patch.start()
        self.addCleanup(patch.stop)

    def _batch(self, items, day: date) -> None:
        at = datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)
        people = {p.pk: p for p in people_for_checkin(pks=[x.pk for x in self.people])}
        subs = [
            Submission(
                n,
                people[self.people[i].pk],
                CheckinData(id=uuid.uuid4(), temperature=t, captured_at=at),
                "proxy",
            )
            for n, (i, t) in enumerate(items)
        ]
        submit_many("test", subs, now=at + timedelta(minutes=1))

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(op, max_size=25))
    def test_rollup_equals_direct_count(self, ops):
        for o in ops:
            p = Person.objects.get(pk=self.people[o[1] if o[0] != "batch" else 0].pk)
            try:
                if o[0] == "look":
                    rollup(self.group, DAYS[o[2]])
                elif o[0] == "checkin":
                    day = DAYS[o[2]]
                    at = datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
                    data = CheckinData(id=uuid.uuid4(), temperature=o[3], contact=o[4], captured_at=at)
                    submit_checkin("test", p, data, source="proxy", now=at + timedelta(minutes=1))
                elif o[0] == "batch":
                    self._batch(o[1], DAYS[o[2]])
                elif o[0] == "exempt":
                    add_exemption("test", p, start=DAYS[o[2]], end=DAYS[min(3, o[2] + o[3])], reason="leave")
                elif o[0] == "cancel":
                    for ex in Exemption.objects.filter(person=p, cancelled_at=None)[:1]:
                        cancel_exemption("test", ex)
                elif o[0] == "transfer":
                    transfer_person(
                        "test", p, self.grids[(self.grids.index(p.unit) + o[3] + 1) % 4], DAYS[o[2]]
                    )
                elif o[0] == "leave" and p.status == "active":
                    person_leaves("test", p, DAYS[o[2]])
                elif o[0] == "rejoin" and p.status == "left":
                    rejoin_person("test", p, self.grids[o[3]], DAYS[o[2]])
            except ActionError:
                pass
        for day in DAYS:
            for u in [self.group, self.ent, *self.grids]:
                got = rollup(u, day)
                want = _direct(u, day)
                assert {k: got[k] for k in want} == want, (u.code, day, ops)
                # the missing lists' count (rollup.MissingList) is the figure: it must be the list's
                assert missing_people(u, day).count() == got["missing"], (u.code, day, ops)
                if u in (self.ent, self.grids[1]):  # E-1 has a grid below it, and people leave it
                    # a board's first missing people and a page of the list are the full list's slices,
                    # the units before them skipped by the counters (transfers, leavers)
                    full = list(missing_people(u, day).order_by(*MISSING_ORDER))
                    for start, stop in ((0, 3), (2, 100)):
                        assert missing_page(u, day, start, stop) == full[start:stop], (u.code, day, ops)
                for child in got["children"]:
                    cu = Unit.objects.get(code=child["code"])
                    assert {k: child[k] for k in want} == _direct(cu, day), (cu.code, day, ops)
