"""notify(): inbox rows per user, once per key, deliveries queued only after commit."""

from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from fangkong.notify.api import notify
from fangkong.notify.models import Channel, Delivery, Message
from fangkong.org.imports.base import BATCH

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.mark.django_db
def test_one_message_per_user_and_once_per_key(w):
    users = [w.grid_leader, w.enterprise_admin]
    assert notify("system", users, subject="Hello", body="b", unit=w.e1, key="k1") == 2
    assert notify("system", users, subject="Hello", body="b", unit=w.e1, key="k1") == 0
    assert notify("system", [w.grid_leader], subject="Hello again", body="b") == 1
    assert Message.objects.filter(user=w.grid_leader).count() == 2
    assert Message.objects.filter(read_at__isnull=True, user=w.enterprise_admin).count() == 1


@pytest.mark.django_db
def test_once_per_key_holds_for_more_users_than_one_read_takes(w):
    """The first morning's reminder goes to everyone of a large enterprise: the users who already
    have the key's message are looked up in chunks (past PostgreSQL's 65 535 parameters)."""
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"many-{i:04d}", password="!") for i in range(BATCH + 50)
    )
    told = users[::10]  # spread over every chunk
    assert notify("system", told, subject="Hello", body="b", key="k-many") == len(told)
    assert notify("system", users, subject="Hello", body="b", key="k-many") == len(users) - len(told)
    per_user = Counter(Message.objects.filter(key="k-many").values_list("user_id", flat=True))
    assert sorted(per_user) == sorted(u.pk for u in users) and set(per_user.values()) == {1}


@pytest.mark.django_db
def test_email_goes_out_after_commit_only(w, settings, django_capture_on_commit_callbacks):
    settings.TASKS = IMMEDIATE
    w.grid_leader.email = "leader@example.com"
    w.grid_leader.save()
    Channel.objects.create(unit=w.e1, kind=Channel.Kind.EMAIL)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify("system", [w.grid_leader, w.tracker], subject="Check", body="now", link="/x", unit=w.grid1)
    assert mail.outbox == []  # nothing leaves before the caller's transaction commits
    for cb in callbacks:
        cb()
    assert [m.to for m in mail.outbox] == [["leader@example.com"]]  # the tracker has no address
    assert Delivery.objects.get().state == Delivery.State.SENT


@pytest.mark.django_db
def test_a_key_taken_concurrently_skips_that_user_only(w):
    """Another process sent the same key to one user between the check and the insert."""
    from django.utils import timezone

    from fangkong.notify.api import _insert

    now = timezone.now()
    Message.objects.create(user=w.grid_leader, subject="s", key="race", created_at=now)
    rows = [Message(user=u, subject="s", key="race", created_at=now) for u in (w.grid_leader, w.tracker)]
    assert [m.user for m in _insert(rows)] == [w.tracker]
