"""Database side of `fangkong bench`: generating or reusing the group, the bench user, the units the
figures are taken on, the COPY ceiling, size per million check-ins, and the checks afterwards."""

from __future__ import annotations

import os
import platform
import random
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Sum

from fangkong.checkins.models import CheckIn, UnitDay
from fangkong.checkins.rollup import recount_exempt_day
from fangkong.ledger.models import Item, Kind
from fangkong.lib.dates import business_day
from fangkong.org import actions
from fangkong.org.demo_accounts import is_demo_group
from fangkong.org.generate import DEFAULT_SEED, GROUP_CODE, generate_group
from fangkong.org.models import Person, Region, Role, Unit

BENCH_USER = "fk-bench"
COPY_ROWS = 200_000


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


def machine() -> dict[str, Any]:
    mem_kib = 0
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "cpu": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def code_version() -> dict[str, Any]:
    """The commit the server runs, and the files changed since (an editable install runs those)."""
    root = Path(__file__).resolve().parents[2]
    git = shutil.which("git")
    if not git or not (root / ".git").exists():
        return {}
    head = subprocess.run(  # noqa: S603 - git with fixed arguments
        [git, "-C", str(root), "log", "-1", "--format=%h %s"], capture_output=True, text=True
    )
    status = subprocess.run([git, "-C", str(root), "status", "--porcelain"], capture_output=True, text=True)  # noqa: S603
    changed = [line[3:] for line in status.stdout.splitlines() if line[3:].endswith(".py")]
    return {"head": head.stdout.strip(), "changed_py_files": changed}


def database_info() -> dict[str, Any]:
    info: dict[str, Any] = {"vendor": connection.vendor, "name": str(connection.settings_dict["NAME"])}
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SHOW server_version")
            info["version"] = cur.fetchone()[0]
            for name in (
                "shared_buffers",
                "effective_cache_size",
                "work_mem",
                "maintenance_work_mem",
                "max_wal_size",
                "checkpoint_timeout",
                "wal_compression",
                "autovacuum",
                "random_page_cost",
                "synchronous_commit",
                "wal_level",
                "max_connections",
            ):
                cur.execute(f"SHOW {name}")
                info[name] = cur.fetchone()[0]
        else:
            cur.execute("SELECT sqlite_version()")
            info["version"] = cur.fetchone()[0]
    return info


def wrk_version() -> str:
    wrk = shutil.which("wrk")
    if not wrk:
        return "?"
    out = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)  # noqa: S603
    first = (out.stdout or out.stderr).splitlines()[0] if (out.stdout or out.stderr) else ""
    return first.split(" [")[0].removeprefix("wrk ").strip() or "?"


# --- the group -----------------------------------------------------------------------------------


def has_group() -> bool:
    return Unit.objects.exists()


def is_generated_group() -> bool:
    return is_demo_group()


def generate(
    employees: int, days: int, seed: int | None, *, reset: bool, write: Callable[[str], None]
) -> dict[str, Any]:
    started = time.monotonic()
    res = generate_group(
        employees=employees, days=days, seed=DEFAULT_SEED if seed is None else seed, reset=reset, write=write
    )
    return {
        "employees": employees,
        "days": days,
        "seconds": round(res.seconds, 1),
        "wall_seconds": round(time.monotonic() - started, 1),
        "rows": res.rows,
        "rows_per_s": round(res.rows / max(res.seconds, 1e-9)),
        "counts": dict(res.counts),
        "reset_first": reset,
    }


def scale() -> dict[str, Any]:
    active = Person.objects.filter(status=Person.Status.ACTIVE)
    agg = active.aggregate(lo=Min("employee_no"), hi=Max("employee_no"))
    n = active.count()
    first = int(agg["lo"][1:]) if agg["lo"] else 1
    last = int(agg["hi"][1:]) if agg["hi"] else 0
    return {
        "employees": n,
        "first": first,
        "last": last,
        # The generator numbers people E0000001 … without gaps: every number drawn is on the roster.
        "contiguous": last - first + 1 == n,
        "units": Unit.objects.count(),
        "checkins": CheckIn.objects.count(),
        "days": CheckIn.objects.aggregate(n=Count("day", distinct=True))["n"],
    }


def _zone_days() -> list[tuple[str, date]]:
    """(time zone, today there) for every zone an enterprise is in."""
    zones = Unit.objects.filter(kind=Unit.Kind.ENTERPRISE).values_list("timezone", flat=True).distinct()
    return sorted({(tz or "Asia/Shanghai", business_day(tz)) for tz in zones})


def today() -> date:
    return business_day(Unit.objects.get(code=GROUP_CODE).timezone)


def full_day() -> date:
    """The last complete day of generated history (yesterday in the group's zone): the figures of a
    day whose morning is over, as at 09:05."""
    return today() - timedelta(days=1)


def vacuum_database() -> dict[str, Any]:
    """VACUUM ANALYZE the whole database once (PostgreSQL): what autovacuum does to a database in
    service, which a machine with autovacuum off (these test machines) never gets. Without it the
    generated tables have no visibility map, and the reads that could be index-only fetch every row:
    the unit page `/units/G/` took 166–254 ms before, 93–102 ms after (session 17 of
    docs/performance-history.md). A database vacuumed before takes seconds."""
    if connection.vendor != "postgresql":
        return {"seconds": None, "method": "PostgreSQL only"}
    started = time.monotonic()
    with connection.cursor() as cur:  # autocommit: VACUUM cannot run inside a transaction
        cur.execute("VACUUM (ANALYZE)")
    return {"seconds": round(time.monotonic() - started, 1), "method": "VACUUM (ANALYZE) of the database"}


def reset_today() -> dict[str, Any]:
    """Delete today's check-ins and the health items they opened, and zero today's counters
    (expected stays): the morning starts empty."""
    started = time.monotonic()
    checkin, unitday, unit = (_qn(m._meta.db_table) for m in (CheckIn, UnitDay, Unit))
    deleted = items = 0
    zone_days = _zone_days()
    with transaction.atomic(), connection.cursor() as cur:
        for tz, day in zone_days:
            ents = f"SELECT id FROM {unit} WHERE kind = %s AND timezone = %s"  # noqa: S608
            cur.execute(
                f"DELETE FROM {checkin} WHERE day = %s AND enterprise_id IN ({ents})",  # noqa: S608
                [day, Unit.Kind.ENTERPRISE, tz],
            )
            deleted += cur.rowcount
            # The health items this morning's red cards opened go with them: a red card opens its
            # item again, so every run does the same work.
            opened = Item.objects.filter(
                kind=Kind.HEALTH_ANOMALY, detail__day=day.isoformat(), enterprise__timezone=tz
            )
            items += opened.delete()[1].get(Item._meta.label, 0)
            cur.execute(
                f"UPDATE {unitday} SET checked_in = 0, red = 0, yellow = 0, on_site = 0 "  # noqa: S608
                f"WHERE day = %s AND unit_id IN "
                f"(SELECT id FROM {unit} WHERE enterprise_id IN ({ents}) OR id IN ({ents}))",
                [day, Unit.Kind.ENTERPRISE, tz, Unit.Kind.ENTERPRISE, tz],
            )
        for day in {day for _, day in zone_days}:
            recount_exempt_day(day)  # nobody has checked in: every exempt person counts again
    if connection.vendor == "postgresql":
        # The tables the reset changed, as autovacuum would leave them before a morning: the
        # roll-up counts open items by an index-only scan, which needs the items' visibility map.
        with connection.cursor() as cur:
            for table in (checkin, unitday, _qn(Item._meta.db_table)):
                cur.execute(f"VACUUM ANALYZE {table}")
    return {
        "deleted": deleted,
        "items_deleted": items,
        "seconds": round(time.monotonic() - started, 1),
        "days": zone_days,
    }


def _headcounts() -> dict[int, int]:
    rows = (
        Person.objects.filter(status=Person.Status.ACTIVE)
        .values("enterprise_id")
        .annotate(n=Count("id"))
        .values_list("enterprise_id", "n")
    )
    return dict(rows)


def pick_units() -> dict[str, dict[str, Any]]:
    """group G; segment S01; the largest enterprise; the enterprise nearest 2 000 people (missing
    list, small export); the unit nearest 100 000 people (large export)."""
    per_ent = _headcounts()
    ents = {u.pk: u for u in Unit.objects.filter(kind=Unit.Kind.ENTERPRISE)}
    group = Unit.objects.get(code=GROUP_CODE)
    segments = list(Unit.objects.filter(parent=group).order_by("code"))
    per_seg = {s.pk: 0 for s in segments}
    for pk, n in per_ent.items():
        parent = ents[pk].parent_id if pk in ents else None
        if parent in per_seg:
            per_seg[parent] += n
    segment = next((s for s in segments if s.code == "S01"), segments[0] if segments else group)
    largest = max(per_ent, key=lambda pk: (per_ent[pk], -pk))
    near2000 = min(per_ent, key=lambda pk: (abs(per_ent[pk] - 2000), pk))
    total = sum(per_ent.values())
    candidates = [(group.code, total)]
    candidates += [(s.code, per_seg[s.pk]) for s in segments]
    candidates += [(ents[pk].code, n) for pk, n in per_ent.items() if pk in ents]
    export = min(candidates, key=lambda c: (abs(c[1] - 100_000), c[0]))
    return {
        "group": {"code": group.code, "people": total},
        "segment": {"code": segment.code, "people": per_seg.get(segment.pk, total)},
        "enterprise": {"code": ents[largest].code, "people": per_ent[largest]},
        "missing": {"code": ents[near2000].code, "people": per_ent[near2000]},
        "export": {"code": export[0], "people": export[1]},
    }


def bench_user() -> tuple[str, str]:
    """The bench user (group admin on G): a new API token and a signed-in session key."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    with transaction.atomic():
        user, _ = actions.ensure_user("bench", BENCH_USER)
        actions.grant_role("bench", user, Role.GROUP_ADMIN, Unit.objects.get(code=GROUP_CODE))
        token = actions.create_token("bench", user, "fangkong bench")
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return token, str(session.session_key)


def region_codes(n: int = 40) -> list[str]:
    codes = list(
        Region.objects.filter(level=Region.Level.COUNTY).order_by("code").values_list("code", flat=True)
    )
    return random.Random(5).sample(codes, min(n, len(codes)))


# --- ceilings and sizes -------------------------------------------------------------------------------


def copy_ceiling(rows: int = COPY_ROWS) -> dict[str, Any]:
    """COPY of existing check-in rows into an empty table with the same columns and indexes (one
    transaction, committed): what PostgreSQL ingests on this machine without any application."""
    if connection.vendor != "postgresql":
        return {"rows_per_s": None, "method": "PostgreSQL only"}
    table = _qn(CheckIn._meta.db_table)
    target = _qn("bench_copy_ceiling")
    buf: list[bytes] = []
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {target}")
        cur.execute(f"CREATE TABLE {target} (LIKE {table} INCLUDING DEFAULTS INCLUDING INDEXES)")
        try:
            with cur.cursor.copy(f"COPY (SELECT * FROM {table} LIMIT {int(rows)}) TO STDOUT") as copy:  # noqa: S608
                for data in copy:
                    buf.append(bytes(data))
            started = time.perf_counter()
            with transaction.atomic(), cur.cursor.copy(f"COPY {target} FROM STDIN") as copy:
                for data in buf:
                    copy.write(data)
            seconds = time.perf_counter() - started
            cur.execute(f"SELECT count(*) FROM {target}")  # noqa: S608
            n = cur.fetchone()[0]
        finally:
            cur.execute(f"DROP TABLE IF EXISTS {target}")
    return {
        "rows": n,
        "seconds": round(seconds, 2),
        "rows_per_s": round(n / seconds) if seconds and n else None,
        "method": "COPY FROM STDIN of existing check-in rows into an empty copy of the table + indexes",
    }


def db_size() -> dict[str, Any]:
    """Bytes of the check-in table with its indexes and TOAST, per million rows."""
    table = CheckIn._meta.db_table
    n = CheckIn.objects.count()
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT pg_total_relation_size(%s), pg_relation_size(%s)", [table, table])
            total, heap = cur.fetchone()
            cur.execute("SELECT pg_database_size(current_database())")
            database = cur.fetchone()[0]
            method = "pg_total_relation_size(checkins_checkin) / rows × 1e6 (heap, indexes, TOAST)"
        else:
            try:
                cur.execute(
                    "SELECT sum(pgsize) FROM dbstat WHERE name = %s OR name IN "
                    "(SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = %s)",
                    [table, table],
                )
                total = cur.fetchone()[0] or 0
                cur.execute("SELECT sum(pgsize) FROM dbstat WHERE name = %s", [table])
                heap = cur.fetchone()[0] or 0
                method = "SQLite dbstat pages of checkins_checkin and its indexes / rows × 1e6"
            except Exception:  # dbstat not compiled in: the whole file, an upper bound
                path = Path(str(connection.settings_dict["NAME"]))
                total = heap = path.stat().st_size if path.exists() else 0
                method = "whole SQLite file / check-in rows × 1e6 (upper bound; dbstat unavailable)"
            database = Path(str(connection.settings_dict["NAME"])).stat().st_size
    per = total / n * 1e6 if n else None
    return {
        "rows": n,
        "total_bytes": total,
        "heap_bytes": heap,
        "database_bytes": database,
        "mib_per_million": round(per / 2**20, 1) if per else None,
        "bytes_per_row": round(total / n) if n else None,
        "method": method,
    }


# --- what PostgreSQL wrote during a phase --------------------------------------------------------------


# Checkpoints completed since the server's statistics were reset.
_CHECKPOINTS = "checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter"


def wal_mark() -> tuple[str, int] | None:
    """Where PostgreSQL's WAL and its count of completed checkpoints stand (None on SQLite): the start
    of a phase for `wal_since`."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute(f"SELECT pg_current_wal_lsn()::text, {_CHECKPOINTS}")
        lsn, checkpoints = cur.fetchone()
    return lsn, checkpoints


def wal_since(mark: tuple[str, int] | None, writes: int) -> dict[str, Any] | None:
    """The WAL written since `mark` (bytes, and per stored write) and the checkpoints completed since:
    a checkpoint makes the next change of every page write the whole page into the WAL, so a phase
    with one costs more per write than a phase without (docs/performance.md)."""
    if mark is None:
        return None
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s::pg_lsn)::bigint, {_CHECKPOINTS}", [mark[0]]
        )
        wal, checkpoints = cur.fetchone()
    return {
        "bytes": wal,
        "bytes_per_write": round(wal / writes) if writes else None,
        "checkpoints_completed": checkpoints - mark[1],
    }


# --- checks after the run ---------------------------------------------------------------------------


def count_tags(tags: Sequence[str]) -> dict[str, int]:
    """Stored check-ins per tag (the last 8 hex digits of their ids), among today's rows."""
    if not tags:
        return {}
    table = _qn(CheckIn._meta.db_table)
    lo = min(d for _, d in _zone_days())
    tail = "right(id::text, 8)" if connection.vendor == "postgresql" else "substr(id, -8)"
    marks = ", ".join(["%s"] * len(tags))
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {tail}, count(*) FROM {table} WHERE day >= %s AND {tail} IN ({marks}) "  # noqa: S608
            f"GROUP BY {tail}",
            [lo, *tags],
        )
        return {t: n for t, n in cur.fetchall()}


def counter_check() -> dict[str, Any]:
    """Today's day counters agree with today's current check-ins (nothing counted twice or missed)."""
    days = sorted({d for _, d in _zone_days()})
    current = CheckIn.objects.filter(day__in=days, current=True, counted=True)
    rows = current.count()
    on_site_rows = current.filter(where="on_site").count()
    sums = UnitDay.objects.filter(day__in=days).aggregate(n=Sum("checked_in"), s=Sum("on_site"))
    counted, on_site = sums["n"] or 0, sums["s"] or 0
    amended = CheckIn.objects.filter(day__in=days, version__gt=1).count()
    return {
        "days": days,
        "current_rows": rows,
        "counter_sum": counted,
        "on_site_rows": on_site_rows,
        "on_site_sum": on_site,
        "amendments": amended,
        "ok": rows == counted and on_site_rows == on_site,
    }
