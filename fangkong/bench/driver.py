"""Load generation and measurement for `fangkong bench`: wrk for the request-rate figures, a small
Python client for single-client latencies, batches, exports; the server under test as a subprocess.

wrk (Debian package `wrk`, written in C) drives `POST /api/v1/checkins` and the two ceiling views with
the Lua script below: every request gets a fresh random UUID whose last 8 hex digits are a per-phase
tag (so the stored rows of a phase can be counted afterwards), a random person from the generated
range (E0000001 …), a realistic body, ~2 % abnormal (0.5 % fever = red card, 1.5 % contact = yellow).
Responses are counted by status in Lua; anything but the expected status is an error.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

WRK_HINT = "wrk is not installed: `apt-get install -y wrk` (Debian/Ubuntu), or see https://github.com/wg/wrk"

# wrk Lua script. Arguments after `--`: mode (checkin|insert|noop), tag (8 hex), first and last
# employee number, token, output file, region codes (comma-separated).
WRK_SCRIPT = r"""
local threads = {}
local counter = 1

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local mode, tag, first, last
local regions = {}
counts = {}
sent = 0

function init(args)
  mode, tag = args[1], args[2]
  first, last = tonumber(args[3]), tonumber(args[4])
  local token = args[5]
  outfile = args[6]  -- a global: done() reads it from a thread
  for code in string.gmatch(args[7] or "", "[^,]+") do table.insert(regions, code) end
  math.randomseed(tid * 1000003 + os.time() % 1000003 + math.floor(os.clock() * 1e6))
  for _ = 1, 10 do math.random() end
  if mode == "noop" then
    wrk.method = "GET"
  else
    wrk.method = "POST"
    wrk.headers["Content-Type"] = "application/json"
  end
  if token ~= nil and token ~= "" and token ~= "-" then
    wrk.headers["Authorization"] = "Bearer " .. token
  end
end

local function uuid4()
  return string.format("%08x-%04x-4%03x-%x%03x-%04x%s",
    math.random(0, 4294967295), tid % 65536, math.random(0, 4095),
    8 + math.random(0, 3), math.random(0, 4095), math.random(0, 65535), tag)
end

local function person()
  return string.format("E%07d", math.random(first, last))
end

local temps = {"36.2", "36.3", "36.4", "36.5", "36.5", "36.6", "36.6", "36.7", "36.8", "36.9"}

request = function()
  sent = sent + 1
  if mode == "noop" then
    return wrk.format(nil)
  end
  if mode == "insert" then
    return wrk.format(nil, nil, nil,
      '{"id":"' .. uuid4() .. '","person":"' .. person() .. '","temperature":"36.6"}')
  end
  local r = math.random()
  local temperature = temps[math.random(1, #temps)]
  local symptoms, contact, where_, location = "[]", "false", "on_site", ""
  if r < 0.005 then
    temperature = ({"37.6", "38.2", "38.6", "39.1"})[math.random(1, 4)]
    if math.random() < 0.5 then symptoms = '["cough"]' end
  elseif r < 0.02 then
    contact = "true"
  end
  if math.random() < 0.1 then where_ = "remote" end
  if #regions > 0 and math.random() < 0.3 then location = regions[math.random(1, #regions)] end
  local body = '{"id":"' .. uuid4() .. '","person":"' .. person() .. '","temperature":' .. temperature ..
    ',"symptoms":' .. symptoms .. ',"where":"' .. where_ .. '","location":"' .. location ..
    '","visited":[],"contact":' .. contact .. ',"note":""}'
  return wrk.format(nil, nil, nil, body)
end

response = function(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  local sent_total = 0
  for _, thread in ipairs(threads) do
    sent_total = sent_total + thread:get("sent")
    local c = thread:get("counts")
    for status, n in pairs(c) do total[status] = (total[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(total) do table.insert(parts, string.format('"%d":%d', status, n)) end
  local e = summary.errors
  local f = io.open(threads[1]:get("outfile"), "w")
  f:write(string.format(
    '{"duration_us":%d,"requests":%d,"sent":%d,"bytes":%d,"status":{%s},' ..
    '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d},' ..
    '"latency_us":{"mean":%.1f,"max":%d,"p50":%d,"p90":%d,"p99":%d,"p999":%d}}',
    summary.duration, summary.requests, sent_total, summary.bytes, table.concat(parts, ","),
    e.connect, e.read, e.write, e.timeout, e.status,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9)))
  f:close()
end
"""


def new_tag() -> str:
    """8 hex digits that end every UUID of one phase (random, so runs never collide)."""
    return f"{random.SystemRandom().getrandbits(32):08x}"


def tagged_uuid(rng: random.Random, tag: str) -> str:
    """A random version-4 UUID whose last 8 hex digits are `tag`."""
    u = uuid.UUID(int=rng.getrandbits(128), version=4).hex
    return str(uuid.UUID(u[:24] + tag))


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[k]


def latency_summary(seconds: Sequence[float]) -> dict[str, Any]:
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": _round(percentile(ms, 50)),
        "p99_ms": _round(percentile(ms, 99)),
        "max_ms": _round(max(ms) if ms else None),
    }


def _round(v: float | None, nd: int = 2) -> float | None:
    return None if v is None else round(v, nd)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the server under test ------------------------------------------------------------------------


class Server:
    """`fangkong serve` on a free loopback port with the ceiling views on; always stopped by stop()."""

    def __init__(self, *, workers: int | None, env: dict[str, str] | None = None, log: Path | None = None):
        self.port = free_port()
        self.workers = workers
        self.env = {**os.environ, **(env or {}), "FANGKONG_BENCH_VIEWS": "1", "ACCESS_LOG": "/dev/null"}
        self.log_path = log or Path(tempfile.mkstemp(prefix="fangkong-bench-serve-", suffix=".log")[1])
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90.0) -> None:
        argv = [
            sys.executable,
            "-m",
            "fangkong.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        if self.workers:
            argv += ["--workers", str(self.workers)]
        log = self.log_path.open("wb")
        # A session of its own: Ctrl-C in the terminal reaches the bench, which then stops the server.
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"fangkong serve exited ({self.proc.returncode}); see {self.log_path}")
            try:
                status, _, _ = Client(self.port).request("GET", "/bench/noop")
                if status == 204 and len(self.worker_pids()) >= self._announced_workers():
                    return
            except OSError:
                pass
            time.sleep(0.25)
        raise RuntimeError(f"fangkong serve did not become ready in {timeout:.0f} s; see {self.log_path}")

    def _announced_workers(self) -> int:
        """The worker count `fangkong serve` printed ("… with N workers"); 1 until it has."""
        match = re.search(r"with (\d+) workers", self.log_path.read_text(errors="replace"))
        return int(match.group(1)) if match else 10**6

    def worker_pids(self) -> list[int]:
        """The gunicorn workers: the processes whose parent is the master (our subprocess)."""
        if self.proc is None:
            return []
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == self.proc.pid:
                pids.append(int(entry.name))
        return sorted(pids)

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # gunicorn: graceful stop of master and workers
            proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)


def _status_kib(pid: int, key: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak_rss(pids: Sequence[int]) -> bool:
    """Reset VmHWM of the processes (Linux >= 4.0: write 5 to clear_refs); False if not permitted."""
    ok = True
    for pid in pids:
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
        except OSError:
            ok = False
    return ok


def rss_kib(pids: Sequence[int], key: str = "VmRSS") -> dict[int, int]:
    return {pid: v for pid in pids if (v := _status_kib(pid, key)) is not None}


# --- a small HTTP client --------------------------------------------------------------------------


class Client:
    """One connection to the server; reconnects when the server closes (gunicorn sync workers do)."""

    def __init__(self, port: int, headers: dict[str, str] | None = None, timeout: float = 300.0):
        self.port = port
        self.headers = headers or {}
        self.timeout = timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes, float]:
        """(status, body, seconds to the last byte)."""
        hdrs = {**self.headers, **(headers or {})}
        started = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=hdrs)
            resp = self.conn.getresponse()
            data = resp.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            started = time.perf_counter()
            self.conn.request(method, path, body=body, headers=hdrs)
            resp = self.conn.getresponse()
            data = resp.read()
        elapsed = time.perf_counter() - started
        if resp.getheader("Connection", "").lower() == "close":
            self.conn.close()
        return resp.status, data, elapsed

    def stream(self, path: str, sink: Callable[[bytes], Any]) -> tuple[int, int, float, float]:
        """GET streamed: (status, bytes, seconds to the first byte, seconds to the last byte)."""
        self.conn.close()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        started = time.perf_counter()
        conn.request("GET", path, headers=self.headers)
        resp = conn.getresponse()
        first = None
        size = 0
        while chunk := resp.read(64 * 1024):
            if first is None:
                first = time.perf_counter() - started
            size += len(chunk)
            sink(chunk)
        total = time.perf_counter() - started
        conn.close()
        return resp.status, size, first or total, total

    def close(self) -> None:
        self.conn.close()


def probe(client: Client, path: str, n: int, expect: int = 200, max_seconds: float = 30.0) -> dict[str, Any]:
    """Up to n sequential GETs (fewer if they take longer than max_seconds in all: at least 3, or 1
    when that one alone took twice as long):
    latency summary; errors are responses other than `expect`."""
    times: list[float] = []
    errors = 0
    deadline = time.monotonic() + max_seconds
    for i in range(n):
        now = time.monotonic()
        if (i >= 3 and now > deadline) or (i >= 1 and now > deadline + max_seconds):
            break
        status, _, t = client.request("GET", path)
        if status != expect:
            errors += 1
        times.append(t)
    return {**latency_summary(times), "errors": errors, "path": path}


# --- wrk --------------------------------------------------------------------------------------------


def wrk_available() -> str | None:
    return shutil.which("wrk")


@dataclass
class WrkRun:
    mode: str
    tag: str
    expect: int
    proc: subprocess.Popen[bytes]
    out: Path
    script: Path
    cpu_before: float
    started: float
    result: dict[str, Any] = field(default_factory=dict)


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def start_wrk(
    *,
    port: int,
    path: str,
    mode: str,
    connections: int,
    duration: float,
    threads: int,
    first: int = 1,
    last: int = 1,
    token: str = "",
    regions: Sequence[str] = (),
    expect: int = 201,
) -> WrkRun:
    wrk = wrk_available()
    if wrk is None:
        raise RuntimeError(WRK_HINT)
    tag = new_tag()
    workdir = Path(tempfile.mkdtemp(prefix="fangkong-bench-wrk-"))
    script = workdir / "bench.lua"
    script.write_text(WRK_SCRIPT)
    out = workdir / "result.json"
    argv = [
        wrk,
        f"-t{max(1, min(threads, connections))}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "60s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}{path}",
        "--",
        mode,
        tag,
        str(first),
        str(last),
        token or "-",
        str(out),
        ",".join(regions),
    ]
    cpu = _children_cpu()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # noqa: S603
    return WrkRun(mode, tag, expect, proc, out, script, cpu, time.monotonic())


def finish_wrk(run: WrkRun) -> dict[str, Any]:
    stdout, _ = run.proc.communicate()
    wall = time.monotonic() - run.started
    cpu = _children_cpu() - run.cpu_before
    if run.proc.returncode != 0 or not run.out.exists():
        raise RuntimeError(f"wrk failed ({run.proc.returncode}): {stdout.decode(errors='replace')[-2000:]}")
    raw = json.loads(run.out.read_text())
    shutil.rmtree(run.out.parent, ignore_errors=True)
    seconds = raw["duration_us"] / 1e6
    status = {int(k): v for k, v in raw["status"].items()}
    ok = status.get(run.expect, 0)
    sock = raw["socket_errors"]
    lat = raw["latency_us"]
    run.result = {
        "tag": run.tag,
        "seconds": round(seconds, 2),
        "requests": raw["requests"],
        # Sent but not answered when wrk stopped: the server may still have stored these.
        "in_flight_at_stop": max(0, raw["sent"] - sum(status.values())),
        "ok": ok,
        "per_s": round(ok / seconds, 1) if seconds else 0.0,
        "errors": sum(n for s, n in status.items() if s != run.expect)
        + sock["connect"]
        + sock["read"]
        + sock["write"]
        + sock["timeout"],
        "status": {str(k): v for k, v in sorted(status.items())},
        "socket_errors": {k: sock[k] for k in ("connect", "read", "write", "timeout")},
        "p50_ms": round(lat["p50"] / 1000, 2),
        "p90_ms": round(lat["p90"] / 1000, 2),
        "p99_ms": round(lat["p99"] / 1000, 2),
        "max_ms": round(lat["max"] / 1000, 2),
        # The load generator's own CPU (user + system) per second of run: cores it kept busy.
        "driver_cpu_cores": round(cpu / max(wall, 1e-9), 3),
    }
    return run.result


def run_wrk(**kwargs: Any) -> dict[str, Any]:
    return finish_wrk(start_wrk(**kwargs))


# --- batches ----------------------------------------------------------------------------------------


def checkin_body(rng: random.Random, tag: str, first: int, last: int, regions: Sequence[str]) -> dict:
    """One realistic check-in body, ~2 % abnormal (same mix as the wrk script)."""
    r = rng.random()
    body: dict[str, Any] = {
        "id": tagged_uuid(rng, tag),
        "person": f"E{rng.randint(first, last):07d}",
        "temperature": rng.choice(["36.2", "36.4", "36.5", "36.6", "36.7", "36.8"]),
        "symptoms": [],
        "where": "remote" if rng.random() < 0.1 else "on_site",
        "location": rng.choice(regions) if regions and rng.random() < 0.3 else "",
        "visited": [],
        "contact": False,
        "note": "",
    }
    if r < 0.005:
        body["temperature"] = rng.choice(["37.6", "38.2", "38.6", "39.1"])
        body["symptoms"] = ["cough"] if rng.random() < 0.5 else []
    elif r < 0.02:
        body["contact"] = True
    return body


def run_batches(
    *,
    port: int,
    token: str,
    connections: int,
    duration: float,
    size: int,
    first: int,
    last: int,
    regions: Sequence[str],
) -> dict[str, Any]:
    """`connections` threads post batches of `size` until `duration` is over (batches in flight finish)."""
    tag = new_tag()
    lock = threading.Lock()
    statuses: Counter[int] = Counter()
    http_errors: list[str] = []
    latencies: list[float] = []
    unanswered = [0]
    deadline = time.monotonic() + duration

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        client = Client(port, {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        while time.monotonic() < deadline:
            body = json.dumps([checkin_body(rng, tag, first, last, regions) for _ in range(size)]).encode()
            try:
                status, data, t = client.request("POST", "/api/v1/checkins/batch", body)
            except (OSError, http.client.HTTPException) as exc:
                # No answer (e.g. the worker was killed at gunicorn's timeout): its items may or may
                # not be stored, each item being its own transaction.
                with lock:
                    http_errors.append(repr(exc))
                    unanswered[0] += size
                    statuses[0] += size
                continue
            with lock:
                latencies.append(t)
                if status != 200:
                    http_errors.append(f"HTTP {status}: {data[:200]!r}")
                    statuses[status] += size
                    unanswered[0] += size if status >= 500 else 0
                    continue
                for item in json.loads(data):
                    statuses[item["status"]] += 1
        client.close()

    seeds = random.SystemRandom()
    threads = [threading.Thread(target=worker, args=(seeds.getrandbits(64),)) for _ in range(connections)]
    started = time.monotonic()
    cpu0 = time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.monotonic() - started
    ok = statuses.get(201, 0)
    return {
        "tag": tag,
        "seconds": round(seconds, 2),
        "batches": len(latencies),
        "batch_size": size,
        "connections": connections,
        "ok": ok,
        "per_s": round(ok / seconds, 1),
        "errors": sum(n for s, n in statuses.items() if s != 201),
        "failed_requests": len(http_errors),
        "status": {str(k): v for k, v in sorted(statuses.items())},
        "http_errors": http_errors[:5],
        "in_flight_at_stop": unanswered[0],
        "batch_p50_ms": _round(percentile([x * 1000 for x in latencies], 50)),
        "batch_p99_ms": _round(percentile([x * 1000 for x in latencies], 99)),
        "driver_cpu_cores": round((time.process_time() - cpu0) / seconds, 3),
    }


# --- exports ----------------------------------------------------------------------------------------


def xlsx_rows(path: Path) -> int:
    """Rows in the first sheet of an XLSX file (counted in the XML, header included)."""
    with zipfile.ZipFile(path) as zf:
        name = next(n for n in zf.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml"))
        rows = 0
        tail = b""
        with zf.open(name) as fh:
            while chunk := fh.read(1 << 20):
                data = tail + chunk
                rows += data.count(b"</row>")
                tail = data[-5:]  # shorter than the pattern: nothing in it was counted
        return rows


def measure_export(server: Server, client: Client, path: str) -> dict[str, Any]:
    """Stream an export to a temporary file: time, size, rows, and the peak RSS of the serving worker
    (VmHWM of every gunicorn worker, reset just before the request; the highest is the one that served)."""
    pids = server.worker_pids()
    before = rss_kib(pids, "VmRSS")
    reset = reset_peak_rss(pids)
    with tempfile.NamedTemporaryFile(suffix=".xlsx", delete=False) as fh:
        status, size, first, total = client.stream(path, fh.write)
        tmp = Path(fh.name)
    peaks = rss_kib(pids, "VmHWM")
    try:
        rows = xlsx_rows(tmp) - 1 if status == 200 else 0
    finally:
        tmp.unlink(missing_ok=True)
    served = max(peaks, key=lambda p: peaks[p] - before.get(p, 0)) if peaks else None
    return {
        "path": path,
        "status": status,
        "rows": rows,
        "bytes": size,
        "first_byte_s": round(first, 3),
        "seconds": round(total, 2),
        "rows_per_s": round(rows / total) if total else None,
        "worker_peak_rss_mib": round(peaks[served] / 1024, 1) if served else None,
        "worker_rss_before_mib": round(before.get(served, 0) / 1024, 1) if served else None,
        "peak_rss_method": "VmHWM of the serving gunicorn worker, reset via /proc/PID/clear_refs before"
        if reset
        else "VmHWM of the serving gunicorn worker since it started (clear_refs not permitted)",
    }


@contextmanager
def timer() -> Iterator[dict[str, float]]:
    out: dict[str, float] = {}
    started = time.perf_counter()
    try:
        yield out
    finally:
        out["seconds"] = time.perf_counter() - started
