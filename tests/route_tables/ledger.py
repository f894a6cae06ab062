"""Isolation table for the ledger routes (see tests/test_isolation_routes.py).

Each route of the app goes in PAGES (by URL name) or API (by method and OpenAPI path) with the Call
that reaches an object of E1; new parameters get a Sample in PARAMS.

The `uid` sample names a ledger item that the personas' world does not have: it is opened on first
use, in the test's database, with a fixed uid (one on E1's grid for alice, one on E2 for carol).
"""

from __future__ import annotations

from typing import cast

from .common import Call, Sample

E1_ITEM = "6f1c1e6a-0e4b-4d8e-9a53-1e2b3c4d5e01"
E2_ITEM = "6f1c1e6a-0e4b-4d8e-9a53-1e2b3c4d5e02"
ABSENT_ITEM = "00000000-0000-4000-8000-000000000000"


def _item(uid: str, unit_code: str, employee_no: str) -> str:
    from fangkong.ledger import actions
    from fangkong.ledger.models import Item, Kind
    from fangkong.org.models import Person, Unit

    if not Item.objects.filter(uid=uid).exists():
        item, _created = actions.open_item(
            "test",
            kind=Kind.HEALTH_ANOMALY,
            key=f"walk:{uid}",
            unit=Unit.objects.get(code=unit_code),
            person=Person.objects.get(employee_no=employee_no),
            title=f"{employee_no}: red card",
            due_at=actions.default_due(24),
            detail={"temperature": "38.2", "symptoms": ["cough"]},
        )
        Item.objects.filter(pk=item.pk).update(uid=uid)
    return uid


class _LazyItem:
    """A Sample whose objects are ledger items opened when first asked for."""

    absent = ABSENT_ITEM

    @property
    def e1(self) -> str:
        return _item(E1_ITEM, "E1-G1", "A0001")

    @property
    def own(self) -> str:
        return _item(E2_ITEM, "E2", "C0001")


PARAMS: dict[str, Sample] = {
    "uid": cast(Sample, _LazyItem()),
    # Who an item is given to: E1's prevention officer, nobody, the outsider itself on E2.
    "ledger_owner": Sample("e1_admin", "nobody", "outsider"),
}

_UNIT = {"unit": "{code}"}
_VERSION = {"version": 1}

PAGES: dict[str, Call] = {
    "ledger_items": Call("GET", _UNIT),
    "ledger_mine": Call(kind="own"),
    "ledger_export": Call("GET", _UNIT),
    "ledger_item": Call(),
    "ledger_assign": Call("POST", {"owner": "{ledger_owner}", **_VERSION}),
    "ledger_follow_up": Call("POST", {"note": "called, feels better", **_VERSION}),
    "ledger_close": Call("POST", {"reason": "recovered", **_VERSION}),
    "ledger_reopen": Call(
        "POST",
        {"note": "fever again", **_VERSION},
        unserved="only a closed item reopens (409 on the open sample); tests/ledger/test_views.py",
    ),
}

API: dict[tuple[str, str], Call] = {
    ("GET", "/api/v1/ledger/items"): Call("GET", _UNIT),
    ("GET", "/api/v1/ledger/items/{uid}"): Call(),
    ("POST", "/api/v1/ledger/items/{uid}/close"): Call("POST", {"reason": "recovered", **_VERSION}),
    ("POST", "/api/v1/ledger/items/{uid}/follow-up"): Call("POST", {"note": "called", **_VERSION}),
    ("POST", "/api/v1/ledger/items/{uid}/assign"): Call("POST", {"owner": "{ledger_owner}", **_VERSION}),
}
