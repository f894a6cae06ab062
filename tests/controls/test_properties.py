"""Issue 7, acceptance 3 and 4 (Hypothesis): re-screening lists exactly the people whose recent
check-ins name the region or a sub-region; operations rates equal a direct count."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from fangkong.checkins.actions import CheckinData, submit_checkin
from fangkong.checkins.models import CheckIn, OpenDay, UnitDay
from fangkong.controls import actions, queries, rescreen
from fangkong.controls.models import RESUMED_STATUSES, OperatingStatus, RescreenEntry
from fangkong.ledger.models import Item, Kind
from fangkong.org.models import Region, Unit
from tests.factories import checkin_row, person, unit

TODAY = date(2026, 3, 20)
# Hubei (province), Wuhan (city), two of its counties, a Yichang county, Beijing, a country
CODES = ["420000", "420100", "420106", "420111", "420502", "110105", "PK"]
TARGETS = ["420000", "420100", "420106", "PK"]


def _checkin(p, day: date, location: str, visited: list[str]) -> CheckIn:
    row = checkin_row(p, day, location=location, visited=visited)
    row.save(force_insert=True)
    return row


checkin = st.tuples(
    st.integers(0, 5),  # person
    st.integers(0, 20),  # days ago
    st.sampled_from([*CODES, ""]),  # location
    st.lists(st.sampled_from(CODES), max_size=3),  # visited
)


class RescreenProperty(TestCase):
    def setUp(self):
        g = unit("G", Unit.Kind.GROUP)
        e = unit("E1", Unit.Kind.ENTERPRISE, unit("S1", Unit.Kind.SEGMENT, g))
        self.people = [person(e, f"P{i}") for i in range(6)]

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(checkin, max_size=14), st.sampled_from(TARGETS), st.sampled_from(["medium", "high"]))
    def test_listed_exactly_the_people_whose_recent_checkins_name_the_region(self, rows, target, level):
        RescreenEntry.objects.all().delete()
        Item.objects.filter(kind=Kind.RISK_RESCREEN).delete()
        CheckIn.objects.all().delete()
        used: set[tuple[int, date]] = set()
        stored = []
        for who, ago, location, visited in rows:
            day = TODAY - timedelta(days=ago)
            if (who, day) in used:  # one current check-in per person and day
                continue
            used.add((who, day))
            stored.append((who, ago, location, visited))
            _checkin(self.people[who], day, location, visited)
        region = Region.objects.get(code=target)
        chain_of = {c: queries.region_chain(c) if c else [] for c in [*CODES, ""]}
        expected = {
            self.people[who].pk
            for who, ago, location, visited in stored
            if ago < 14 and any(target in chain_of[c] for c in [location, *visited] if c)
        }
        risk = actions.RiskLevel.objects.create(
            region=region, level=level, effective_from=TODAY, source="api", set_by="t"
        )
        entries = rescreen.rescreen("test", risk, TODAY)
        assert {e.person_id for e in entries} == expected
        items = Item.objects.filter(kind=Kind.RISK_RESCREEN)
        assert {i.person_id for i in items} == (expected if level == "high" else set())
        for e in entries:
            assert e.card == "yellow" and e.checkins
            assert all((TODAY - date.fromisoformat(r["day"])).days < 14 for r in e.checkins)


STATUSES = [s.value for s in OperatingStatus.Status]


class OperationsProperty(TestCase):
    def setUp(self):
        g = unit("G", Unit.Kind.GROUP)
        segs = [unit(f"S{i}", Unit.Kind.SEGMENT, g) for i in range(2)]
        self.ents = [unit(f"E{i}", Unit.Kind.ENTERPRISE, segs[i % 2]) for i in range(5)]
        self.people = [person(self.ents[i % 5], f"Q{i}", joined=date(2026, 2, 1)) for i in range(10)]

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.lists(st.tuples(st.integers(0, 4), st.sampled_from(STATUSES), st.integers(0, 9)), max_size=15),
        st.lists(st.tuples(st.integers(0, 9), st.sampled_from(["on_site", "remote", "leave"])), max_size=10),
        st.integers(0, 9),
    )
    def test_rates_equal_a_direct_count(self, changes, checkins, look):
        OperatingStatus.objects.all().delete()
        CheckIn.objects.all().delete()
        UnitDay.objects.all().delete()
        OpenDay.objects.all().delete()
        start = date(2026, 3, 1)
        for e, status, offset in changes:
            OperatingStatus.objects.create(
                enterprise=self.ents[e],
                status=status,
                effective_from=start + timedelta(days=offset),
                reason="r" if status == "suspended" else "",
                set_by="t",
            )
        day = start + timedelta(days=look)
        seen: dict[int, str] = {}
        at = datetime(day.year, day.month, day.day, 1, tzinfo=UTC)
        for who, where in checkins:  # a second one of the same person amends the first
            seen[who] = where
            data = CheckinData(id=uuid.uuid4(), temperature=Decimal("36.5"), where=where, captured_at=at)
            submit_checkin("test", self.people[who], data, source="proxy", now=at + timedelta(minutes=1))
        group = Unit.objects.get(code="G")
        ops = queries.operations(group, day)

        def status_on(ent):  # the last change dated on or before the day, in order of entry
            last = None
            for e, status, offset in changes:
                if self.ents[e] == ent and offset <= look:
                    if last is None or offset >= last[0]:
                        last = (offset, status)
            return last[1] if last else "normal"

        resumed = [e for e in self.ents if status_on(e) in RESUMED_STATUSES]
        assert ops["enterprises"] == 5 and ops["resumed"] == len(resumed)
        assert ops["rate"] == round(100 * len(resumed) / 5, 1)
        assert ops["checked_in"] == len(seen)
        assert ops["on_site"] == sum(1 for where in seen.values() if where == "on_site")
        assert {n["code"] for n in ops["not_resumed"]} == {e.code for e in self.ents if e not in resumed}
        for child in ops["children"]:
            mine = [e for e in self.ents if e.parent.code == child["code"]]
            assert child["resumed"] == sum(1 for e in mine if e in resumed)
