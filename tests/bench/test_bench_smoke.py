"""A tiny `fangkong bench` run end to end (SQLite, 200 employees, 2 s phases): every figure is in the
JSON and nothing was lost. Not a benchmark: see docs/performance.md for the real run."""

import json
import os
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


@pytest.mark.skipif(shutil.which("wrk") is None, reason="needs wrk (apt-get install -y wrk)")
def test_bench_smoke(tmp_path):
    out = tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "FANGKONG_VAR_DIR")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "fangkong.cli",
            "bench",
            "--var-dir",
            str(tmp_path / "var"),
            "--employees",
            "200",
            "--days",
            "1",
            "--duration",
            "2",
            "--connections",
            "4",
            "--batch-size",
            "50",
            "--probes",
            "5",
            "--out",
            str(out),
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    r = json.loads(out.read_text())

    for name in ("noop", "insert"):
        assert r["ceilings"][name]["per_s"] > 0
    ci = r["checkins"]
    for key in ("per_s", "p50_ms", "p99_ms", "ratio_to_insert", "ratio_to_noop"):
        assert ci[key] is not None, key
    assert ci["ok"] > 0 and ci["errors"] == 0
    alternating = ci["alternating"]  # the ratio again, round by round beside its own insert ceiling
    assert len(alternating["rounds"]) == 3 and alternating["errors"] == 0
    assert alternating["ratio_min"] <= alternating["ratio_median"] <= alternating["ratio_max"]
    assert {f"alternating_{n}" for n in (1, 2, 3)} <= set(r["verify"]["phases"])
    assert r["batch"]["per_s"] > 0 and r["batch"]["errors"] == 0
    assert r["driver"]["noop_over_checkins"] > 0
    for key in ("group", "segment", "enterprise"):
        assert r["rollup"][key]["p50_ms"] > 0 and r["rollup"][key]["errors"] == 0
        assert r["rollup_under_load"][key]["p50_ms"] > 0
    assert r["rollup_under_load"]["errors"] == 0
    assert r["missing"]["p50_ms"] > 0 and r["missing"]["errors"] == 0
    deep = r["missing_deep"]  # the group's list at its middle page
    assert deep["p50_ms"] > 0 and deep["errors"] == 0 and 1 <= deep["page"] <= max(1, deep["count"] // 100)
    roster = r["roster_deep"]  # the group's roster at its middle page, by number and by cursor
    assert roster["page"] >= 2 and roster["count"] == r["scale"]["employees"]
    assert all(roster[k]["p50_ms"] > 0 and roster[k]["errors"] == 0 for k in ("by_page", "by_after"))
    for key in ("unit_page", "board", "board_enterprise", "trends", "bulletin_pdf"):
        assert r[key]["p50_ms"] > 0, key
    for key in ("large", "small"):
        export = r["export"][key]
        assert export["status"] == 200 and export["rows"] > 0 and export["worker_peak_rss_mib"] > 0
    assert r["export"]["large"]["rows"] == r["units"]["export"]["people"]
    assert r["db_size"]["mib_per_million"] > 0
    assert r["generate"]["seconds"] > 0 and r["generate"]["employees"] == 200
    assert {g["goal"].split(" (")[0] for g in r["goals"]} >= {"POST /checkins p99 at 32 connections"}
    # Nothing lost: every 201 is stored, and the day counters agree with the stored rows.
    assert r["verify"]["lost_total"] == 0
    assert r["verify"]["ok"], r["verify"]
    assert "lost check-ins" in proc.stdout
    assert "alternating with insert (3 rounds)" in proc.stdout
