"""Isolation table for the privacy routes (form: see ledger.py).

Revealing an identifier is scoped to the person (employee_no, see org.py's PARAMS). The access log
belongs to data-protection officers only (kind "dpo"): the rightful caller is `officer(w)`, a
data-protection officer of E1; everyone else, the group admin included, gets 404
(tests/privacy/test_access_log.py walks these pages with every persona).
"""

from __future__ import annotations

from .common import Call, Sample

PARAMS: dict[str, Sample] = {}
PAGES: dict[str, Call] = {
    "privacy_reveal_form": Call(),
    "privacy_reveal": Call("POST", {"field": "id_number", "reason": "verify identity for a test"}),
    "privacy_access_log": Call(kind="dpo"),
    "privacy_access_log_export": Call(kind="dpo"),
}
API: dict[tuple[str, str], Call] = {}


def officer(w):
    """The data-protection officer of E1 (created on first use)."""
    from fangkong.org.models import Role
    from tests.factories import user

    return user("dpo_e1", Role.DATA_PROTECTION, w.e1)
