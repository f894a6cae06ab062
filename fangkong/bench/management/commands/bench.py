"""`fangkong bench`: measure fangkong at scale against ceilings measured in the same run.

Sets up (or with --reuse reuses) a database generated at scale N in the configured database, starts
`fangkong serve` on a free loopback port with the ceiling views on, drives it with wrk and a small
Python client, stops it, checks that nothing was lost, prints a table and writes JSON. See
docs/performance.md for what each figure means and the figures of the last full run.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from fangkong.api.checkins import PAGE_SIZE as MISSING_PAGE
from fangkong.api.units import PAGE_SIZE as ROSTER_PAGE
from fangkong.bench import driver, setup
from fangkong.bench.report import goals, ratio, render_table

DEFAULT_OUT = "bench.json"
# Alternating rounds of the insert ceiling and the check-ins after the check-in phase: the ratio
# paired round by round, beside the one of two phases a minute apart (see `_alternating`).
ALTERNATING_ROUNDS = 3


class Command(BaseCommand):
    help = (
        "Benchmark fangkong at scale: check-ins/s (single and batch), roll-up, missing list, export, "
        "database size, each beside ceilings measured in the same run. Needs wrk (apt-get install wrk) "
        "and an explicit database (DATABASE_URL, or --var-dir for SQLite)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--employees", type=int, default=1_000_000, help="scale (default 1 000 000)")
        parser.add_argument("--days", type=int, default=7, help="days of generated history (default 7)")
        parser.add_argument("--seed", type=int, default=None, help="generator seed (default: its own)")
        parser.add_argument("--reuse", action="store_true", help="reuse the database generated earlier")
        parser.add_argument("--duration", type=float, default=20.0, help="seconds per load phase (20)")
        parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
        parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (serve's default)")
        parser.add_argument("--batch-size", type=int, default=1000, help="check-ins per batch (1000)")
        parser.add_argument(
            "--batch-connections", type=int, default=None, help="concurrent batch clients (default: cores)"
        )
        parser.add_argument("--probes", type=int, default=50, help="requests per single-client latency (50)")
        parser.add_argument("--var-dir", help="for SQLite: the var/ directory of the bench database")
        parser.add_argument("--out", default=DEFAULT_OUT, help=f"JSON results file (default {DEFAULT_OUT})")
        parser.add_argument(
            "--only",
            choices=["all", "reads"],
            default="all",
            help="'reads': only the single-client reads (roll-ups, missing list, unit page) on the "
            "database as it is, e.g. to re-measure after a change to them",
        )

    def handle(self, *args, **opts):
        self._check_database(opts["var_dir"])
        if driver.wrk_available() is None and opts["only"] == "all":
            raise CommandError(driver.WRK_HINT)
        if opts["duration"] <= 0 or opts["connections"] <= 0:
            raise CommandError("--duration and --connections must be positive")
        started = time.monotonic()
        # SIGTERM ends the run like Ctrl-C does: the server is stopped on the way out.
        signal.signal(signal.SIGTERM, _interrupt)
        result = Bench(self, opts).run()
        result["bench_seconds"] = round(time.monotonic() - started, 1)
        out = Path(opts["out"])
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n")
        self.stdout.write(render_table(result))
        self.stdout.write(f"\nwritten {out}")

    def _check_database(self, var_dir: str | None) -> None:
        """Refuse SQLite's default var/ database (the demo's): require DATABASE_URL or --var-dir."""
        if os.environ.get("DATABASE_URL"):
            return
        if var_dir:
            wanted = Path(var_dir).resolve()
            if Path(os.environ.get("FANGKONG_VAR_DIR", "")).resolve() != wanted or not os.environ.get(
                "FANGKONG_VAR_DIR"
            ):
                # Settings are read at start-up: run again with the var/ directory in the environment.
                wanted.mkdir(parents=True, exist_ok=True)
                os.environ["FANGKONG_VAR_DIR"] = str(wanted)
                argv = [sys.executable, "-m", "fangkong.cli", *sys.argv[1:]]
                if sys.argv and not sys.argv[0].endswith(("fangkong", "cli.py", "manage.py")):
                    raise CommandError("--var-dir: set FANGKONG_VAR_DIR in the environment instead")
                sys.stdout.flush()
                os.execv(sys.executable, argv)  # noqa: S606 - our own interpreter and arguments
            return
        if os.environ.get("FANGKONG_VAR_DIR"):
            return
        raise CommandError(
            "fangkong bench writes a large generated group: point it at a database of its own with "
            "DATABASE_URL=postgres://… (createdb fk_bench) or --var-dir DIR for SQLite; it refuses the "
            f"default {settings.DATABASES['default']['NAME']}"
        )


class Bench:
    def __init__(self, cmd: Command, opts: dict[str, Any]):
        self.cmd = cmd
        self.opts = opts
        self.duration: float = opts["duration"]
        self.connections: int = opts["connections"]
        self.result: dict[str, Any] = {}

    def say(self, msg: str) -> None:
        self.cmd.stdout.write(f"[{time.strftime('%H:%M:%S')}] {msg}")
        self.cmd.stdout.flush()

    # --- the run -------------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        o = self.opts
        r = self.result
        r["date"] = datetime.now().astimezone().isoformat(timespec="seconds")
        r["command"] = "fangkong " + " ".join(sys.argv[1:])
        r["machine"] = setup.machine()
        r["code"] = setup.code_version()
        call_command("migrate", interactive=False, verbosity=0)
        r["database"] = setup.database_info()
        r["generate"] = self._setup_data()
        scale = setup.scale()
        r["scale"] = scale
        if scale["employees"] == 0:
            raise CommandError("the database has no employees")
        r["db_size"] = setup.db_size()
        if o["only"] == "all":
            r["copy_ceiling"] = setup.copy_ceiling()
            if r["generate"] and r["copy_ceiling"].get("rows_per_s"):
                r["generate"]["ratio_to_copy"] = round(
                    r["generate"]["rows_per_s"] / r["copy_ceiling"]["rows_per_s"], 3
                )
            self.say("vacuuming the database, as autovacuum keeps it …")
            r["vacuum"] = setup.vacuum_database()
            self.say("resetting today's check-ins (the morning starts empty) …")
            r["reset_today"] = setup.reset_today()
        self.units = setup.pick_units()
        r["units"] = {k: v for k, v in self.units.items()}
        self.token, self.session = setup.bench_user()
        self.regions = setup.region_codes()
        # The bench's one account reads the roster's pages far faster than the person look-up limit
        # (60 a minute, docs/security.md) lets a person: off for the server under test.
        server = driver.Server(workers=o["workers"], env={"FANGKONG_LOOKUP_LIMIT": "0"})
        self.server = server
        try:
            self.say(f"starting fangkong serve on 127.0.0.1:{server.port} …")
            server.start()
            workers = len(server.worker_pids())
            r["settings"] = {
                "workers": workers,
                "worker_class": "sync",
                "threads": 1,
                "connections": self.connections,
                "duration_s": self.duration,
                "batch_size": o["batch_size"],
                "batch_connections": o["batch_connections"] or os.cpu_count() or 1,
                "db_conn_max_age": settings.DATABASES["default"].get("CONN_MAX_AGE"),
                "audit_chains": settings.AUDIT_CHAINS,
                "wrk_threads": os.cpu_count() or 1,
            }
            self.say(f"ready: {workers} workers")
            if o["only"] == "all":
                self._load_phases()
            else:
                self._single_client()
        finally:
            self.say("stopping the server …")
            server.stop()
        if o["only"] == "all":
            self._verify()
        r["goals"] = goals(r)
        return r

    def _setup_data(self) -> dict[str, Any] | None:
        o = self.opts
        have = setup.has_group()
        if o["reuse"] or o["only"] != "all":
            if not have:
                raise CommandError("--reuse: the database holds no generated group; run without --reuse")
            self.say("reusing the generated group")
            return None
        if have and not setup.is_generated_group():
            raise CommandError("the database holds an org tree that fangkong generate did not make: refusing")
        self.say(f"generating {o['employees']:,} employees, {o['days']} days (reset: {have}) …")
        gen = setup.generate(o["employees"], o["days"], o["seed"], reset=have, write=self.say)
        self.say(f"generated {gen['rows']:,} rows in {gen['seconds']:.1f} s")
        return gen

    def _wrk(self, mode: str, path: str, expect: int, duration: float | None = None) -> driver.WrkRun:
        scale = self.result["scale"]
        return driver.start_wrk(
            port=self.server.port,
            path=path,
            mode=mode,
            connections=self.connections,
            duration=duration or self.duration,
            threads=os.cpu_count() or 1,
            first=scale["first"],
            last=scale["last"],
            token=self.token,
            regions=self.regions,
            expect=expect,
        )

    def _load_phases(self) -> None:
        r = self.result
        writes: dict[str, dict[str, Any]] = {}
        self.say("warm-up: check-ins for 3 s")
        writes["warmup"] = driver.finish_wrk(self._wrk("checkin", "/api/v1/checkins", 201, duration=3))
        # Not a figure, but its errors are reported: a worker's first requests show start-up faults.
        r["warmup"] = writes["warmup"]
        r["server_log"] = str(self.server.log_path)

        self.say(f"ceiling: /bench/noop, {self.connections} connections, {self.duration:.0f} s")
        noop = driver.finish_wrk(self._wrk("noop", "/bench/noop", 204))
        self.say(f"  {noop['per_s']:,.0f} req/s")
        self.say("ceiling: /bench/insert")
        insert = self._writing(lambda: driver.finish_wrk(self._wrk("insert", "/bench/insert", 201)))
        self.say(f"  {insert['per_s']:,.0f} req/s")
        r["ceilings"] = {"noop": noop, "insert": insert}

        self.say("POST /api/v1/checkins")
        ci = self._writing(lambda: driver.finish_wrk(self._wrk("checkin", "/api/v1/checkins", 201)))
        ci["ratio_to_insert"] = round(ci["per_s"] / insert["per_s"], 3) if insert["per_s"] else None
        ci["ratio_to_noop"] = round(ci["per_s"] / noop["per_s"], 3) if noop["per_s"] else None
        ci["minutes_for_employees"] = (
            round(r["scale"]["employees"] / ci["per_s"] / 60, 1) if ci["per_s"] else None
        )
        self.say(f"  {ci['per_s']:,.0f} check-ins/s, p50 {ci['p50_ms']} ms, p99 {ci['p99_ms']} ms")
        r["checkins"] = ci
        writes["checkins"] = ci
        ci["alternating"] = self._alternating(writes)
        # The driver is not the bottleneck: it drove the no-op view this many times faster.
        r["driver"] = {
            "tool": "wrk " + setup.wrk_version(),
            "noop_over_checkins": round(noop["per_s"] / ci["per_s"], 1) if ci["per_s"] else None,
            "cpu_cores_during_checkins": ci["driver_cpu_cores"],
            "cpu_cores_during_noop": noop["driver_cpu_cores"],
        }

        self.say(f"POST /api/v1/checkins/batch ({self.opts['batch_size']} per batch)")
        scale = r["scale"]
        batch = self._writing(
            lambda: driver.run_batches(
                port=self.server.port,
                token=self.token,
                connections=r["settings"]["batch_connections"],
                duration=self.duration,
                size=self.opts["batch_size"],
                first=scale["first"],
                last=scale["last"],
                regions=self.regions,
            )
        )
        batch["ratio_to_insert"] = round(batch["per_s"] / insert["per_s"], 3) if insert["per_s"] else None
        self.say(f"  {batch['per_s']:,.0f} check-ins/s")
        r["batch"] = batch
        writes["batch"] = batch

        self._single_client()

        self.say("roll-ups under check-in load")
        r["rollup_under_load"], load = self._rollups_under_load()
        writes["under_load"] = load
        r["checkins_during_rollups"] = load

        self.say("exports")
        client = driver.Client(self.server.port, {"Cookie": f"sessionid={self.session}"})
        u = self.units
        r["export"] = {
            "large": driver.measure_export(self.server, client, f"/units/{u['export']['code']}/people.xlsx"),
            "small": driver.measure_export(self.server, client, f"/units/{u['missing']['code']}/people.xlsx"),
        }
        client.close()
        self.say(
            f"  {r['export']['large']['rows']:,} rows in {r['export']['large']['seconds']} s, "
            f"worker peak {r['export']['large']['worker_peak_rss_mib']} MiB"
        )
        self.writes = writes

    @staticmethod
    def _writing(phase: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Run a write phase; its result gains `wal`: what PostgreSQL wrote to the WAL per stored
        write, and the checkpoints completed meanwhile (`setup.wal_since`)."""
        mark = setup.wal_mark()
        result = phase()
        result["wal"] = setup.wal_since(mark, result["ok"])
        return result

    def _alternating(self, writes: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """The check-ins' ratio to the insert ceiling again, over alternating short rounds of the two.

        The main figure divides two phases run a minute apart; on a shared host the rate drifts that
        much between them (docs/performance-history.md, session 8). Here each round's check-ins are divided
        by the insert rate measured just before them, and the median of the rounds is reported with
        its range. The goal's verdict stays with the main figure."""
        seconds = max(2.0, self.duration / ALTERNATING_ROUNDS)
        each = f"{ALTERNATING_ROUNDS} × {seconds:.0f} s each"
        self.say(f"alternating: /bench/insert then POST /api/v1/checkins, {each}")
        rounds = []
        for n in range(ALTERNATING_ROUNDS):
            insert = self._writing(
                lambda: driver.finish_wrk(self._wrk("insert", "/bench/insert", 201, duration=seconds))
            )
            checkins = self._writing(
                lambda: driver.finish_wrk(self._wrk("checkin", "/api/v1/checkins", 201, duration=seconds))
            )
            writes[f"alternating_{n + 1}"] = checkins
            rounds.append(
                {
                    "insert_per_s": insert["per_s"],
                    "checkins_per_s": checkins["per_s"],
                    "checkins_p99_ms": checkins["p99_ms"],
                    "errors": insert["errors"] + checkins["errors"],
                    "ratio": round(checkins["per_s"] / insert["per_s"], 3) if insert["per_s"] else None,
                    "checkpoints_completed": _checkpoints(insert, checkins),
                }
            )
        ratios = [x["ratio"] for x in rounds if x["ratio"] is not None]
        found = {
            "rounds": rounds,
            "seconds_per_phase": round(seconds, 1),
            "ratio_median": round(statistics.median(ratios), 3) if ratios else None,
            "ratio_min": min(ratios, default=None),
            "ratio_max": max(ratios, default=None),
            "errors": sum(x["errors"] for x in rounds),
        }
        self.say(
            f"  ratio per round: {', '.join(f'{x:.2f}' for x in ratios)} (median {found['ratio_median']})"
        )
        return found

    def _single_client(self) -> None:
        r = self.result
        n = self.opts["probes"]
        api = driver.Client(self.server.port, {"Authorization": f"Bearer {self.token}"})
        u = self.units
        day = setup.full_day().isoformat()
        self.say(f"single client: latency floor, roll-ups of {day} ({n} each)")
        floor = driver.probe(api, "/bench/noop", n, expect=204)
        r["latency_floor"] = floor
        rollups = {}
        for key in ("group", "segment", "enterprise"):
            api.request("GET", f"/api/v1/units/{u[key]['code']}/rollup?date={day}")  # first one: not timed
            rollups[key] = driver.probe(api, f"/api/v1/units/{u[key]['code']}/rollup?date={day}", n)
            rollups[key]["ratio_to_floor"] = ratio(rollups[key]["p50_ms"], floor["p50_ms"])
            self.say(f"  rollup {u[key]['code']}: p50 {rollups[key]['p50_ms']} ms")
        r["rollup"] = rollups
        ops_path = f"/api/v1/units/{u['group']['code']}/operations?date={day}"
        api.request("GET", ops_path)
        ops = driver.probe(api, ops_path, max(10, n // 2))
        ops["ratio_to_floor"] = ratio(ops["p50_ms"], floor["p50_ms"])
        r["operations"] = ops
        self.say(f"  operations {u['group']['code']}: p50 {ops['p50_ms']} ms")
        m = driver.probe(api, f"/api/v1/units/{u['missing']['code']}/missing?date={day}", max(10, n // 2))
        m["ratio_to_floor"] = ratio(m["p50_ms"], floor["p50_ms"])
        r["missing"] = m
        r["missing_deep"] = self._missing_deep(api, day, max(10, n // 2), floor)
        r["roster_deep"] = self._roster_deep(api, max(10, n // 2), floor)
        web = driver.Client(self.server.port, {"Cookie": f"sessionid={self.session}"})
        group = u["group"]["code"]
        pages = {
            "unit_page": f"/units/{group}/",
            "board": f"/dashboard/units/{group}/",
            # the largest enterprise's board lists its first missing people (rollup.missing_page)
            "board_enterprise": f"/dashboard/units/{u['enterprise']['code']}/",
            "trends": f"/dashboard/units/{group}/trends.json",
            "bulletin_pdf": f"/dashboard/units/{group}/bulletin.pdf?date={day}",
        }
        for key, path in pages.items():
            web.request("GET", path)  # first one: not timed (the day's counters, caches)
            page = driver.probe(web, path, max(10, n // 2))
            page["ratio_to_floor"] = ratio(page["p50_ms"], floor["p50_ms"])
            r[key] = page
            self.say(f"  {path}: p50 {page['p50_ms']} ms")
        r["dashboard"] = r["board"]
        web.close()
        api.close()

    def _missing_deep(self, api: driver.Client, day: str, n: int, floor: dict[str, Any]) -> dict[str, Any]:
        """The group's missing list at its middle page: what an integrator paging through all of it
        meets (rollup.missing_page skips the units before the page)."""
        group = self.units["group"]["code"]
        path = f"/api/v1/units/{group}/missing?date={day}"
        _, body, _ = api.request("GET", path)
        count = json.loads(body)["count"]
        page = max(1, -(-count // MISSING_PAGE) // 2)
        deep = driver.probe(api, f"{path}&page={page}", n)
        deep.update(page=page, count=count, ratio_to_floor=ratio(deep["p50_ms"], floor["p50_ms"]))
        self.say(f"  missing list {group} page {page} of {count:,}: p50 {deep['p50_ms']} ms")
        return deep

    def _roster_deep(self, api: driver.Client, n: int, floor: dict[str, Any]) -> dict[str, Any]:
        """The group's roster at its middle page, read as `page=N` (the database steps over everyone
        before it) and as `after=` the last number of the page before (read from the index there)."""
        group = self.units["group"]["code"]
        path = f"/api/v1/units/{group}/people"
        _, body, _ = api.request("GET", path)
        count = json.loads(body)["count"]
        page = max(2, -(-count // ROSTER_PAGE) // 2)
        _, body, _ = api.request("GET", f"{path}?page={page - 1}")
        after = json.loads(body)["items"][-1]["employee_no"]
        out: dict[str, Any] = {"page": page, "count": count, "after": after}
        for key, query in (("by_page", f"page={page}"), ("by_after", f"after={quote(after)}")):
            out[key] = driver.probe(api, f"{path}?{query}", n)
            out[key]["ratio_to_floor"] = ratio(out[key]["p50_ms"], floor["p50_ms"])
        self.say(
            f"  roster {group} page {page} of {count:,}: p50 {out['by_page']['p50_ms']} ms by page, "
            f"{out['by_after']['p50_ms']} ms after {after}"
        )
        return out

    def _rollups_under_load(self) -> tuple[dict[str, Any], dict[str, Any]]:
        u = self.units
        day = setup.full_day().isoformat()
        load = self._wrk("checkin", "/api/v1/checkins", 201)
        time.sleep(min(2.0, self.duration / 4))
        api = driver.Client(self.server.port, {"Authorization": f"Bearer {self.token}"})
        times: dict[str, list[float]] = {"group": [], "segment": [], "enterprise": []}
        errors = 0
        deadline = time.monotonic() + self.duration - min(2.0, self.duration / 4) - 0.5
        while time.monotonic() < deadline and min(len(t) for t in times.values()) < self.opts["probes"]:
            for key in times:
                status, _, t = api.request("GET", f"/api/v1/units/{u[key]['code']}/rollup?date={day}")
                errors += status != 200
                times[key].append(t)
        api.close()
        result = driver.finish_wrk(load)
        out = {key: {**driver.latency_summary(t)} for key, t in times.items()}
        out["errors"] = errors  # type: ignore[assignment]
        for key in times:
            self.say(f"  rollup {u[key]['code']} under load: p50 {out[key]['p50_ms']} ms")
        self.say(f"  check-ins meanwhile: {result['per_s']:,.0f}/s")
        return out, result

    def _verify(self) -> None:
        """Stored rows of each write phase = its 201s; today's counters = today's current rows."""
        self.say("verifying stored check-ins …")
        writes = self.writes
        stored = setup.count_tags([w["tag"] for w in writes.values()])
        phases = {}
        for name, w in writes.items():
            n = stored.get(w["tag"], 0)
            # Requests in flight when the load stopped were never answered but may be stored: every
            # 201 must be stored (lost = 0) and nothing beyond the unanswered ones (extra <= in flight).
            in_flight = w.get("in_flight_at_stop", 0)
            lost = max(0, w["ok"] - n)
            extra = max(0, n - w["ok"])
            phases[name] = {
                "created_201": w["ok"],
                "stored": n,
                "lost": lost,
                "stored_unanswered": extra,
                "in_flight_at_stop": in_flight,
                "ok": lost == 0 and extra <= in_flight,
            }
            w["stored"], w["lost"] = n, lost
        counters = setup.counter_check()
        self.result["verify"] = {
            "phases": phases,
            "lost_total": sum(p["lost"] for p in phases.values()),
            "ok": all(p["ok"] for p in phases.values()) and counters["ok"],
            "counters": counters,
        }


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _checkpoints(*phases: dict[str, Any]) -> int | None:
    """Checkpoints completed during the phases (None where the database reports none: SQLite)."""
    counts = [p["wal"]["checkpoints_completed"] for p in phases if p.get("wal")]
    return sum(counts) if counts else None
