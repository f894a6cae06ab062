"""The PostgreSQL backend's health check (fangkong.lib.postgresql): a persistent connection the server
has dropped is replaced before a request uses it; a healthy idle one is kept without a statement."""

from __future__ import annotations

import select
from collections.abc import Iterator

import pytest
from django.db import connection, connections

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend's own check"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def persistent() -> Iterator:
    """A connection of its own, as a server worker holds one across requests."""
    db = connections.create_connection("default")
    assert db.health_check_enabled is False  # (until it connects; then from CONN_HEALTH_CHECKS)
    db.ensure_connection()
    assert db.health_check_enabled, "settings.py turns the health checks on"
    yield db
    db.close()


def _pid(db) -> int:
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _next_request(db) -> None:
    """What Django does between two requests of a worker (request_started/finished)."""
    db.close_if_unusable_or_obsolete()


def _selects(db) -> list[str]:
    """Statements the check runs itself, outside Django's cursor wrappers."""
    ran: list[str] = []
    usable = db.is_usable

    def counted() -> bool:
        ran.append("SELECT 1")
        return usable()

    db.is_usable = counted
    return ran


def test_a_healthy_idle_connection_is_kept_without_a_statement(persistent):
    pid = _pid(persistent)
    ran = _selects(persistent)
    for _ in range(3):
        _next_request(persistent)
        assert _pid(persistent) == pid
    assert ran == []


def test_a_connection_the_server_ended_is_replaced_before_the_request_uses_it(persistent):
    pid = _pid(persistent)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert cursor.fetchone()[0] is True
    _wait_until_readable(persistent)
    _next_request(persistent)
    assert _pid(persistent) != pid  # a new connection answered; the request saw no error
    assert persistent.errors_occurred is False


def test_a_connection_with_something_waiting_is_asked_and_kept_when_it_answers(persistent):
    pid = _pid(persistent)
    with persistent.cursor() as cursor:
        cursor.execute("LISTEN fangkong_health_check")
    with connection.cursor() as cursor:
        cursor.execute("NOTIFY fangkong_health_check")
    _wait_until_readable(persistent)
    ran = _selects(persistent)
    _next_request(persistent)
    assert _pid(persistent) == pid
    assert ran == ["SELECT 1"]


def _wait_until_readable(db, seconds: float = 10.0) -> None:
    poll = select.poll()
    poll.register(db.connection.pgconn.socket, select.POLLIN)
    assert poll.poll(int(seconds * 1000)), "the server sent nothing"
