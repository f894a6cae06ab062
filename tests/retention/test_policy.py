"""Retention periods: from the environment with defaults, never under the legal minimum for audit
and access logs; the purge is a daily job of the scheduler."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import time, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured

from fangkong.audit.models import AuditEntry
from fangkong.checkins.models import CheckIn
from fangkong.lib.dates import local_time
from fangkong.notify import schedule
from fangkong.notify.models import Run
from fangkong.retention import jobs
from fangkong.retention.policy import check_periods, periods
from fangkong.retention.purge import run

from .helpers import CHECKIN_CUTOFF, TODAY, ZONE, checkin

PRINT_PERIODS = "import fangkong.settings as s; print(s.RETENTION_CHECKIN_DAYS, s.RETENTION_AUDIT_DAYS)"


def _load_settings(tmp_path, **env: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "FANGKONG_VAR_DIR": str(tmp_path), "SECRET_KEY": "x" * 50, **env}
    return subprocess.run(
        [sys.executable, "-c", PRINT_PERIODS],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )


def test_defaults():
    p = periods()
    assert (p.checkins, p.closed_items, p.left_people, p.notify) == (90, 180, 180, 180)
    assert p.audit >= 1095 and p.access_log >= 1095


def test_periods_come_from_the_environment(tmp_path):
    done = _load_settings(tmp_path, RETENTION_CHECKIN_DAYS="30", RETENTION_AUDIT_DAYS="2000")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["30", "2000"]


@pytest.mark.parametrize("name", ["RETENTION_AUDIT_DAYS", "RETENTION_ACCESS_LOG_DAYS"])
def test_logs_under_three_years_are_refused_at_start(tmp_path, name):
    done = _load_settings(tmp_path, **{name: "1094"})
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and f"{name}=1094" in done.stderr


@pytest.mark.django_db
def test_a_period_under_the_minimum_set_at_run_time_stops_the_purge(w, settings):
    checkin(w.alice, CHECKIN_CUTOFF - timedelta(days=1))
    settings.RETENTION_AUDIT_DAYS = 365
    settings.RETENTION_CHECKIN_DAYS = 0

    with pytest.raises(ImproperlyConfigured, match="RETENTION_AUDIT_DAYS=365"):
        run(today=TODAY)
    assert CheckIn.objects.count() == 1
    assert not AuditEntry.objects.filter(action__startswith="retention.").exists()
    assert {e.id for e in check_periods()} == {"retention.E001"}
    assert len(check_periods()) == 2


@pytest.mark.django_db
def test_the_purge_runs_once_a_day_from_the_scheduler(w):
    job = schedule.job(jobs.JOB)
    assert (job.per, job.default_time) == ("global", time(3, 30))
    checkin(w.alice, CHECKIN_CUTOFF - timedelta(days=1))
    at = local_time(ZONE, TODAY, time(3, 31))

    ran = schedule.run_due(at, names=[jobs.JOB])

    assert [(r.job, r.state, r.sent) for r in ran] == [(jobs.JOB, Run.State.DONE, 1)]
    assert not CheckIn.objects.exists()
    assert AuditEntry.objects.filter(action="retention.purge", actor="system:purge").count() == 1
    assert schedule.run_due(at + timedelta(minutes=5), names=[jobs.JOB]) == []
