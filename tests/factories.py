"""Small factory functions and the named personas of STYLE.md. Each test builds only what it needs."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from django.contrib.auth.models import User

from fangkong.checkins.models import CheckIn
from fangkong.lib.identity import id_check_digit
from fangkong.org import actions
from fangkong.org.models import Person, Region, Role, Unit

_seq = itertools.count(1)


def region(code: str = "110105") -> Region:
    return Region.objects.get(code=code)


def unit(
    code: str,
    kind: str,
    parent: Unit | None = None,
    *,
    name: str = "",
    region_code: str = "110105",
    tz: str = "Asia/Shanghai",
) -> Unit:
    return actions.create_unit(
        "test",
        code=code,
        name=name or code,
        kind=kind,
        parent=parent,
        region=region(region_code) if kind == Unit.Kind.ENTERPRISE else None,
        timezone_name=tz,
    )


def id_number(n: int | None = None, birth: str = "19900101", area: str = "110105") -> str:
    n = next(_seq) if n is None else n
    first17 = f"{area}{birth}{n % 1000:03d}"
    return first17 + id_check_digit(first17)


def person(
    unit_: Unit,
    employee_no: str | None = None,
    *,
    name: str = "张三",
    joined: date = date(2020, 1, 1),
    with_ids: bool = True,
    accepted: bool = True,
) -> Person:
    n = next(_seq)
    p = actions.add_person(
        "test",
        employee_no=employee_no or f"E{n:06d}",
        name=name,
        unit=unit_,
        joined_on=joined,
        id_number=id_number(n) if with_ids else "",
        mobile=f"138{n:08d}" if with_ids else "",
    )
    if accepted:  # has accepted the current privacy notice (fangkong.consent), as generated people have
        accept(p)
    return p


def checkin_row(p: Person, day: date, *, location: str = "", visited: list[str] | None = None) -> CheckIn:
    """A green self check-in of `p` on `day` as a bare row (unsaved: `.save()` or bulk_create it),
    for tests that read stored check-ins, not the action that stores them."""
    at = datetime(day.year, day.month, day.day, 1, tzinfo=UTC)
    return CheckIn(
        id=uuid.uuid4(),
        person=p,
        unit=p.unit,
        enterprise=p.enterprise,
        day=day,
        temperature=Decimal("36.5"),
        where="on_site",
        location=location,
        visited=visited or [],
        captured_at=at,
        received_at=at,
        source="self",
        card="green",
        rule_version=1,
        digest="x",
    )


def accept(p: Person) -> None:
    from django.utils import timezone

    from fangkong.consent.models import Acceptance, Channel
    from fangkong.consent.notice import current_notice

    Acceptance.objects.create(
        person=p, notice=current_notice(), accepted_at=timezone.now(), channel=Channel.H5
    )


def user(
    username: str, role: str | None = None, on: Unit | None = None, password: str = "pw-Secret-123"
) -> User:
    u, _ = actions.ensure_user("test", username, password)
    if role and on is not None:
        actions.grant_role("test", u, role, on)
    return u


@dataclass
class World:
    group: Unit
    segment: Unit
    e1: Unit
    e2: Unit
    grid1: Unit
    grid2: Unit
    alice: Person  # on grid1 of E1
    bob: Person  # on grid2 of E1
    carol: Person  # on E2 (the other enterprise)
    group_admin: User
    segment_admin: User
    enterprise_admin: User  # of E1
    grid_leader: User  # of grid1
    tracker: User  # on E1
    inspector: User  # on E1
    employee: User  # alice's own account
    outsider: User  # enterprise admin of E2


def world() -> World:
    """The personas: one group, one segment, E1 (two grids) and E2 (another enterprise)."""
    group = unit("G", Unit.Kind.GROUP, name="示例集团")
    segment = unit("S1", Unit.Kind.SEGMENT, group, name="能源板块")
    e1 = unit("E1", Unit.Kind.ENTERPRISE, segment, name="第一企业")
    e2 = unit("E2", Unit.Kind.ENTERPRISE, segment, name="第二企业", region_code="420106")
    grid1 = unit("E1-G1", Unit.Kind.GRID, e1, name="一车间")
    grid2 = unit("E1-G2", Unit.Kind.GRID, e1, name="二车间")
    alice = person(grid1, "A0001", name="艾丽")
    bob = person(grid2, "B0001", name="鲍勃")
    carol = person(e2, "C0001", name="卡萝")
    employee = user("alice", Role.EMPLOYEE, grid1)
    alice.user = employee
    alice.save(update_fields=["user"])
    return World(
        group=group,
        segment=segment,
        e1=e1,
        e2=e2,
        grid1=grid1,
        grid2=grid2,
        alice=alice,
        bob=bob,
        carol=carol,
        group_admin=user("group_admin", Role.GROUP_ADMIN, group),
        segment_admin=user("segment_admin", Role.SEGMENT_ADMIN, segment),
        enterprise_admin=user("e1_admin", Role.ENTERPRISE_ADMIN, e1),
        grid_leader=user("grid_leader", Role.GRID_LEADER, grid1),
        tracker=user("tracker", Role.TRACKER, e1),
        inspector=user("inspector", Role.INSPECTOR, e1),
        employee=employee,
        outsider=user("outsider", Role.ENTERPRISE_ADMIN, e2),
    )


def reload_shipped_data() -> None:
    """Put back the rows that migrations ship (regions, report types, supply items): a transactional
    test's flush empties every table, and the next transactional test expects them."""
    from fangkong.org.models import Region
    from fangkong.org.regions import load_regions
    from fangkong.reports.defaults import load_defaults
    from fangkong.supplies.catalogue import load_items
    from fangkong.supplies.models import SupplyItem

    load_regions(Region)
    load_defaults()
    load_items(SupplyItem)
