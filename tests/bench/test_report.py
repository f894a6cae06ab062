"""The bench's export-memory goal compares what each export added to its worker, not their peaks."""

from fangkong.bench.report import goals


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
