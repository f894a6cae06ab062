"""`fangkong soak`: check-ins under faults, then reconciliation (docs/reliability.md).

Starts a PostgreSQL cluster of its own (never the machine's shared server), generates a group in
it, serves it with gunicorn on loopback, and drives N check-ins from C simulated clients through a
proxy that loses a share of the answers after the server has committed them. Meanwhile it restarts
and crashes the database and kills gunicorn workers. At the end it reconciles what the clients were
told against the database, prints a summary, writes JSON, and exits 1 when anything was lost or
duplicated, a counter disagrees, the audit chain breaks, a 500 was seen or the server took more than
10 s to store again after the database came back.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from django.core.management.base import BaseCommand, CommandError

from fangkong.bench import driver, setup
from fangkong.soak import cluster as pg
from fangkong.soak.clients import Item, Tally, client, make_items
from fangkong.soak.faults import DEFAULT_PLAN, FaultRunner, parse_plan, schedule, summarise
from fangkong.soak.proxy import DroppingProxy
from fangkong.soak.reconcile import reconcile

SOAK_USER = "fk-soak"
RECOVERY_LIMIT_S = 10.0


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _cpu_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    total = sum(fields[:8]) / tick
    idle = (fields[3] + fields[4]) / tick
    return total - idle, total


class Command(BaseCommand):
    help = (
        "Soak test: N check-ins from C clients through a lossy proxy while PostgreSQL restarts and "
        "gunicorn workers die, then reconcile. Starts its own PostgreSQL 15 cluster (needs the server "
        "binaries; as root, runuser). Not part of the test suite; see docs/reliability.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--checkins", type=int, default=100_000, help="check-ins to send (100 000)")
        parser.add_argument("--clients", type=int, default=200, help="simulated clients (200)")
        parser.add_argument("--employees", type=int, default=100_000, help="generated employees (100 000)")
        parser.add_argument(
            "--drop", type=float, default=0.02, help="share of answers lost after the server answered"
        )
        parser.add_argument(
            "--duplicates", type=float, default=0.01, help="share re-sent after success (0.01)"
        )
        parser.add_argument(
            "--faults", default=DEFAULT_PLAN, help=f"fault kinds in order (default {DEFAULT_PLAN})"
        )
        parser.add_argument("--no-faults", action="store_true", help="no restarts, stops or kills")
        parser.add_argument(
            "--down-seconds", type=float, default=5.0, help="outage after the immediate stop (5)"
        )
        parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (serve's default)")
        parser.add_argument(
            "--keep", action="store_true", help="keep the cluster directory (stopped) afterwards"
        )
        parser.add_argument(
            "--max-minutes", type=float, default=180.0, help="stop sending after this long (180)"
        )
        parser.add_argument(
            "--seed", type=int, default=None, help="seed for bodies and clients (default: random)"
        )
        parser.add_argument("--out", default=None, help="JSON results (default var/soak-<date>.json)")

    def handle(self, *args, **opts):
        reason = pg.missing_tools()
        if reason:
            raise CommandError(reason)
        if opts["checkins"] <= 0 or opts["clients"] <= 0 or opts["employees"] <= 0:
            raise CommandError("--checkins, --clients and --employees must be positive")
        if not 0 <= opts["drop"] < 1 or not 0 <= opts["duplicates"] <= 1:
            raise CommandError("--drop must be in [0, 1) and --duplicates in [0, 1]")
        try:
            plan = [] if opts["no_faults"] else schedule(parse_plan(opts["faults"]))
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        out = Path(opts["out"] or f"var/soak-{datetime.now():%Y%m%d-%H%M%S}.json")
        out.parent.mkdir(parents=True, exist_ok=True)
        previous = signal.signal(signal.SIGTERM, _interrupt)  # SIGTERM cleans up as Ctrl-C does
        soak = Soak(self, opts, plan, out)
        try:
            result = soak.run()
        except KeyboardInterrupt:
            raise CommandError("interrupted: the soak's server and PostgreSQL cluster were stopped") from None
        finally:
            soak.cleanup()
            signal.signal(signal.SIGTERM, previous)
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n")
        self.stdout.write(render(result))
        self.stdout.write(f"written {out}")
        if not result["ok"]:
            raise CommandError("soak FAILED: " + "; ".join(result["failures"]))


class Soak:
    def __init__(self, cmd: Command, opts: dict[str, Any], plan: list[tuple[float, str]], out: Path):
        self.cmd = cmd
        self.o = opts
        self.plan = plan
        self.out = out
        self.seed = opts["seed"] if opts["seed"] is not None else random.SystemRandom().getrandbits(32)
        self.cluster = pg.Cluster(driver.free_port(), keep=opts["keep"])
        self.server: driver.Server | None = None
        self.tag = driver.new_tag()

    def say(self, msg: str) -> None:
        self.cmd.stdout.write(f"[{time.strftime('%H:%M:%S')}] {msg}")
        self.cmd.stdout.flush()

    def _manage(self, *args: str) -> str:
        proc = subprocess.run(  # noqa: S603 - our own interpreter and command
            [sys.executable, "-m", "fangkong.cli", *args],
            env={**os.environ, "DATABASE_URL": self.cluster.url},
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise CommandError(f"fangkong {' '.join(args)} failed: {(proc.stdout + proc.stderr)[-2000:]}")
        return proc.stdout

    def run(self) -> dict[str, Any]:
        o = self.o
        r: dict[str, Any] = {
            "date": datetime.now().astimezone().isoformat(timespec="seconds"),
            "command": "fangkong " + " ".join(sys.argv[1:]),
            "machine": setup.machine(),
            "code": setup.code_version(),
            "seed": self.seed,
        }
        started = time.monotonic()
        self.say(f"PostgreSQL cluster of the soak in {self.cluster.root}, port {self.cluster.port} …")
        self.cluster.init()
        self.cluster.start()
        self.cluster.createdb()
        self.say("migrating …")
        self._manage("migrate", "--no-input")
        self.say(f"generating {o['employees']:,} employees …")
        gen_started = time.monotonic()
        self._manage("generate", "--employees", str(o["employees"]), "--days", "1", "--no-migrate")
        r["generate_s"] = round(time.monotonic() - gen_started, 1)
        self._manage("user", "create", SOAK_USER, "--role", "group_admin", "--unit", "G")
        token = self._manage("token", "create", SOAK_USER).strip().splitlines()[-1]
        first, last, people = self._people()
        self.server = driver.Server(
            workers=o["workers"],
            env={"DATABASE_URL": self.cluster.url},
            log=self.out.with_suffix(".serve.log"),
        )
        self.say(f"starting fangkong serve on 127.0.0.1:{self.server.port} …")
        self.server.start()
        workers = len(self.server.worker_pids())
        r["settings"] = {
            "checkins": o["checkins"],
            "clients": o["clients"],
            "employees": people,
            "drop": o["drop"],
            "duplicates": o["duplicates"],
            "workers": workers,
            "faults": [kind for _, kind in self.plan],
            "down_seconds": o["down_seconds"],
            "postgres_port": self.cluster.port,
            "cluster_dir": str(self.cluster.root),
            "server_port": self.server.port,
        }
        items = make_items(o["checkins"], first=first, last=last, tag=self.tag, seed=self.seed)
        probe_rng = random.Random(self.seed + 1)
        probes: list[Item] = []

        def make_probe() -> Item:
            probes.append(
                make_items(1, first=first, last=last, tag=self.tag, seed=probe_rng.getrandbits(64))[0]
            )
            return probes[-1]

        self.say(f"ready: {workers} workers; {o['checkins']:,} check-ins from {o['clients']} clients …")
        tally, load = asyncio.run(self._drive(items, token, workers, make_probe))
        r["load"] = load
        self.server.stop()
        self.say("reconciling …")
        sent = {i.id for i in items} | {p.id for p in probes}
        r["reconcile"] = reconcile(self.cluster.dsn, self.cluster.url, tally.acked, self.tag, len(sent))
        r["server_log"] = self._server_log()
        r["soak_seconds"] = round(time.monotonic() - started, 1)
        r["failures"] = failures(r, tally)
        r["ok"] = not r["failures"]
        return r

    def _people(self) -> tuple[int, int, int]:
        with psycopg.connect(self.cluster.dsn) as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT min(employee_no), max(employee_no), count(*) FROM org_person WHERE status = 'active'"
            )
            row = cur.fetchone()
        assert row is not None
        lo, hi, n = row
        if not n or int(hi[1:]) - int(lo[1:]) + 1 != n:
            raise CommandError(
                f"the generated people are not numbered E0000001 … without gaps ({lo}…{hi}, {n})"
            )
        return int(lo[1:]), int(hi[1:]), n

    async def _drive(
        self, items: list[Item], token: str, workers: int, make_probe: Any
    ) -> tuple[Tally, dict]:
        o = self.o
        assert self.server is not None
        proxy = DroppingProxy(self.server.port, drop=o["drop"], seed=self.seed + 2)
        await proxy.start()
        tally = Tally()
        queue = list(reversed(items))
        finished = asyncio.Event()
        runner = FaultRunner(
            cluster=self.cluster,
            server=self.server,
            workers=workers,
            tally=tally,
            total=len(items),
            token=token,
            make_probe=make_probe,
            down_seconds=o["down_seconds"],
            say=self.say,
        )
        deadline = time.monotonic() + o["max_minutes"] * 60
        cpu0, (busy0, _), t0 = time.process_time(), _cpu_busy(), time.monotonic()
        tasks = [
            asyncio.create_task(
                client(
                    proxy.port,
                    token,
                    queue,
                    tally,
                    seed=self.seed * 1000 + i,
                    duplicates=o["duplicates"],
                    deadline=deadline,
                )
            )
            for i in range(o["clients"])
        ]
        fault_task = asyncio.create_task(runner.run(self.plan, finished))
        progress = asyncio.create_task(self._progress(tally, len(items)))
        try:
            await asyncio.gather(*tasks)
        finally:
            finished.set()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await fault_task
            progress.cancel()
            await proxy.stop()
        seconds = time.monotonic() - t0
        cpu = time.process_time() - cpu0
        busy1, _ = _cpu_busy()
        machine_busy = busy1 - busy0
        load = {
            "seconds": round(seconds, 1),
            "acknowledged": len(tally.acked),
            "acknowledged_per_s": round(len(tally.acked) / seconds, 1),
            "acknowledged_by": {str(k): v for k, v in sorted(tally.acked_by.items())},
            "attempts": tally.attempts,
            "retries": tally.retries,
            "responses": {str(k): v for k, v in sorted(tally.statuses.items())},
            "connection_errors": tally.conn_errors,
            "timeouts": tally.timeouts,
            "gave_up": len(tally.gave_up),
            "rejected_4xx": tally.rejected[:20],
            "server_errors_5xx": tally.server_errors[:20],
            "duplicates_sent": tally.duplicates_sent,
            "duplicate_mismatch": tally.duplicate_mismatch[:20],
            "not_sent_at_deadline": len(queue),
            "latency_ok": driver.latency_summary(tally.latencies),
            "proxy": proxy.stats.as_dict(),
            "faults": summarise(tally.windows, tally.t0),
            "faults_skipped": runner.skipped,
            # The driver (clients + proxy, one process) against the whole machine over the run.
            "driver_cpu_s": round(cpu, 1),
            "driver_cpu_cores": round(cpu / seconds, 3),
            "machine_busy_cores": round(machine_busy / seconds, 2),
            "driver_share_of_machine_busy": round(cpu / machine_busy, 3) if machine_busy else None,
            "loadavg_at_end": [round(x, 2) for x in os.getloadavg()],
        }
        return tally, load

    async def _progress(self, tally: Tally, total: int) -> None:
        while True:
            await asyncio.sleep(15)
            seconds = time.monotonic() - tally.t0
            self.say(
                f"{tally.done:,}/{total:,} done, {len(tally.acked) / seconds:.0f} ack/s, "
                f"{tally.retries:,} retries, 503: {tally.statuses.get(503, 0)}, "
                f"5xx: {len(tally.server_errors)}"
            )

    def _server_log(self) -> dict[str, Any]:
        path = self.out.with_suffix(".serve.log")
        try:
            text = path.read_text(errors="replace")
        except OSError:
            return {}
        return {
            "path": str(path),
            "tracebacks": text.count("Traceback (most recent call last)"),
            "internal_server_error_lines": text.count("Internal Server Error"),
            "database_unavailable_lines": text.count("database unavailable on"),
            "worker_exits": text.count("was sent SIGKILL") + text.count("exited with code"),
        }

    def cleanup(self) -> None:
        if self.server is not None:
            self.server.stop()
        if self.cluster.started or self.cluster.root.exists():
            self.cluster.destroy()
            if self.o["keep"]:
                self.say(f"cluster kept (stopped) in {self.cluster.root}")


def failures(r: dict[str, Any], tally: Tally) -> list[str]:
    rec, load = r["reconcile"], r["load"]
    out = []
    if rec["acknowledged_missing"] or rec["acknowledged_wrong_person"]:
        missing, wrong = rec["acknowledged_missing"], rec["acknowledged_wrong_person"]
        out.append(f"{missing} acknowledged check-ins missing, {wrong} stored for another person")
    if rec["duplicate_ids"]:
        out.append(f"{rec['duplicate_ids']} duplicate ids")
    if rec["person_days_with_two_current"] or rec["person_days_without_current"]:
        out.append("person-days with other than one current check-in")
    if rec["unit_days_checked_in_wrong"] or rec["unit_days_cards_wrong"]:
        out.append("day counters disagree with a direct count")
    if not rec["audit_verify"]["ok"]:
        out.append(f"audit verify failed: {rec['audit_verify']['output']}")
    fivehundreds = sum(n for s, n in tally.statuses.items() if s >= 500 and s != 503) + len(
        [e for e in tally.server_errors if e.startswith("probe")]
    )
    if fivehundreds:
        out.append(f"{fivehundreds} answers 5xx other than 503")
    if tally.rejected:
        out.append(f"{len(tally.rejected)} check-ins refused with 4xx")
    if tally.gave_up:
        out.append(f"{len(tally.gave_up)} check-ins never acknowledged")
    if tally.duplicate_mismatch:
        out.append(f"{len(tally.duplicate_mismatch)} duplicates not answered 200 with the same body")
    if load["not_sent_at_deadline"]:
        out.append(f"{load['not_sent_at_deadline']} check-ins not sent before --max-minutes")
    slow = [f for f in load["faults"] if (f.get("server_recovered_s") or 0) > RECOVERY_LIMIT_S]
    never = [f for f in load["faults"] if "server_recovered_s" in f and f["server_recovered_s"] is None]
    if slow or never:
        out.append(f"{len(slow) + len(never)} database faults not recovered within {RECOVERY_LIMIT_S:.0f} s")
    return out


def render(r: dict[str, Any]) -> str:
    load, rec, s = r["load"], r["reconcile"], r["settings"]
    lines = [
        "",
        f"fangkong soak {r['date']}: {s['checkins']:,} check-ins, {s['clients']} clients, "
        f"{s['employees']:,} employees, {s['workers']} workers, drop {s['drop']:.0%}",
        f"  {load['acknowledged']:,} acknowledged in {load['seconds']} s = {load['acknowledged_per_s']}/s "
        f"(by status {load['acknowledged_by']}); {load['retries']:,} retries, {load['connection_errors']:,} "
        f"connection errors, {load['timeouts']} timeouts",
        f"  proxy: {load['proxy']['dropped_after_answer']:,} answers dropped after the server answered, "
        f"{load['proxy']['upstream_failed']} unanswered by the server",
        f"  duplicates: {load['duplicates_sent']:,} sent, {len(load['duplicate_mismatch'])} mismatched",
        f"  responses: {load['responses']}",
        f"  driver CPU {load['driver_cpu_cores']} cores of {load['machine_busy_cores']} busy "
        f"({load['driver_share_of_machine_busy']} of the machine's work)",
        "  faults:",
    ]
    for f in load["faults"]:
        extra = ", ".join(
            f"{k} {f[k]}" for k in ("database_down_s", "server_recovered_s", "worker_respawned_s") if k in f
        )
        lines.append(
            f"    {f['at_s']:>7.1f} s  {f['kind']:<26} 503: {f['503']:>5}  500: {f['500']}  conn errors: "
            f"{f['connection_errors']:>4}  first 201 after back: {f['first_201_after_back_s']} s  {extra}"
        )
    lines += [
        f"  reconcile: {rec['acknowledged']:,} acknowledged, {rec['acknowledged_missing']} missing, "
        f"{rec['duplicate_ids']} duplicate ids, {rec['stored_with_soak_ids']:,} stored "
        f"({rec['stored_not_acknowledged']} never acknowledged), {rec['amendments']:,} amendments",
        f"             {rec['person_days_with_two_current']} person-days with 2 current, "
        f"{rec['unit_days_checked_in_wrong']}+{rec['unit_days_cards_wrong']} of {rec['unit_days_compared']} "
        f"unit-days off (counters {rec['counter_sum']:,} = direct {rec['direct_sum']:,}), "
        f"audit verify: {rec['audit_verify']['output']}",
        f"  {'OK' if r['ok'] else 'FAILED: ' + '; '.join(r['failures'])}",
        "",
    ]
    return "\n".join(lines)
