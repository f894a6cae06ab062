"""`fangkong device register|list|revoke`: a device token posts check-ins for its enterprise only."""

import io
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.test import Client


def _run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _post(token, person):
    body = {"id": str(uuid.uuid4()), "person": person, "temperature": 36.6}
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.post("/api/v1/checkins", body, content_type="application/json")


def test_register_list_revoke(w):
    token = _run("device", "register", "E1", "gate 1").strip().splitlines()[-1]
    assert token.startswith("fkd_")
    assert _post(token, "A0001").status_code == 201
    assert _post(token, "C0001").status_code == 404  # another enterprise's person
    listing = _run("device", "list", "E1")
    assert token[:8] in listing and "active" in listing and "gate 1" in listing
    assert token not in listing
    assert _run("device", "list", "E2") == ""
    assert "revoked" in _run("device", "revoke", token[:8])
    assert "revoked" in _run("device", "list", "E1")
    assert _post(token, "A0001").status_code == 401


def test_refusals(w):
    with pytest.raises(CommandError, match="no unit"):
        _run("device", "register", "NOPE", "gate")
    with pytest.raises(CommandError, match="devices belong to an enterprise"):
        _run("device", "register", "E1-G1", "gate")
    with pytest.raises(CommandError, match="0 active devices"):
        _run("device", "revoke", "fkd_nope")
