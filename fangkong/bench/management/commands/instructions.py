"""`fangkong instructions`: instructions per request (valgrind), the check-in's beside the ceilings'."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from fangkong.bench import instructions, setup


class Command(BaseCommand):
    help = (
        "Count the instructions of a request (valgrind's callgrind): the no-op and insert ceiling "
        "views, POST /api/v1/checkins and /checkins/batch, through the server's Django stack in one "
        "process, on the bench database (fangkong bench generates it). Counts do not move with the "
        "host's load: use them to compare code. PostgreSQL's work is not counted."
    )

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=300, help="counted requests of each kind (300)")
        parser.add_argument("--warmup", type=int, default=100, help="requests of each kind first (100)")
        parser.add_argument("--seed", type=int, default=1, help="seed of the check-in bodies (1)")
        parser.add_argument("--batches", type=int, default=5, help="counted batches, after two (5)")
        parser.add_argument("--batch-size", type=int, default=1000, help="check-ins per batch (1000)")
        parser.add_argument("--out", default="instructions.json", help="JSON results file")

    def handle(
        self, *args, requests: int, warmup: int, seed: int, batches: int, batch_size: int, out: str, **opts
    ):
        if not (os.environ.get("DATABASE_URL") or os.environ.get("FANGKONG_VAR_DIR")):
            raise CommandError(
                "fangkong instructions stores check-ins: point it at the bench database "
                f"(DATABASE_URL=postgres://…/fk_bench), not {settings.DATABASES['default']['NAME']}"
            )
        if requests <= 0 or warmup < 0 or batches <= 0 or not 0 < batch_size <= 1000:
            raise CommandError(
                "--requests and --batches must be positive, --warmup not negative, --batch-size 1 to 1000"
            )
        if not setup.has_group() or setup.scale()["employees"] == 0:
            raise CommandError("the database holds no generated group: run fangkong bench first")
        try:
            counted = instructions.count(
                requests=requests, warmup=warmup, seed=seed, batches=batches, batch_size=batch_size
            )
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        result = {
            "date": datetime.now().astimezone().isoformat(timespec="seconds"),
            "machine": setup.machine(),
            "code": setup.code_version(),
            "database": setup.database_info(),
            "scale": setup.scale(),
            **counted,
        }
        Path(out).write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n")
        per, ratios = counted["instructions_per_request"], counted["ratios"]
        for kind in instructions.KINDS:
            statuses = counted["statuses"][kind]
            self.stdout.write(f"{kind:8s} {per[kind]:>13,} instructions a request  statuses {statuses}")
        self.stdout.write(
            f"batch    {counted['instructions_per_batch_item']:>13,} instructions a check-in "
            f"({counted['batch_size']} a batch)"
        )
        self.stdout.write(
            f"check-in ÷ insert {ratios['checkin_to_insert']:.3f}   "
            f"check-in ÷ no-op {ratios['checkin_to_noop']:.3f}   "
            f"insert ÷ no-op {ratios['insert_to_noop']:.3f}   "
            f"batch item ÷ check-in {ratios['batch_item_to_checkin']:.3f}"
        )
        self.stdout.write(f"written {out}")
