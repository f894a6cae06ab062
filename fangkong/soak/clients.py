"""Simulated check-in clients: asyncio, a small HTTP/1.1 client over streams, retries as a phone does.

Each client takes the next check-in from a shared list and posts it until it is acknowledged
(201 created, or 200: a replay of one the server stored while its answer was lost). It retries
the SAME id and body on a connection error, a timeout and a 503 (after Retry-After), with a
capped, jittered back-off. A 4xx is not retried (it would be a bug of the soak or of the server).
A small share of acknowledged check-ins is sent once more on purpose: the answer must be 200 with
the same body as the acknowledgement.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from fangkong.bench.driver import checkin_body

PATH = "/api/v1/checkins"
TIMEOUT = 60.0  # one attempt
GIVE_UP = 600.0  # one check-in, all attempts
BACKOFF_FIRST = 0.2
BACKOFF_CAP = 5.0
RETRY_AFTER_CAP = 10.0


@dataclass
class Item:
    id: str
    body: bytes
    abnormal: bool


@dataclass
class Window:
    """What the clients saw from the start of one fault (or of the run) until the next one."""

    kind: str
    at_s: float
    progress: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    conn_errors: int = 0
    timeouts: int = 0
    back_at: float | None = None  # monotonic: the database (or the worker pool) is back
    first_ack_at: float | None = None  # monotonic: the first 201 received after back_at
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, t0: float) -> dict[str, Any]:
        back = round(self.back_at - t0, 2) if self.back_at else None
        first = round(self.first_ack_at - self.back_at, 2) if self.first_ack_at and self.back_at else None
        return {
            "kind": self.kind,
            "at_s": round(self.at_s, 2),
            "at_progress": round(self.progress, 3),
            "back_at_s": back,
            "first_201_after_back_s": first,
            "responses": {str(k): v for k, v in sorted(self.statuses.items())},
            "503": self.statuses.get(503, 0),
            "500": sum(n for s, n in self.statuses.items() if s >= 500 and s != 503),
            "connection_errors": self.conn_errors,
            "timeouts": self.timeouts,
            **self.detail,
        }


@dataclass
class Tally:
    t0: float = field(default_factory=time.monotonic)
    statuses: Counter[int] = field(default_factory=Counter)
    attempts: int = 0
    retries: int = 0
    conn_errors: int = 0
    timeouts: int = 0
    gave_up: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # 4xx: id and answer
    server_errors: list[str] = field(default_factory=list)  # 5xx other than 503
    acked: dict[str, dict[str, Any]] = field(default_factory=dict)
    acked_by: Counter[int] = field(default_factory=Counter)  # 201 first time, 200 after a lost answer
    duplicates_sent: int = 0
    duplicate_mismatch: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    done: int = 0  # check-ins finished (acknowledged, given up or rejected)
    windows: list[Window] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.windows.append(Window("no fault (start)", 0.0))

    @property
    def window(self) -> Window:
        return self.windows[-1]

    def answer(self, status: int) -> None:
        self.statuses[status] += 1
        w = self.window
        w.statuses[status] += 1
        if status == 201 and w.back_at is not None and w.first_ack_at is None:
            now = time.monotonic()
            if now >= w.back_at:
                w.first_ack_at = now


def make_items(n: int, *, first: int, last: int, tag: str, seed: int) -> list[Item]:
    """n check-ins with unique ids ending in `tag`, random people, ~2 % abnormal (as the bench)."""
    rng = random.Random(seed)
    items: list[Item] = []
    seen: set[str] = set()
    while len(items) < n:
        body = checkin_body(rng, tag, first, last, [])
        if body["id"] in seen:
            continue
        seen.add(body["id"])
        abnormal = body["contact"] or body["temperature"] >= "37.3"
        items.append(Item(body["id"], json.dumps(body).encode(), abnormal))
    return items


class HttpError(ConnectionError):
    """The connection closed before a whole answer arrived."""


async def post(port: int, path: str, token: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    """One POST on a new connection (`Connection: close`): (status, headers, body)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            (
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            ).encode()
            + body
        )
        await writer.drain()
        data = await reader.read()
    finally:
        writer.close()
    head, sep, payload = data.partition(b"\r\n\r\n")
    if not sep:
        raise HttpError("closed without an answer")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split()
    if len(parts) < 2 or not parts[1].isdigit():
        raise HttpError(f"bad status line {lines[0]!r}")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers and len(payload) < int(headers["content-length"]):
        raise HttpError("answer cut short")
    return int(parts[1]), headers, payload


def _backoff(rng: random.Random, attempt: int) -> float:
    return min(BACKOFF_CAP, BACKOFF_FIRST * 2 ** (attempt - 1)) * rng.uniform(0.5, 1.0)


def _retry_after(headers: dict[str, str]) -> float:
    try:
        return min(RETRY_AFTER_CAP, max(0.0, float(headers.get("retry-after", "1"))))
    except ValueError:
        return 1.0


async def submit(
    port: int, token: str, item: Item, tally: Tally, rng: random.Random
) -> tuple[int, dict[str, Any]] | None:
    """Post the item until it is acknowledged: (status, answer), or None (refused or given up)."""
    started = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        tally.attempts += 1
        if attempt > 1:
            tally.retries += 1
        sent = time.monotonic()
        try:
            status, headers, payload = await asyncio.wait_for(post(port, PATH, token, item.body), TIMEOUT)
        except TimeoutError:
            tally.timeouts += 1
            tally.window.timeouts += 1
            delay = _backoff(rng, attempt)
        except (OSError, asyncio.IncompleteReadError):
            tally.conn_errors += 1
            tally.window.conn_errors += 1
            delay = _backoff(rng, attempt)
        else:
            tally.answer(status)
            if status in (200, 201):
                tally.latencies.append(time.monotonic() - sent)
                return status, json.loads(payload)
            if status == 503:
                # Honour Retry-After, plus a little jitter so 200 clients do not come back at once.
                delay = _retry_after(headers) + rng.uniform(0.0, 0.5)
            elif status >= 500:
                tally.server_errors.append(f"{item.id}: HTTP {status} {payload[:200]!r}")
                delay = _backoff(rng, attempt)
            else:
                tally.rejected.append(f"{item.id}: HTTP {status} {payload[:200]!r}")
                return None
        if time.monotonic() - started + delay > GIVE_UP:
            tally.gave_up.append(item.id)
            return None
        await asyncio.sleep(delay)


async def client(
    port: int, token: str, queue: list[Item], tally: Tally, *, seed: int, duplicates: float, deadline: float
) -> None:
    """One simulated client: check-ins from `queue` until it is empty (or the deadline passed)."""
    rng = random.Random(seed)
    while queue and time.monotonic() < deadline:
        item = queue.pop()
        result = await submit(port, token, item, tally, rng)
        tally.done += 1
        if result is None:
            continue
        status, answer = result
        tally.acked[item.id] = answer
        tally.acked_by[status] += 1
        if rng.random() < duplicates:
            # Sent again after success (a double tap, an app that lost its outbox state).
            tally.duplicates_sent += 1
            again = await submit(port, token, item, tally, rng)
            if again is None or again[0] != 200 or again[1] != answer:
                got = "no answer" if again is None else f"{again[0]} {again[1]}"
                tally.duplicate_mismatch.append(f"{item.id}: acknowledged {answer}, duplicate got {got}")


async def probe_until_served(
    port: int, token: str, make: Any, tally: Tally, *, every: float = 0.1, limit: float = 120.0
) -> float | None:
    """Seconds until a fresh check-in posted straight to the server (not through the proxy) is
    stored; None if not within `limit`. The probe's check-ins count as acknowledged ones."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        item: Item = make()
        try:
            status, _, payload = await asyncio.wait_for(post(port, PATH, token, item.body), TIMEOUT)
        except (OSError, TimeoutError, asyncio.IncompleteReadError):
            status, payload = 0, b""
        if status in (200, 201):
            tally.acked[item.id] = json.loads(payload)
            return time.monotonic() - started
        if status >= 500 and status != 503:
            tally.server_errors.append(f"probe {item.id}: HTTP {status} {payload[:200]!r}")
        await asyncio.sleep(every)
    return None
