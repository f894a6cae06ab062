"""The bench's export-memory goal compares what each export added to its worker, not their peaks."""

from fangkong.bench.report import goals, render_table


def _export(rows: int, before: float, peak: float) -> dict:
    return {"rows": rows, "worker_rss_before_mib": before, "worker_peak_rss_mib": peak}


def _memory_goal(large: dict, small: dict) -> dict:
    found = [g for g in goals({"export": {"large": large, "small": small}}) if "export memory" in g["goal"]]
    assert len(found) == 1
    return found[0]


def test_exports_served_by_workers_of_different_sizes_still_count_as_flat():
    # The small export's worker had served batches before (25 MiB bigger): the peaks differ, the
    # exports themselves added the same.
    goal = _memory_goal(_export(112_488, 103.0, 109.5), _export(1_996, 128.0, 134.0))
    assert goal["met"] and goal["measured"] == 0.5


def test_an_export_whose_memory_grows_with_its_rows_misses_the_goal():
    goal = _memory_goal(_export(112_488, 103.0, 160.0), _export(1_996, 103.0, 107.0))
    assert not goal["met"] and goal["measured"] == 53.0


def test_the_table_names_the_postgresql_settings_its_figures_depend_on():
    database = {
        "vendor": "postgresql",
        "version": "15.20 (Debian 15.20-0+deb12u1)",
        "shared_buffers": "2GB",
        "max_wal_size": "8GB",
        "checkpoint_timeout": "15min",
        "wal_compression": "lz4",
        "autovacuum": "on",
        "work_mem": "32MB",
    }
    first = render_table({"database": database}).strip().splitlines()[0]
    assert first.startswith("database") and "PostgreSQL 15.20" in first
    named = (
        "shared_buffers 2GB, max_wal_size 8GB, checkpoint_timeout 15min, wal_compression lz4, autovacuum on"
    )
    assert named in first and "work_mem" not in first


def test_the_table_of_a_sqlite_run_names_no_postgresql_settings():
    assert "shared_buffers" not in render_table({"database": {"vendor": "sqlite", "version": "3.40.1"}})


def _run(insert_per_s: float, checkins_per_s: float, copy_rows_per_s: float, batch_per_s: float) -> dict:
    checkins = {
        "ratio_to_insert": round(checkins_per_s / insert_per_s, 3),
        "p99_ms": 60.0,
        "errors": 0,
        "per_s": checkins_per_s,
        "minutes_for_employees": round(1_000_000 / checkins_per_s / 60, 1),
    }
    return {
        "ceilings": {"insert": {"per_s": insert_per_s}},
        "checkins": checkins,
        "checkins_during_rollups": {"errors": 0},
        "verify": {"lost_total": 0, "ok": True},
        "copy_ceiling": {"rows_per_s": copy_rows_per_s},
        "batch": {"per_s": batch_per_s, "errors": 0},
    }


def test_the_million_goal_says_what_the_hosts_own_bare_insert_allows_and_keeps_its_verdict():
    # A slow host: its bare insert alone takes 34.6 min for a million, at the ratio goal 69.2 min.
    r = _run(insert_per_s=481.6, checkins_per_s=211.8, copy_rows_per_s=38_179, batch_per_s=1_789.6)
    million = next(g for g in goals(r) if g["goal"] == "a million check-ins")
    assert not million["met"] and million["measured"] == 78.7
    assert (
        "bare insert: 482 /s" in million["host"] and "at it 34.6 min, at 0.5 x it 69.2 min" in million["host"]
    )
    printed = render_table({"goals": goals(r)})
    assert "a million at it 34.6 min" in printed.split("goal a million check-ins")[1]


def test_the_batch_goal_names_the_hosts_copy_ceiling_and_keeps_its_verdict():
    r = _run(insert_per_s=2_000, checkins_per_s=1_100, copy_rows_per_s=140_000, batch_per_s=10_500)
    batch = next(g for g in goals(r) if g["goal"] == "batch endpoint")
    assert batch["met"] and "COPY of check-in rows: 140,000 rows/s" in batch["host"]
    assert "the batch is 0.075 x it" in batch["host"]
    million = next(g for g in goals(r) if g["goal"] == "a million check-ins")
    assert million["met"] and "at 0.5 x it 16.7 min" in million["host"]


def test_a_run_without_ceilings_prints_no_host_line():
    r = _run(insert_per_s=1_000, checkins_per_s=500, copy_rows_per_s=100_000, batch_per_s=5_000)
    del r["ceilings"], r["copy_ceiling"]
    assert all(g["host"] == "" for g in goals(r))
