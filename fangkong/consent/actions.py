"""Publishing the privacy notice, setting the legal basis, accepting and withdrawing: each one transaction."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from fangkong.audit.actions import actor_name, record
from fangkong.org.actions import ActionError
from fangkong.org.models import Person

from . import gate
from .models import Acceptance, Basis, Channel, LegalBasis, Notice
from .notice import current_notice

MAX_NOTICE = 20_000
MAX_REASON = 500


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


@transaction.atomic
def publish_notice(actor: Any, *, text_zh: str, text_en: str) -> Notice:
    """A new version of the privacy notice. Earlier acceptances stand for processing; the check-in
    page asks each person to accept the new version."""
    text_zh, text_en = text_zh.strip(), text_en.strip()
    for name, text in (("text_zh", text_zh), ("text_en", text_en)):
        if not text:
            raise ActionError("must not be empty", name)
        if len(text) > MAX_NOTICE:
            raise ActionError(f"at most {MAX_NOTICE} characters", name)
    last = current_notice()
    Notice.objects.select_for_update().filter(pk=last.pk).get()
    notice = Notice.objects.create(
        version=last.version + 1,
        text_zh=text_zh,
        text_en=text_en,
        published_at=timezone.now(),
        published_by=actor_name(actor)[:150],
    )
    record(actor, "consent.notice.publish", "notice", notice.version, detail={"version": notice.version})
    return notice


@transaction.atomic
def set_basis(actor: Any, basis: str, *, reason: str, effective_from: date | None = None) -> LegalBasis:
    """Switch the group's legal basis for processing check-ins (effective today unless dated)."""
    if basis not in Basis.values:
        raise ActionError(f"must be one of {', '.join(Basis.values)}", "basis")
    reason = reason.strip()
    if not reason:
        raise ActionError("a reason is required", "reason")
    if len(reason) > MAX_REASON:
        raise ActionError(f"at most {MAX_REASON} characters", "reason")
    today = timezone.localdate()
    effective_from = effective_from or today
    if effective_from < today:
        raise ActionError("must not be in the past", "effective_from")
    row = LegalBasis.objects.create(
        basis=basis, effective_from=effective_from, reason=reason, set_by=actor_name(actor)[:150]
    )
    gate.forget_basis()
    transaction.on_commit(gate.forget_basis)
    record(
        actor,
        "consent.basis.set",
        "legal_basis",
        row.pk,
        detail={"basis": basis, "effective_from": effective_from, "reason": reason},
    )
    return row


@transaction.atomic
def accept_notice(actor: Any, person: Person, *, channel: str = Channel.H5) -> Acceptance:
    """The person accepts the current notice (idempotent while that acceptance stands).

    Under the consent basis this is consent. Under another basis it only records that the person
    read the notice (`consented=False`), which never lets processing go on under consent later."""
    notice = current_notice()
    consents = gate.current_basis() == Basis.CONSENT
    Person.objects.select_for_update().filter(pk=person.pk).values_list("pk").get()
    row = Acceptance.objects.filter(person=person, notice=notice, withdrawn_at__isnull=True).first()
    if row is not None and (row.consented or not consents):
        return row
    if row is not None:  # read under another basis, now consents: the row becomes consent
        row.consented, row.accepted_at, row.channel = True, timezone.now(), channel
        row.save(update_fields=["consented", "accepted_at", "channel"])
    else:
        row = Acceptance.objects.create(
            person=person,
            notice=notice,
            accepted_at=timezone.now(),
            channel=channel,
            consented=consents,
            submitted_by=_user(actor),
        )
    record(
        actor,
        "consent.accept" if consents else "consent.read",
        "person",
        person.employee_no,
        unit_code=person.enterprise.code,
        detail={"notice": notice.version, "channel": channel},
    )
    return row


@transaction.atomic
def withdraw(actor: Any, person: Person, *, channel: str = Channel.H5) -> int:
    """The person withdraws consent: every standing acceptance ends now. Returns how many ended."""
    Person.objects.select_for_update().filter(pk=person.pk).values_list("pk").get()
    ended = Acceptance.objects.filter(person=person, withdrawn_at__isnull=True).update(
        withdrawn_at=timezone.now(), withdrawal_channel=channel
    )
    if ended:
        record(
            actor,
            "consent.withdraw",
            "person",
            person.employee_no,
            unit_code=person.enterprise.code,
            detail={"channel": channel, "basis": gate.current_basis()},
        )
    return ended
