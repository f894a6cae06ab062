"""`fangkong serve`: the production server (gunicorn) on the configured database."""

from __future__ import annotations

import os
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections


class Command(BaseCommand):
    help = "Serve fangkong with gunicorn (static files through whitenoise)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("WEB_CONCURRENCY", "0")) or None,
            help="worker processes (default: 2 x cores + 1)",
        )
        parser.add_argument("--threads", type=int, default=1)
        parser.add_argument("--no-migrate", action="store_true", help="do not apply pending migrations first")

    def handle(
        self, *args, host: str, port: int, workers: int | None, threads: int, no_migrate: bool, **opts
    ):
        from gunicorn.app.wsgiapp import WSGIApplication

        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        workers = workers or (2 * (os.cpu_count() or 1) + 1)
        if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
            # One SQLite file takes one writer at a time; more processes only queue on its lock.
            workers = min(workers, 4)
        self.stdout.write(f"fangkong serving on http://{host}:{port}/ with {workers} workers")
        self.stdout.flush()
        argv = [
            "gunicorn",
            "fangkong.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--access-logfile",
            os.environ.get("ACCESS_LOG", "/dev/null"),
            "--graceful-timeout",
            "10",
            "--timeout",
            "120",
        ]
        # Workers fork from this process: they must not inherit (and share) its database connection.
        connections.close_all()
        sys.argv = argv  # gunicorn's application reads its options from argv
        WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()
