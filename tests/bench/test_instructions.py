"""`fangkong instructions` end to end on a tiny SQLite group: each kind of request is counted, every
counted request was answered as the server answers it, and a check-in costs more than the ceilings.
Not a measurement: see docs/performance.md."""

import json
import os
import subprocess
import sys

import pytest

from fangkong.bench import instructions


@pytest.mark.slow
@pytest.mark.skipif(instructions.missing() is not None, reason=instructions.HINT)
def test_instructions_counts_each_kind_of_request(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["FANGKONG_VAR_DIR"] = str(tmp_path / "var")

    def fangkong(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "fangkong.cli", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=900,
        )

    made = fangkong("generate", "--employees", "120", "--days", "1", "--seed", "1")
    assert made.returncode == 0, made.stdout[-2000:] + made.stderr[-2000:]
    out = tmp_path / "instructions.json"
    run = fangkong(
        "instructions",
        "--requests",
        "8",
        "--warmup",
        "2",
        "--batches",
        "2",
        "--batch-size",
        "10",
        "--out",
        str(out),
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    r = json.loads(out.read_text())

    # A batch's statuses are its items': 2 batches of 10 check-ins, all stored.
    assert r["statuses"] == {
        "noop": {"204": 8},
        "insert": {"201": 8},
        "checkin": {"201": 8},
        "batch": {"201": 20},
    }
    per = r["instructions_per_request"]
    assert 0 < per["noop"] < per["insert"] < per["checkin"] < per["batch"]
    assert r["instructions_per_batch_item"] == per["batch"] // 10
    assert r["ratios"]["checkin_to_insert"] == round(per["checkin"] / per["insert"], 3)
    assert "check-in ÷ insert" in run.stdout


def test_instructions_refuses_the_default_database(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "FANGKONG_VAR_DIR")}
    run = subprocess.run(
        [sys.executable, "-m", "fangkong.cli", "instructions", "--requests", "1"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode != 0
    assert "bench database" in run.stderr
