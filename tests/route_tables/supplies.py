"""Isolation table for the supplies and donations routes (see tests/test_isolation_routes.py).

The `donation_uid` sample names a donation the personas' world does not have: it is recorded on first
use, in the test's database, with a fixed uid (one by E1, one by E2)."""

from __future__ import annotations

from typing import cast

from .common import Call, Sample

E1_DONATION = "7a2b3c4d-0e4b-4d8e-9a53-1e2b3c4d5e01"
E2_DONATION = "7a2b3c4d-0e4b-4d8e-9a53-1e2b3c4d5e02"
ABSENT_DONATION = "00000000-0000-4000-8000-0000000000d0"


def _donation(uid: str, unit_code: str) -> str:
    from fangkong.org.models import Unit
    from fangkong.supplies import actions
    from fangkong.supplies.models import Donation

    if not Donation.objects.filter(uid=uid).exists():
        donation = actions.record_donation(
            "test",
            unit=Unit.objects.get(code=unit_code),
            direction="given",
            kind="money",
            counterparty="武汉市慈善总会",
            purpose="抗击疫情",
            amount="10000",
        )
        Donation.objects.filter(pk=donation.pk).update(uid=uid)
    return uid


class _LazyDonation:
    absent = ABSENT_DONATION

    @property
    def e1(self) -> str:
        return _donation(E1_DONATION, "E1")

    @property
    def own(self) -> str:
        return _donation(E2_DONATION, "E2")


PARAMS: dict[str, Sample] = {"donation_uid": cast(Sample, _LazyDonation())}

_UNIT = {"unit": "{code}"}
_MOVE = {"item": "mask_surgical", "kind": "received", "quantity": "100"}
_DONATE = {"direction": "given", "kind": "money", "counterparty": "红十字会", "amount": "500"}

PAGES: dict[str, Call] = {
    "supplies_stock": Call("GET", _UNIT),
    "supplies_stock_export": Call("GET", _UNIT),
    "supplies_movements_export": Call("GET", _UNIT),
    "supplies_move": Call("POST", _MOVE),
    "supplies_set_cover": Call("POST", {"item": "mask_surgical", "cover_days": "10"}),
    "supplies_donations": Call("GET", _UNIT),
    "supplies_donations_export": Call("GET", _UNIT),
    "supplies_donate": Call("POST", _DONATE),
    "supplies_receipt": Call(),
}

API: dict[tuple[str, str], Call] = {
    ("GET", "/api/v1/units/{code}/supplies"): Call(),
    ("GET", "/api/v1/units/{code}/donations"): Call(),
}
