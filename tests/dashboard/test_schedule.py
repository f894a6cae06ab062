"""The daily bulletin on a schedule: through the notify module's registry, to each unit's own admins."""

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from fangkong.notify import schedule
from fangkong.notify.models import Message

from .helpers import populate

# 13:45 in Shanghai: after the bulletin's 13:30
AFTER = datetime(2026, 11, 25, 5, 45, tzinfo=UTC)


@pytest.mark.django_db
def test_the_bulletin_jobs_are_registered():
    names = {j.name: j for j in schedule.jobs()}
    assert names["dashboard.bulletin"].per == "group"
    assert names["dashboard.bulletin_enterprise"].per == "enterprise"


@pytest.mark.django_db
def test_a_scheduled_run_sends_each_unit_its_own_bulletin_once(w):
    populate(w)
    now = timezone.now()
    schedule.job("dashboard.bulletin").fn(now, w.group)
    schedule.job("dashboard.bulletin_enterprise").fn(now, w.e1)

    group = Message.objects.get(user=w.group_admin)
    assert group.subject.startswith("示例集团疫情通报")
    assert "应打卡人数" in group.body and "较昨日" in group.body
    assert group.link.startswith("/dashboard/units/G/bulletin.pdf?date=")
    assert Message.objects.get(user=w.segment_admin).link.startswith("/dashboard/units/S1/")
    e1 = Message.objects.get(user=w.enterprise_admin)
    assert e1.subject.startswith("第一企业疫情通报")
    assert "鲍勃" in e1.body  # what blocks: the person missing a check-in
    # nobody below gets the group's, the grid leader gets none, and a retried run repeats nothing
    assert not Message.objects.filter(user__in=[w.grid_leader, w.outsider]).exists()
    schedule.job("dashboard.bulletin").fn(now, w.group)
    assert Message.objects.filter(user=w.group_admin).count() == 1


@pytest.mark.django_db
def test_the_scheduler_runs_them_at_their_time(w):
    ran = schedule.run_due(AFTER, names=["dashboard.bulletin", "dashboard.bulletin_enterprise"])
    assert {r.key.split(":")[0] for r in ran} == {"dashboard.bulletin", "dashboard.bulletin_enterprise"}
    assert Message.objects.filter(user=w.group_admin, key__startswith="dashboard.bulletin:G:").exists()
    assert Message.objects.filter(user=w.outsider, key__startswith="dashboard.bulletin:E2:").exists()
