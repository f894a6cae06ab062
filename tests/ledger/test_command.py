"""`fangkong ledger overdue [--unit CODE]`: overdue open items, no health detail."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from fangkong.ledger import actions
from fangkong.ledger.models import CloseReason

from .helpers import open_item


def _run(*args: str) -> list[str]:
    out = StringIO()
    call_command("ledger", "overdue", *args, stdout=out, stderr=StringIO())
    return out.getvalue().splitlines()


def test_overdue_lists_open_late_items_without_health_detail(w):
    late = open_item(w.grid1, person=w.alice, owner=w.grid_leader, due_in=timedelta(hours=-3))
    closed = open_item(w.grid2, person=w.bob, due_in=timedelta(hours=-5))
    actions.close_item("test", closed, reason=CloseReason.RECOVERED, version=closed.version)
    open_item(w.grid2, person=w.bob, due_in=timedelta(hours=5))  # not yet due
    far = open_item(w.e2, person=w.carol, due_in=timedelta(days=-1), title="卡萝 (C0001): red card")
    lines = _run()
    assert [line.split("\t")[1] for line in lines] == [str(far.uid), str(late.uid)]
    assert "E1-G1" in lines[1] and "grid_leader" in lines[1]
    assert not any("38.9" in line or "cough" in line for line in lines)
    assert [line.split("\t")[1] for line in _run("--unit", "E1")] == [str(late.uid)]
    with pytest.raises(CommandError):
        _run("--unit", "NOPE")
