"""Timestamps read from PostgreSQL (fangkong.lib.postgresql): the compiled loader the backend uses
gives every value Django's own loader gives — the same instants, labelled UTC — and refuses the same
ones."""

from __future__ import annotations

import datetime

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend's own loader"),
    pytest.mark.django_db,
]

VALUES = [
    "2026-01-01 08:00:00+08",
    "2026-06-01 12:34:56.789012+05:45",
    "2026-03-29 01:30:00-03:30",
    "1900-01-01 00:00:00+00",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "infinity",
    "-infinity",
    None,
]


def _read(value: str | None, *, djangos: bool) -> object:
    """The value as the backend's cursors read it, or as Django's own loader would (its exception
    class for a value neither can give as a datetime)."""
    with connection.cursor() as cursor:
        if djangos:
            register_tzloader(datetime.UTC, cursor.cursor)
        try:
            cursor.execute("SELECT %s::timestamptz", [value])
            return cursor.fetchone()[0]
        except Exception as exc:  # noqa: BLE001 - compared between the two loaders
            return type(exc)


def test_timestamps_read_as_djangos_own_loader_reads_them():
    for value in VALUES:
        fast, djangos = _read(value, djangos=False), _read(value, djangos=True)
        assert fast == djangos, value
        if isinstance(fast, datetime.datetime):
            assert fast.tzinfo is datetime.UTC and djangos.tzinfo is datetime.UTC, value
    refused = _read("infinity", djangos=False)
    assert isinstance(refused, type) and issubclass(refused, Exception)  # by both, not a wrong value


def test_a_moment_sent_in_beijing_time_reads_back_the_same_in_utc():
    beijing = datetime.timezone(datetime.timedelta(hours=8))
    at = datetime.datetime(2026, 12, 6, 7, 59, 30, 123456, tzinfo=beijing)
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz", [at])
        read = cursor.fetchone()[0]
    assert read == at
    assert read.tzinfo is datetime.UTC
    assert (read.day, read.hour, read.microsecond) == (5, 23, 123456)  # 23:59:30 UTC the day before
    # The backend's loader is in use (not Django's, which each cursor would otherwise re-register).
    loader = connection.connection.adapters.get_loader(psycopg.postgres.types["timestamptz"].oid, 0)
    assert loader.__module__ == "fangkong.lib.postgresql.base"
