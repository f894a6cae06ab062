"""Instructions per request, counted by valgrind (callgrind): a measure the host's noise cannot move.

`fangkong instructions` runs this module under `valgrind --tool=callgrind` with collection off,
and this module (the child) turns it on only around N requests of each kind, which it sends through
the WSGI application in its own process: the server's whole Django stack (middleware, ninja, the
database driver), without gunicorn. Each kind's count ends in its own dump file, read by the
parent. Only this process's instructions are counted: PostgreSQL's work is not (see
docs/performance.md for what that leaves out).

Counting needs valgrind's client requests, which are instruction sequences in C: a three-line helper
is compiled with the machine's C compiler into a temporary directory.
"""

from __future__ import annotations

import argparse
import ctypes
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

KINDS = ("noop", "insert", "checkin", "batch")
PATHS = {
    "noop": "/bench/noop",
    "insert": "/bench/insert",
    "checkin": "/api/v1/checkins",
    "batch": "/api/v1/checkins/batch",
}
EXPECT = {"noop": 204, "insert": 201, "checkin": 201, "batch": 200}

_HELPER = """#include <valgrind/callgrind.h>
void fk_start(void) { CALLGRIND_ZERO_STATS; CALLGRIND_START_INSTRUMENTATION; CALLGRIND_TOGGLE_COLLECT; }
void fk_stop(void) { CALLGRIND_TOGGLE_COLLECT; CALLGRIND_DUMP_STATS; CALLGRIND_STOP_INSTRUMENTATION; }
"""

HINT = "needs valgrind and a C compiler with valgrind's headers (apt-get install valgrind gcc)"


def missing() -> str | None:
    """What this machine lacks to count instructions, or None."""
    if not shutil.which("valgrind"):
        return "valgrind"
    if not (shutil.which("cc") or shutil.which("gcc")):
        return "a C compiler"
    if not Path("/usr/include/valgrind/callgrind.h").exists():
        return "valgrind's headers"
    return None


def count(
    *,
    requests: int,
    warmup: int,
    seed: int,
    batches: int = 5,
    batch_size: int = 1000,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run the child under callgrind; instructions per request of each kind, and their ratios. The
    batch kind counts `batches` batches of `batch_size` check-ins (after two batches of warm-up):
    per batch, and per check-in in it."""
    lacking = missing()
    if lacking:
        raise RuntimeError(f"fangkong instructions: no {lacking}; {HINT}")
    with tempfile.TemporaryDirectory(prefix="fangkong-instructions-") as tmp:
        work = Path(tmp)
        (work / "helper.c").write_text(_HELPER)
        compiler = shutil.which("cc") or "gcc"
        subprocess.run(  # noqa: S603 - the machine's compiler on our own source
            [compiler, "-shared", "-fPIC", "-O2", "-o", str(work / "helper.so"), str(work / "helper.c")],
            check=True,
            capture_output=True,
        )
        out = work / "callgrind.out"
        argv = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            "--collect-atstart=no",
            f"--callgrind-out-file={out}",
            sys.executable,
            "-m",
            "fangkong.bench.instructions",
            "--helper",
            str(work / "helper.so"),
            "--requests",
            str(requests),
            "--warmup",
            str(warmup),
            "--seed",
            str(seed),
            "--batches",
            str(batches),
            "--batch-size",
            str(batch_size),
        ]
        child_env = {**os.environ, **(env or {}), "FANGKONG_BENCH_VIEWS": "1"}
        run = subprocess.run(argv, env=child_env, capture_output=True, text=True, check=False)  # noqa: S603
        report = _child_report(run.stdout)
        if run.returncode != 0 or report is None:
            raise RuntimeError(f"the counted run failed ({run.returncode}): {run.stderr[-3000:]}")
        sent = {kind: batches if kind == "batch" else requests for kind in KINDS}
        per_request = {
            kind: _total(Path(f"{out}.{i}")) // sent[kind] for i, kind in enumerate(KINDS, start=1)
        }
    per_item = per_request["batch"] // batch_size
    result: dict[str, Any] = {
        "requests": requests,
        "warmup": warmup,
        "seed": seed,
        "batches": batches,
        "batch_size": batch_size,
        "statuses": report["statuses"],
        "instructions_per_request": per_request,
        "instructions_per_batch_item": per_item,
        "ratios": {
            "checkin_to_insert": round(per_request["checkin"] / per_request["insert"], 3),
            "checkin_to_noop": round(per_request["checkin"] / per_request["noop"], 3),
            "insert_to_noop": round(per_request["insert"] / per_request["noop"], 3),
            "batch_item_to_checkin": round(per_item / per_request["checkin"], 3),
        },
        "valgrind": subprocess.run(["valgrind", "--version"], capture_output=True, text=True).stdout.strip(),  # noqa: S607
    }
    return result


def _child_report(stdout: str) -> dict[str, Any] | None:
    for line in stdout.splitlines():
        if line.startswith("FANGKONG-INSTRUCTIONS "):
            return json.loads(line.partition(" ")[2])
    return None


def _total(dump: Path) -> int:
    """The instructions a callgrind dump file counted (its `summary:` line)."""
    for line in dump.read_text().splitlines():
        if line.startswith("summary:"):
            return int(line.split()[1])
    raise RuntimeError(f"{dump}: no summary line")


# --- the child: runs under valgrind ------------------------------------------------------------------


def _child(helper: str, requests: int, warmup: int, seed: int, batches: int, batch_size: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    import fangkong.wsgi  # the server's application, set up as the server sets it up (gc.freeze)

    from . import driver, setup

    counting = ctypes.CDLL(helper)
    token, _ = setup.bench_user()
    setup.reset_today()  # every run stores the same first check-ins of the day
    scale = setup.scale()
    regions = setup.region_codes()
    rng = random.Random(seed)
    tag = driver.new_tag()  # new ids each run; the people and bodies follow the seed
    app = fangkong.wsgi.application
    statuses: dict[str, dict[int, int]] = {}

    def body(kind: str) -> bytes:
        size = batch_size if kind == "batch" else 1
        items = [driver.checkin_body(rng, tag, scale["first"], scale["last"], regions) for _ in range(size)]
        return json.dumps(items if kind == "batch" else items[0]).encode()

    def call(kind: str, body: bytes) -> list[int]:
        """The statuses of the answer: the response's, or each item's for a batch."""
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": PATHS[kind],
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "HTTP_AUTHORIZATION": f"Bearer {token}",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.url_scheme": "http",
        }
        answered: list[str] = []

        def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            answered.append(status)
            return lambda data: None

        response = app(environ, start_response)
        content = b"".join(response) if kind == "batch" else None
        response.close()
        status = int(answered[0].split()[0])
        if content is None or status != EXPECT["batch"]:
            return [status]
        return [item["status"] for item in json.loads(content)]

    for kind in KINDS:
        n, first = (batches, min(warmup, 2)) if kind == "batch" else (requests, warmup)
        for _ in range(first):
            call(kind, body(kind))
        seen: dict[int, int] = {}
        # A single request's body is made in the counted loop (as it always was: the counts compare
        # with earlier runs); a batch's thousand bodies before it.
        made = [body(kind) for _ in range(n)] if kind == "batch" else None
        counting.fk_start()
        for i in range(n):
            for status in call(kind, made[i] if made is not None else body(kind)):
                seen[status] = seen.get(status, 0) + 1
        counting.fk_stop()
        statuses[kind] = seen
    print("FANGKONG-INSTRUCTIONS " + json.dumps({"statuses": statuses}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--helper", required=True)
    parser.add_argument("--requests", type=int, required=True)
    parser.add_argument("--warmup", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--batches", type=int, required=True)
    parser.add_argument("--batch-size", type=int, required=True)
    a = parser.parse_args()
    _child(a.helper, a.requests, a.warmup, a.seed, a.batches, a.batch_size)


if __name__ == "__main__":
    main()
