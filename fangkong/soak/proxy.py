"""A loopback HTTP proxy that loses a share of the answers after the server has given them.

One request per connection (gunicorn's sync workers close after each answer, and the soak's
clients send `Connection: close`): the proxy reads the request, sends it to the server on a new
connection, reads the whole answer — at that point the server has committed — and then, with
probability `drop`, closes the client's connection without a byte of it. The client sees a
connection error and retries the same id and body, which the server must answer as a replay.

An answer the server never finished (a worker killed mid-request) is likewise a closed connection.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass, field

HEAD_LIMIT = 64 * 1024
UPSTREAM_TIMEOUT = 150.0  # longer than gunicorn's own worker timeout (120 s)


@dataclass
class ProxyStats:
    requests: int = 0
    forwarded: int = 0
    dropped: int = 0
    dropped_status: Counter[int] = field(default_factory=Counter)
    upstream_failed: int = 0
    client_gone: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "forwarded": self.forwarded,
            "dropped_after_answer": self.dropped,
            "dropped_by_status": {str(k): v for k, v in sorted(self.dropped_status.items())},
            "upstream_failed": self.upstream_failed,
            "client_gone": self.client_gone,
        }


def content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip() or 0)
    return 0


def status_of(head: bytes) -> int:
    parts = head.split(b"\r\n", 1)[0].split()
    return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else 0


async def read_message(reader: asyncio.StreamReader, *, to_eof: bool) -> tuple[bytes, bytes]:
    """(head including the blank line, body). A body without Content-Length runs to EOF if to_eof."""
    head = await reader.readuntil(b"\r\n\r\n")
    n = content_length(head)
    if n:
        body = await reader.readexactly(n)
    elif to_eof:
        body = await reader.read()
    else:
        body = b""
    return head, body


class DroppingProxy:
    """`await start()`, then `port`; `await stop()` closes the listening socket."""

    def __init__(self, upstream_port: int, *, drop: float, seed: int | None = None):
        self.upstream_port = upstream_port
        self.drop = drop
        self.rng = random.Random(seed)
        self.stats = ProxyStats()
        self.port = 0
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", 0, backlog=1024, limit=HEAD_LIMIT
        )
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                head, body = await read_message(reader, to_eof=False)
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
                self.stats.client_gone += 1
                return
            self.stats.requests += 1
            answer = await self._forward(head + body)
            if answer is None:
                self.stats.upstream_failed += 1
                writer.transport.abort()  # as a load balancer does when its backend went away
                return
            if self.rng.random() < self.drop:
                self.stats.dropped += 1
                self.stats.dropped_status[status_of(answer)] += 1
                writer.transport.abort()  # the server answered (and committed); the client never hears
                return
            self.stats.forwarded += 1
            writer.write(answer)
            await writer.drain()
        except ConnectionError:
            self.stats.client_gone += 1
        finally:
            writer.close()

    async def _forward(self, request: bytes) -> bytes | None:
        """The server's whole answer, or None when it closed or timed out before finishing one."""
        try:
            up_reader, up_writer = await asyncio.open_connection(
                "127.0.0.1", self.upstream_port, limit=HEAD_LIMIT
            )
        except OSError:
            return None
        try:
            up_writer.write(request)
            await up_writer.drain()
            head, body = await asyncio.wait_for(read_message(up_reader, to_eof=True), UPSTREAM_TIMEOUT)
            return head + body
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError):
            return None
        finally:
            up_writer.close()
