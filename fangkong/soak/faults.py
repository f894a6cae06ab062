"""The faults of a soak run, spread over it by progress (share of check-ins finished).

- `kill`: SIGKILL one gunicorn worker by PID (the arbiter starts a new one);
- `restart`: `pg_ctl restart -m fast` of the soak's own cluster;
- `stop`: `pg_ctl stop -m immediate`, DOWN seconds of outage, then start (crash recovery).

Each fault opens a new client Window (what the clients saw until the next fault). For the database
faults the window records when the database was back, the first 201 a client received after that,
and how long a probe posting straight to the server took to get a check-in stored again.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections.abc import Callable, Sequence
from typing import Any

from fangkong.bench.driver import Server

from .clients import Item, Tally, Window, probe_until_served
from .cluster import Cluster

KINDS = {
    "kill": "worker killed (SIGKILL)",
    "restart": "pg_ctl restart -m fast",
    "stop": "pg_ctl stop -m immediate",
}
DEFAULT_PLAN = "kill,restart,kill,stop,kill,restart,kill"


def parse_plan(spec: str) -> list[str]:
    kinds = [k.strip() for k in spec.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown fault kinds {unknown}; known: {', '.join(KINDS)}")
    return kinds


def schedule(kinds: Sequence[str]) -> list[tuple[float, str]]:
    """Evenly spread: the i-th of n faults when (i + 1) / (n + 1) of the check-ins are finished."""
    n = len(kinds)
    return [((i + 1) / (n + 1), kind) for i, kind in enumerate(kinds)]


class FaultRunner:
    def __init__(
        self,
        *,
        cluster: Cluster,
        server: Server,
        workers: int,
        tally: Tally,
        total: int,
        token: str,
        make_probe: Callable[[], Item],
        down_seconds: float,
        say: Callable[[str], None],
    ):
        self.cluster = cluster
        self.server = server
        self.workers = workers
        self.tally = tally
        self.total = total
        self.token = token
        self.make_probe = make_probe
        self.down_seconds = down_seconds
        self.say = say
        self.rng = random.Random()
        self.skipped: list[str] = []

    async def run(self, plan: list[tuple[float, str]], finished: asyncio.Event) -> None:
        for fraction, kind in plan:
            while self.tally.done < fraction * self.total and not finished.is_set():
                await asyncio.sleep(0.1)
            if finished.is_set():
                self.skipped.append(kind)
                continue
            window = Window(KINDS[kind], time.monotonic() - self.tally.t0, self.tally.done / self.total)
            self.tally.windows.append(window)
            self.say(f"fault at {window.progress:.0%}: {window.kind}")
            if kind == "kill":
                await self._kill_worker(window)
            else:
                await self._database(kind, window)

    async def _kill_worker(self, window: Window) -> None:
        pids = self.server.worker_pids()
        if not pids:
            window.detail["error"] = "no worker found"
            return
        victim = self.rng.choice(pids)
        os.kill(victim, signal.SIGKILL)
        killed = time.monotonic()
        window.back_at = killed  # the other workers go on serving
        window.detail["pid"] = victim
        while time.monotonic() - killed < 60:
            now = self.server.worker_pids()
            if victim not in now and len(now) >= self.workers:
                window.detail["worker_respawned_s"] = round(time.monotonic() - killed, 2)
                break
            await asyncio.sleep(0.05)

    async def _database(self, kind: str, window: Window) -> None:
        down = time.monotonic()
        if kind == "restart":
            await asyncio.to_thread(self.cluster.restart_fast)
        else:
            await asyncio.to_thread(self.cluster.stop_immediate)
            await asyncio.sleep(self.down_seconds)
            await asyncio.to_thread(self.cluster.start)
        back = time.monotonic()
        window.back_at = back
        window.detail["database_down_s"] = round(back - down, 2)
        probe = await probe_until_served(self.server.port, self.token, self.make_probe, self.tally)
        window.detail["server_recovered_s"] = None if probe is None else round(probe, 2)
        self.say(
            f"database back after {back - down:.1f} s; server storing again after "
            + ("never" if probe is None else f"{probe:.2f} s")
        )


def summarise(windows: Sequence[Window], t0: float) -> list[dict[str, Any]]:
    return [w.as_dict(t0) for w in windows]
