"""Attempting deliveries: claim, send, record; failures wait with exponential back-off.

A delivery is claimed by one conditional UPDATE (pending/retrying and due → sending), so two workers
or a worker and the scheduler's sweep never send the same one twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import F, Q
from django.utils import timezone

from .channels import SendError, send
from .models import Delivery

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
BACKOFF = timedelta(minutes=1)  # 1, 2, 4, 8 minutes between attempts
STUCK_AFTER = timedelta(minutes=10)  # a 'sending' row older than this lost its worker


def backoff(attempts: int) -> timedelta:
    return BACKOFF * (2 ** max(attempts - 1, 0))


def _claim(pk: int, now: datetime) -> Delivery | None:
    ready = Q(state__in=[Delivery.State.PENDING, Delivery.State.RETRYING], next_attempt_at__lte=now)
    stuck = Q(state=Delivery.State.SENDING, next_attempt_at__lte=now - STUCK_AFTER)
    claimed = Delivery.objects.filter(ready | stuck, pk=pk).update(
        state=Delivery.State.SENDING, attempts=F("attempts") + 1, next_attempt_at=now
    )
    if not claimed:
        return None
    return Delivery.objects.select_related("channel").get(pk=pk)


def attempt(pk: int, now: datetime | None = None) -> str | None:
    """Try one delivery if it is due; returns its new state (None if it was not ours to send)."""
    now = now or timezone.now()
    d = _claim(pk, now)
    if d is None:
        return None
    try:
        send(d)
    except SendError as e:
        error = str(e)[:500]
    except Exception as e:  # noqa: BLE001 — a bug in one channel must not stop the others
        log.exception("delivery %s failed unexpectedly", pk)
        error = f"{type(e).__name__}: {e}"[:500]
    else:
        Delivery.objects.filter(pk=pk).update(
            state=Delivery.State.SENT, sent_at=timezone.now(), last_error=""
        )
        return Delivery.State.SENT
    if d.attempts >= MAX_ATTEMPTS:
        Delivery.objects.filter(pk=pk).update(state=Delivery.State.FAILED, last_error=error)
        return Delivery.State.FAILED
    Delivery.objects.filter(pk=pk).update(
        state=Delivery.State.RETRYING, last_error=error, next_attempt_at=now + backoff(d.attempts)
    )
    return Delivery.State.RETRYING


def deliver(ids: list[int], now: datetime | None = None) -> dict[str, int]:
    """Attempt each delivery independently; returns counts by resulting state."""
    counts: dict[str, int] = {}
    for pk in ids:
        state = attempt(pk, now)
        if state:
            counts[state] = counts.get(state, 0) + 1
    return counts


def due_ids(now: datetime, limit: int = 500) -> list[int]:
    ready = Q(state__in=[Delivery.State.PENDING, Delivery.State.RETRYING], next_attempt_at__lte=now)
    stuck = Q(state=Delivery.State.SENDING, next_attempt_at__lte=now - STUCK_AFTER)
    return list(
        Delivery.objects.filter(ready | stuck)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def deliver_due(now: datetime | None = None) -> dict[str, int]:
    """The sweep: retries whose back-off has passed, and anything the task queue never got."""
    now = now or timezone.now()
    return deliver(due_ids(now), now)
