"""`fangkong generate` and the demo accounts: a deterministic, valid synthetic group."""

import hashlib
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from fangkong.audit.models import AuditEntry
from fangkong.lib.identity import normalize_id_number, normalize_mobile
from fangkong.org import demo_accounts, generate
from fangkong.org.models import Membership, Person, Region, Role, RoleGrant, Unit

EMPLOYEES = 300


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run(seed: int = 7, **options) -> None:
    out = io.StringIO()
    call_command("generate", employees=EMPLOYEES, days=3, seed=seed, no_migrate=True, stdout=out, **options)


def roster_digest() -> str:
    rows = Person.objects.order_by("employee_no").values_list(
        "employee_no", "name", "unit__code", "id_number"
    )
    units = Unit.objects.order_by("code").values_list("code", "name", "kind", "region_id", "timezone")
    return hashlib.sha256(repr((list(rows), list(units))).encode()).hexdigest()


@pytest.mark.django_db
def test_same_seed_gives_the_same_group_and_another_seed_does_not():
    run(seed=7)
    first = roster_digest()
    run(seed=7, reset=True)
    assert roster_digest() == first
    run(seed=8, reset=True)
    assert roster_digest() != first
    # one audit row per run, and the reset kept the earlier ones
    runs = AuditEntry.objects.filter(action="org.generate").order_by("id")
    assert [(e.detail["seed"], e.detail["reset"]) for e in runs] == [(7, False), (7, True), (8, True)]
    assert runs[0].detail["people"] == EMPLOYEES and runs[0].detail["enterprises"] == 548


@pytest.mark.django_db
def test_generated_tree_and_roster_are_valid():
    run()
    units = {u.pk: u for u in Unit.objects.all()}
    kinds = [u.kind for u in units.values()]
    assert kinds.count(Unit.Kind.GROUP) == 1
    assert kinds.count(Unit.Kind.SEGMENT) == 10
    assert kinds.count(Unit.Kind.ENTERPRISE) == 548
    assert kinds.count(Unit.Kind.GRID) > 2000
    for u in units.values():
        parent = units.get(u.parent_id)
        assert u.path == (parent.path if parent else "/") + f"{u.pk}/"
        assert u.depth == (parent.depth + 1 if parent else 0)
        if u.kind == Unit.Kind.ENTERPRISE:
            assert u.enterprise_id == u.pk and u.region_id
        if u.kind == Unit.Kind.GRID:
            assert u.enterprise_id == parent.enterprise_id and u.region_id == parent.region_id
    enterprises_with_grids = {u.enterprise_id for u in units.values() if u.kind == Unit.Kind.GRID}
    assert enterprises_with_grids == {u.pk for u in units.values() if u.kind == Unit.Kind.ENTERPRISE}
    countries = set(Region.objects.filter(level=Region.Level.COUNTRY).values_list("code", flat=True))
    abroad = [u for u in units.values() if u.kind == Unit.Kind.ENTERPRISE and u.region_id in countries]
    assert 5 <= len(abroad) <= 20 and all(u.timezone != "Asia/Shanghai" for u in abroad)
    assert all(u.parent.name == "境外业务板块" for u in abroad)

    people = list(Person.objects.all())
    parents = {u.parent_id for u in units.values()}
    assert len(people) == EMPLOYEES
    assert len({p.id_number for p in people}) == EMPLOYEES
    assert len({p.employee_no for p in people}) == EMPLOYEES
    for p in people:
        assert normalize_id_number(p.id_number) == p.id_number
        assert normalize_mobile(p.mobile) == p.mobile
        assert units[p.unit_id].kind == Unit.Kind.GRID and units[p.unit_id].enterprise_id == p.enterprise_id
        assert p.unit_id not in parents and p.joined_on.year >= 1990
    domestic = [p for p in people if units[p.enterprise_id].region_id not in countries]
    assert all(p.id_number[:6] == units[p.enterprise_id].region_id for p in domestic)
    memberships = {m.person_id: m for m in Membership.objects.all()}
    assert len(memberships) == EMPLOYEES
    assert all(
        memberships[p.pk].unit_id == p.unit_id
        and memberships[p.pk].start == p.joined_on
        and memberships[p.pk].end is None
        for p in people
    )


@pytest.mark.django_db
def test_generate_refuses_a_database_that_already_has_units():
    run()
    with pytest.raises(CommandError, match="already holds an org tree.*--reset"):
        # without --no-migrate, so the migrate step (a no-op here) runs too
        call_command("generate", employees=10, days=1, stdout=io.StringIO())
    assert Person.objects.count() == EMPLOYEES


@pytest.mark.django_db
def test_demo_accounts_sign_in_and_the_employee_is_linked():
    run()
    accounts = demo_accounts.create_demo_accounts()
    assert [a.role for a in accounts] == [r for _, r, _ in demo_accounts.DEMO_ROLES]
    by_role = {a.role: a for a in accounts}
    assert by_role[Role.GROUP_ADMIN].unit_code == "G" and by_role[Role.SEGMENT_ADMIN].unit_code == "S01"
    enterprise = Unit.objects.get(code=by_role[Role.ENTERPRISE_ADMIN].unit_code)
    grid = Unit.objects.get(code=by_role[Role.GRID_LEADER].unit_code)
    assert enterprise.parent.code == "S01" and grid.enterprise_id == enterprise.pk
    for a in accounts:
        assert Client().login(username=a.username, password=a.password), a.username
        grant = RoleGrant.objects.filter(user__username=a.username, role=a.role, unit__code=a.unit_code)
        assert grant.exists()
    person = Person.objects.get(user__username="employee")
    assert person.unit_id == grid.pk
    grants = RoleGrant.objects.count()  # the accounts' own, and those module histories give their staff
    assert demo_accounts.create_demo_accounts() == accounts  # idempotent: demo reuses its database
    assert RoleGrant.objects.count() == grants


@pytest.mark.django_db
def test_history_generators_get_their_own_rng_and_the_days(monkeypatch):
    calls = []

    def history(rng, days, ctx):
        calls.append((rng.random(), days, ctx.group.code, ctx.employees))
        return {"fake_rows": days * 10}

    monkeypatch.setattr(generate, "HISTORY_GENERATORS", [history])
    run()
    run(reset=True)
    assert calls[0] == calls[1] and calls[0][1:] == (3, "G", EMPLOYEES)
    assert AuditEntry.objects.filter(action="org.generate").last().detail["fake_rows"] == 30


@pytest.mark.django_db
def test_bulk_load_puts_back_every_index_and_key():
    def schema():
        with connection.cursor() as cursor:
            return {
                t: connection.introspection.get_constraints(cursor, t)
                for t in (Person._meta.db_table, Membership._meta.db_table)
            }

    before = schema()
    run()
    assert schema() == before
    assert len(before[Person._meta.db_table]) >= 8


@pytest.mark.django_db
def test_demo_loads_once_then_reuses_and_prints_the_accounts():
    first, second = io.StringIO(), io.StringIO()
    call_command("demo", employees=EMPLOYEES, no_serve=True, port=8123, stdout=first)
    call_command("demo", employees=EMPLOYEES, no_serve=True, port=8123, stdout=second)
    assert "Loading the demo group" in first.getvalue() and "Reusing" in second.getvalue()
    for out in (first.getvalue(), second.getvalue()):
        assert "http://127.0.0.1:8123/" in out
        assert all(f"{username} " in out for username, _, _ in demo_accounts.DEMO_ROLES)
        assert demo_accounts.DEMO_PASSWORD in out
    assert Person.objects.count() == EMPLOYEES
    assert AuditEntry.objects.filter(action="org.generate").count() == 1
