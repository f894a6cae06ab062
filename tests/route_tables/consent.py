"""Isolation table for the consent routes (form: see ledger.py).

The person's pages act on the caller's own person (the H5 session's): "own". The notice and the
legal basis are the leading group's: "group".
"""

from __future__ import annotations

from .common import Call, Sample

PARAMS: dict[str, Sample] = {}
PAGES: dict[str, Call] = {
    # fangkong.consent.views: the person's own consent page, accepting and withdrawing
    "consent_mine": Call(kind="own"),
    "consent_accept": Call("POST", kind="own"),
    "consent_withdraw": Call("POST", {"confirm": "yes"}, kind="own"),
    # the group admin's notice and legal basis
    "consent_admin": Call(kind="group"),
    "consent_notice_publish": Call("POST", {"text_zh": "告知书", "text_en": "notice"}, kind="group"),
    "consent_basis_set": Call("POST", {"basis": "employment", "reason": "isolation walk"}, kind="group"),
}
API: dict[tuple[str, str], Call] = {}
