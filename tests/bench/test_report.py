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
