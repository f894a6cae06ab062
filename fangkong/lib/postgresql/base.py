"""Django's PostgreSQL backend with a health check that costs no statement, and timestamps read by
psycopg's compiled loader.

With CONN_HEALTH_CHECKS, Django checks a persistent connection at its first use in each request by
running `SELECT 1`: one more statement and round trip on every request. (Together with the CSP
header built once, dropping it made a no-op request 11 % and a check-in 10 % faster, one worker
serially: docs/performance-history.md, session 8.) An idle connection that the server has closed, or sent
anything to, has bytes (or the end of the stream) waiting on its socket. So: a connection that
psycopg holds open and idle, and whose socket has nothing to read, is kept without a statement; any
other goes through Django's own check (`is_usable`, the `SELECT 1`), which reads what is waiting and decides.

A server gone without closing the socket (a cut network) passes both checks alike: the request's
first statement then fails, and Django replaces the connection at the next request.

Timestamps: Django registers its own loader of `timestamptz`, a Python subclass of psycopg's Python
loader that sets the connection's time zone on each value: ~4 µs a value, where the compiled loader
takes under 1 µs (docs/performance-history.md, session 11). When that zone is UTC (Django's default: `USE_TZ`
and no `TIME_ZONE` of the database), Django runs the session in UTC, and the compiled loader gives
the same values with the same `tzinfo` (`datetime.UTC`), so it is used instead. (The compiled loader
reads the session's zone; Django's labels every value UTC, which is right only in such a session.)
"""

from __future__ import annotations

import datetime
import select
from functools import cache
from typing import Any

import psycopg
from django.db.backends.postgresql import base
from psycopg import adapt, pq
from psycopg.abc import Loader as LoaderProtocol
from psycopg.types.datetime import TimestamptzLoader

_TIMESTAMPTZ = psycopg.postgres.types["timestamptz"].oid


class _UtcTimestamptzLoader(adapt.Loader):
    """psycopg's fastest loader of `timestamptz` (compiled where psycopg's C part is installed, and
    not a class Python can extend), with the `timezone` attribute Django's cursors compare with
    their connection's zone. Made once per cursor that reads a timestamp."""

    timezone = datetime.UTC

    def __init__(self, oid: int, context: Any = None):
        super().__init__(oid, context)
        self._compiled = _FASTEST(oid, context)
        # psycopg calls the instance's attribute: the compiled loader's own method, with no Python
        # frame of ours in between.
        self.load = self._compiled.load  # type: ignore[method-assign]

    def load(self, data: Any) -> datetime.datetime:
        """The same, for a caller that looks `load` up on the class."""
        return self._compiled.load(data)


_FASTEST: type[LoaderProtocol] = (
    psycopg.adapters.get_loader(_TIMESTAMPTZ, pq.Format.TEXT) or TimestamptzLoader
)


@cache
def _with_utc_loader(template: adapt.AdaptersMap) -> adapt.AdaptersMap:
    """Django's adapters (one template per zone, cached by Django) with the fast UTC loader."""
    adapters = adapt.AdaptersMap(template)
    adapters.register_loader(_TIMESTAMPTZ, _UtcTimestamptzLoader)
    return adapters


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        if params.get("context") is not None and self.timezone is datetime.UTC:
            params["context"] = _with_utc_loader(params["context"])
        return params

    def close_if_health_check_failed(self) -> None:
        # (django-stubs does not know Django 5's `pool` and the health check's attributes.)
        pooled, enabled = self.pool, self.health_check_enabled  # type: ignore[attr-defined]
        if pooled or self.connection is None or not enabled or self.health_check_done:  # type: ignore[has-type]
            return super().close_if_health_check_failed()
        if not (self._idle_with_nothing_to_read() or self.is_usable()):
            self.close()
        self.health_check_done = True

    def _idle_with_nothing_to_read(self) -> bool:
        connection = self.connection
        if connection.closed or connection.broken:
            return False
        pgconn = connection.pgconn
        if pgconn.status != pq.ConnStatus.OK or pgconn.transaction_status != pq.TransactionStatus.IDLE:
            return False
        try:
            poll = select.poll()
            poll.register(pgconn.socket, select.POLLIN | select.POLLPRI)
            return not poll.poll(0)
        except (OSError, ValueError, connection.OperationalError):
            return False
