"""Canary scans over every route of the isolation tables (issue 11, Isolation and Privacy).

1. Canaries are planted in enterprise E2: a person with a distinctive name, ID number and mobile, a
   check-in note, a ledger item, an incident, a news post, a donation, a project abroad, a report's
   note. Signed in as each E1 persona and as the segment admin of another segment, every page and API
   route of tests/route_tables is requested (lists, exports, aggregates; the slow variant adds
   filters, ordering, pagination and an E2 `unit` filter): no response, XLSX cell or PDF text holds a
   canary. Sanity: E2's own admin, calling the same routes on E2, does see them (so a leak would show).
2. The raw ID number and mobile of any person (E1's too) appear in no response or file for any
   persona (masked forms only), error pages included, nor in the logs (caplog). Revealing one is the
   explicit, logged `privacy_reveal` action: its answer is the one response not scanned for them.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import subprocess
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from fangkong.org import actions as org_actions
from fangkong.org.models import Person, Role, Unit
from tests.factories import accept, unit, user
from tests.route_tables import API, PAGES
from tests.test_isolation_routes import _bearer, _fill_data, _page_url, _sample

NAME = "金丝雀寇蒂"
ID_FIRST17 = "42010619770707777"  # the check digit is computed (_id_number)
MOBILE = "13977700777"
CANARIES = [
    NAME,
    "CANARY7",
    "金丝雀打卡备注",
    "金丝雀台账事项",
    "金丝雀事故描述",
    "金丝雀通知标题",
    "金丝雀捐赠方",
    "金丝雀海外项目",
    "金丝雀报表备注",
    "第二企业",
    "卡萝",
]
# Routes whose purpose is to show a raw identifier to the one who asks, logged (privacy app).
REVEALS = {"privacy_reveal"}
# Filters, ordering and pagination tried on every GET in the slow variant.
VARIANTS = [
    # A prefix of the name: a search box echoes its query, a leaked result would show the whole name.
    {"q": NAME[:-1], "search": NAME[:-1], "name": NAME[:-1]},
    {"unit": "E2", "code": "E2", "enterprise": "E2"},
    {"page": "2", "page_size": "500", "limit": "500", "offset": "0"},
    {"order": "-id", "sort": "-name", "ordering": "-created_at", "state": "all", "status": "all"},
]


def _id_number() -> str:
    from fangkong.lib.identity import id_check_digit

    return ID_FIRST17 + id_check_digit(ID_FIRST17)


def _plant(w) -> Person:
    """The canaries of E2, each through its module's action as a user would create it."""
    from fangkong.checkins.actions import CheckinData, submit_checkin
    from fangkong.ledger.actions import open_item
    from fangkong.news.actions import publish_post
    from fangkong.overseas.actions import create_project
    from fangkong.reports.actions import submit_report
    from fangkong.reports.defaults import load_defaults
    from fangkong.reports.models import ReportType
    from fangkong.safety.actions import report_incident
    from fangkong.supplies.actions import record_donation

    now = timezone.now()
    canary = org_actions.add_person(
        "test",
        employee_no="CANARY7",
        name=NAME,
        unit=w.e2,
        joined_on=date(2020, 1, 1),
        id_number=_id_number(),
        mobile=MOBILE,
    )
    accept(canary)  # the privacy notice, as every generated person has
    data = CheckinData(uuid.uuid4(), Decimal("36.5"), note="金丝雀打卡备注")
    submit_checkin("test", canary, data, source="self")
    open_item(
        "test",
        kind="other",
        key="canary",
        unit=w.e2,
        title="金丝雀台账事项",
        due_at=now + timedelta(days=1),
        person=canary,
    )
    report_incident(
        "test",
        unit=w.e2,
        kind="other",
        occurred_at=now - timedelta(hours=1),
        place="金丝雀车间",
        description="金丝雀事故描述",
    )
    publish_post("test", unit=w.e2, title="金丝雀通知标题", body="金丝雀正文", category="notice")
    record_donation(
        "test", unit=w.e2, direction="received", kind="money", counterparty="金丝雀捐赠方", amount="1234"
    )
    create_project("test", enterprise=w.e2, name="金丝雀海外项目", country="PK", timezone_name="Asia/Karachi")
    load_defaults()
    daily = ReportType.objects.get(code="epidemic_daily")
    values = {"on_site": 0, "isolated": 0, "new_confirmed": 0, "new_suspected": 0, "note": "金丝雀报表备注"}
    submit_report("test", w.e2, daily, timezone.localdate(), values=values)
    return canary


@pytest.fixture
def planted(w):
    canary = _plant(w)
    s2 = unit("S2", Unit.Kind.SEGMENT, w.group, name="建设板块")
    unit("E3", Unit.Kind.ENTERPRISE, s2, name="第三企业")
    w.s2_admin = user("s2_admin", Role.SEGMENT_ADMIN, s2)
    return canary


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _texts(response) -> list[str]:
    """What a user gets: the page or JSON as text, every cell of an XLSX, the text of a PDF."""
    body, kind = _body(response), response.get("Content-Type", "")
    if "spreadsheetml" in kind or body[:2] == b"PK":
        wb = load_workbook(io.BytesIO(body), read_only=True)
        return [str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c]
    if "pdf" in kind:
        if shutil.which("pdftotext") is None:
            return [body.decode("latin-1")]
        out = subprocess.run(["pdftotext", "-", "-"], input=body, capture_output=True, check=True)
        return [out.stdout.decode()]
    text = body.decode("utf-8", "replace")
    if "json" in kind:
        text = json.dumps(json.loads(text), ensure_ascii=False)
    return [text]


def _calls(user, which: str, *, variants: bool):
    """(route, response) for every page (signed in) and API operation (bearer token) of the tables,
    called with the `which` samples."""
    client = Client()
    client.force_login(user)
    for name, call in sorted(PAGES.items()):
        url, data = _page_url(name, which), _fill_data(call.data, which, name)
        if call.method == "GET":
            for extra in [{}, *(VARIANTS if variants else [])]:
                yield name, client.get(url, {**data, **extra})
        else:
            yield name, client.post(url, data) if call.method == "POST" else client.generic(call.method, url)
    client = _bearer(user)
    for (method, path), call in sorted(API.items()):
        url = re.sub(r"\{(\w+)\}", lambda m, path=path: _sample(m.group(1), which, path), path)
        data = _fill_data(call.data, which, path)
        if method == "GET":
            for extra in [{}, *(VARIANTS if variants else [])]:
                yield path, client.get(url, {**data, **extra})
            if path.endswith("/bulletin"):
                yield path, client.get(url, {**data, "format": "pdf"})
        else:
            yield path, client.generic(method, url, data=json.dumps(data), content_type="application/json")


def _hits(user, which: str, canaries: list[str], raw: list[str], *, variants: bool = False) -> list[str]:
    """Where any canary, or any raw identifier (except in a reveal's own answer), shows up."""
    found = []
    for route, response in _calls(user, which, variants=variants):
        needles = canaries + ([] if route in REVEALS else raw)
        for text in _texts(response):
            found += [f"{route} [{response.status_code}]: {n}" for n in needles if n in text]
    return sorted(set(found))


def _raw_identifiers() -> list[str]:
    return [v for p in Person.objects.all() for v in (p.id_number, p.mobile) if v]


# Signed in as each of these, E2's canaries and anyone's raw identifiers never show. The default
# suite walks three (the enterprise admin sees most of E1, the employee least, the segment admin of
# another segment has no E1 at all); the slow variant walks every persona with filters.
E1_PERSONAS = ["enterprise_admin", "employee", "s2_admin"]
ALL_E1_PERSONAS = [*E1_PERSONAS, "grid_leader", "tracker", "inspector"]


@pytest.mark.parametrize("who", E1_PERSONAS)
def test_no_e2_canary_nor_raw_identifier_reaches_another_enterprise(w, planted, who, caplog):
    caplog.set_level(logging.DEBUG)
    raw = _raw_identifiers()
    assert _id_number() in raw and MOBILE in raw and len(raw) >= 8
    assert _hits(getattr(w, who), "e1", CANARIES, raw) == []
    assert [v for v in raw if v in caplog.text] == [], "raw identifiers in the logs"


def test_the_canaries_are_visible_where_they_belong_masked(w, planted, caplog):
    """E2's own admin, on E2's pages and API, sees each module's canary (so a leak would show), and the
    canary person's identifiers only masked."""
    caplog.set_level(logging.DEBUG)
    raw = _raw_identifiers()
    hits = _hits(w.outsider, "own", CANARIES, raw)
    assert [h for h in hits if any(h.endswith(f": {v}") for v in raw)] == []
    seen = "\n".join(hits)
    shown = [NAME, "金丝雀台账事项", "金丝雀事故描述", "金丝雀通知标题", "金丝雀捐赠方", "金丝雀海外项目"]
    assert [c for c in shown if c not in seen] == []
    assert any(".xlsx" in h or "export" in h for h in hits), "an export was scanned"
    client = Client()
    client.force_login(w.outsider)
    roster = _texts(client.get(_page_url("roster", "own")))[0]
    assert NAME in roster and planted.id_number_masked in roster and planted.mobile_masked in roster
    assert [v for v in raw if v in caplog.text] == [], "raw identifiers in the logs"


def test_the_group_admin_sees_no_raw_identifier_even_on_error_pages(w, planted, caplog):
    """The group admin sees everyone: still masked, on every route and on the 404 of absent objects."""
    caplog.set_level(logging.DEBUG)
    raw = _raw_identifiers()
    for which in ("e1", "absent"):
        assert _hits(w.group_admin, which, [], raw) == [], which
    assert [v for v in raw if v in caplog.text] == [], "raw identifiers in the logs"


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("FANGKONG_RUN_SLOW") != "1", reason="slow: set FANGKONG_RUN_SLOW=1")
@pytest.mark.parametrize("who", ALL_E1_PERSONAS)
def test_no_canary_with_filters_ordering_and_pagination(w, planted, who):
    assert _hits(getattr(w, who), "e1", CANARIES, _raw_identifiers(), variants=True) == []


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("FANGKONG_RUN_SLOW") != "1", reason="slow: set FANGKONG_RUN_SLOW=1")
@pytest.mark.parametrize("who", ["segment_admin", "outsider", "grid_leader", "tracker", "inspector"])
def test_no_raw_identifier_for_any_persona_anywhere(w, planted, who):
    for which in ("e1", "own", "absent"):
        assert _hits(getattr(w, who), which, [], _raw_identifiers(), variants=True) == [], which
