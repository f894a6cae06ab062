"""The CLI calls of the integration contract: user create, token create (and revoke)."""

import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from fangkong.org.models import RoleGrant, Unit
from tests.factories import unit


@pytest.fixture
def tree(db):
    g = unit("G", Unit.Kind.GROUP)
    s = unit("S1", Unit.Kind.SEGMENT, g)
    return unit("E1", Unit.Kind.ENTERPRISE, s)


def _run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_user_create_grants_role_and_is_idempotent(tree):
    _run("user", "create", "wang", "--role", "enterprise_admin", "--unit", "E1", "--password", "pw-Secret-99")
    _run("user", "create", "wang", "--role", "enterprise_admin", "--unit", "E1")
    _run("user", "create", "wang", "--role", "tracker", "--unit", "E1")
    assert sorted(RoleGrant.objects.filter(user__username="wang").values_list("role", flat=True)) == [
        "enterprise_admin",
        "tracker",
    ]
    assert Client().login(username="wang", password="pw-Secret-99")


def test_user_create_refuses_unknown_unit_and_role(tree):
    with pytest.raises(CommandError, match="--unit"):
        _run("user", "create", "li", "--role", "tracker", "--unit", "NOPE")
    with pytest.raises(CommandError):
        _run("user", "create", "li", "--role", "emperor", "--unit", "E1")
    assert not User.objects.filter(username="li").exists()


def test_token_create_prints_a_working_token_on_the_last_line(tree):
    _run("user", "create", "zhao", "--role", "enterprise_admin", "--unit", "E1")
    token = _run("token", "create", "zhao").strip().splitlines()[-1]
    resp = Client().get("/api/v1/units", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert resp.status_code == 200 and [u["code"] for u in resp.json()] == ["E1"]
    _run("token", "revoke", token[:8])
    assert Client().get("/api/v1/units", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401


def test_console_script_runs_django_commands():
    exe = Path(sys.executable).parent / "fangkong"
    assert exe.exists(), "the fangkong console script is installed beside the interpreter"
    out = subprocess.run([str(exe), "help"], capture_output=True, text=True, check=True).stdout
    for name in ("serve", "user", "token", "audit", "migrate", "createsuperuser"):
        assert name in out
