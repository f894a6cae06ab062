"""`fangkong worker`: the django-tasks database worker plus the notification scheduler.

Every option of django-tasks-db's `db_worker` works here (`--batch`, `--queue-name`, `--interval` …).
The scheduler thread (every `--schedule-every` seconds) claims due daily runs and queues them,
escalates overdue ledger items and sweeps delivery retries; several workers may run at once, each
run is still claimed exactly once. `--no-scheduler` runs a plain task worker.
"""

from __future__ import annotations

from django_tasks_db.management.commands.db_worker import Command as DbWorker

from fangkong.notify.ticker import scheduler_pass, start_scheduler_thread


class Command(DbWorker):
    help = "Run background tasks (django-tasks-db worker) and the reminder scheduler."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--no-scheduler", action="store_true", help="run tasks only, schedule nothing")
        parser.add_argument(
            "--schedule-every", type=float, default=30.0, help="seconds between scheduler passes"
        )

    def handle(  # type: ignore[override]  # adds two options, passes the rest on unchanged
        self, *args, no_scheduler: bool = False, schedule_every: float = 30.0, **options
    ):
        if not no_scheduler:
            if options.get("batch"):
                scheduler_pass()  # one pass, then drain the queue and exit
            else:
                start_scheduler_thread(schedule_every)
        super().handle(*args, **options)
