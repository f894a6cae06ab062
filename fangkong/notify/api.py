"""The one call other modules use to tell people something: `notify(actor, users, subject=..., body=...)`.

It writes one inbox message per user and, after the caller's transaction commits, queues the
deliveries on the channels configured for `unit` (e-mail, WeCom / DingTalk / Feishu robots). A channel
that fails is retried by the scheduler with back-off; it never raises into the caller.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from fangkong.audit.actions import actor_name, record
from fangkong.org.imports.base import batched
from fangkong.org.models import Unit

from .models import Channel, Delivery, Message

log = logging.getLogger(__name__)


def channels_for(unit: Unit | None) -> list[Channel]:
    """Active channels that carry a message about `unit`.

    E-mail is on when any unit from the group down to `unit` has an active e-mail channel. Robots
    are those of the nearest unit (itself first, then up) that has any, so a grid without its own
    robot posts to its enterprise's group chat, and one message is not posted at every level.
    """
    if unit is None:
        return []
    chain = [*unit.ancestor_ids, unit.pk]
    found = list(Channel.objects.filter(unit_id__in=chain, active=True).select_related("unit"))
    email = [c for c in found if c.kind == Channel.Kind.EMAIL]
    robots = [c for c in found if c.is_robot]
    nearest = max((c.unit.depth for c in robots), default=None)
    chosen = [c for c in robots if c.unit.depth == nearest]
    # One e-mail channel is enough (the nearest one names it); the mail itself goes per user.
    email.sort(key=lambda c: -c.unit.depth)
    return email[:1] + sorted(chosen, key=lambda c: c.pk)


def notify(
    actor: Any,
    users: Iterable[Any],
    *,
    subject: str,
    body: str,
    link: str = "",
    unit: Unit | None = None,
    key: str = "",
) -> int:
    """Put a message in each user's inbox and queue its deliveries; returns how many messages were made.

    `key` (e.g. "checkins.remind:E1:2026-11-25") makes the message once-only per user: a user who
    already has a message with this key gets no second one. Call it inside or outside a
    transaction; deliveries are queued only after the outermost transaction commits.
    """
    now = timezone.now()
    people = {u.pk: u for u in users if u is not None and getattr(u, "is_active", True)}
    if not people:
        return 0
    subject, link = subject[:200], link[:300]
    with transaction.atomic():
        if key:
            # In chunks: the first morning, all of a large enterprise is reminded at once (76 267
            # people in the generated group's largest), past PostgreSQL's 65 535 parameters.
            for pks in batched(list(people)):  # (a list: people loses keys in the loop)
                for pk in Message.objects.filter(key=key, user_id__in=pks).values_list("user_id", flat=True):
                    people.pop(pk)
        if not people:
            return 0
        sender = actor_name(actor)[:150]
        rows = [
            Message(
                user_id=pk,
                subject=subject,
                body=body,
                link=link,
                unit=unit,
                key=key,
                sender=sender,
                created_at=now,
            )
            for pk in people
        ]
        messages = _insert(rows)
        if not messages:
            return 0
        deliveries = _deliveries(messages, people, unit, subject=subject, body=body, link=link, now=now)
        record(
            actor,
            "notify.send",
            "message",
            key or subject[:60],
            unit_code=unit.code if unit else "",
            detail={"recipients": len(messages), "deliveries": len(deliveries), "key": key},
        )
        if deliveries:
            ids = [d.pk for d in deliveries]
            transaction.on_commit(lambda: enqueue_deliveries(ids))
    return len(messages)


def _insert(rows: list[Message]) -> list[Message]:
    """Insert the messages; if another process sent the same key to someone meanwhile, skip that one."""
    try:
        with transaction.atomic():
            return Message.objects.bulk_create(rows)
    except IntegrityError:
        pass
    made = []
    for row in rows:
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            continue
        made.append(row)
    return made


def _deliveries(
    messages: list[Message], people: dict, unit: Unit | None, *, subject: str, body: str, link: str, now: Any
) -> list[Delivery]:
    rows: list[Delivery] = []
    for channel in channels_for(unit):
        if channel.kind == Channel.Kind.EMAIL:
            for m in messages:
                address = (people[m.user_id].email or "").strip()
                if address:
                    rows.append(
                        Delivery(
                            channel=channel,
                            kind=channel.kind,
                            message=m,
                            unit=unit,
                            address=address,
                            subject=subject,
                            body=body,
                            link=link,
                            next_attempt_at=now,
                            created_at=now,
                        )
                    )
        else:
            # One post per call to the group chat, naming who it concerns (digest, not flood).
            rows.append(
                Delivery(
                    channel=channel,
                    kind=channel.kind,
                    unit=unit,
                    address=channel.url,
                    subject=subject,
                    body=body,
                    link=link,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    if not rows:
        return []
    created = Delivery.objects.bulk_create(rows)
    if any(d.pk is None for d in created):
        created = list(Delivery.objects.filter(created_at=now, unit=unit, subject=subject))
    return created


def enqueue_deliveries(ids: list[int]) -> None:
    """Hand the deliveries to the task worker; if even that fails the scheduler's sweep sends them."""
    from .tasks import deliver

    try:
        deliver.enqueue(ids)
    except Exception:  # noqa: BLE001 — never break the request that caused the message
        log.exception("could not enqueue deliveries %s; the scheduler will pick them up", ids)


__all__ = ["notify", "channels_for"]
