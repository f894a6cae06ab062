"""`fangkong soak`, small: the real command with its own PostgreSQL cluster, a worker killed and a
database restart; it must reconcile (nothing acknowledged lost, no duplicates, counters and audit
chain right) and see no 500. The full run's figures are in docs/reliability.md."""

import json
import os
import subprocess
import sys

import pytest

from fangkong.soak.cluster import missing_tools

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("FANGKONG_RUN_SLOW") != "1", reason="slow: set FANGKONG_RUN_SLOW=1"),
    pytest.mark.skipif(missing_tools() is not None, reason=f"no PostgreSQL cluster: {missing_tools()}"),
]


def test_a_small_soak_with_a_worker_kill_and_a_restart_reconciles(tmp_path):
    out = tmp_path / "soak.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "fangkong.cli",
            "soak",
            "--checkins",
            "400",
            "--clients",
            "16",
            "--employees",
            "2000",
            "--workers",
            "2",
            "--faults",
            "kill,restart",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(out.read_text())
    load, rec = result["load"], result["reconcile"]
    assert result["ok"] and result["failures"] == []
    assert load["acknowledged"] >= 400  # every check-in, plus the recovery probes
    assert rec["acknowledged_missing"] == 0 and rec["duplicate_ids"] == 0
    assert rec["person_days_with_two_current"] == 0
    assert rec["unit_days_checked_in_wrong"] == 0 and rec["unit_days_cards_wrong"] == 0
    assert rec["audit_verify"]["ok"]
    kinds = [f["kind"] for f in load["faults"]]
    assert kinds[1:] == ["worker killed (SIGKILL)", "pg_ctl restart -m fast"]
    assert all(f["500"] == 0 for f in load["faults"])
    restart = load["faults"][2]
    assert restart["server_recovered_s"] is not None and restart["server_recovered_s"] <= 10
    # the cluster is gone, and no process of it or of the server is left
    cluster = result["settings"]["cluster_dir"]
    assert not os.path.exists(cluster)
    assert not [p for p in _cmdlines() if cluster in p or f"--port {result['settings']['server_port']}" in p]


def _cmdlines() -> list[str]:
    lines = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as fh:
                    lines.append(fh.read().replace(b"\0", b" ").decode(errors="replace"))
            except OSError:
                pass
    return lines
