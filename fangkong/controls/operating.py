"""Operating status (effective-dated) and key projects of an enterprise: each change one transaction
with its audit row. The rates read from them are in queries.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from fangkong.audit.actions import actor_name, record
from fangkong.org.actions import ActionError
from fangkong.org.models import Unit

from .models import KeyProject, OperatingStatus


@transaction.atomic
def set_operating_status(
    actor: Any, enterprise: Unit, *, status: str, effective_from: date, reason: str = ""
) -> OperatingStatus:
    if enterprise.kind != Unit.Kind.ENTERPRISE:
        raise ActionError("only an enterprise has an operating status", "unit")
    if status not in OperatingStatus.Status.values:
        raise ActionError(f"must be one of {', '.join(OperatingStatus.Status.values)}", "status")
    reason = reason.strip()[:200]
    if status == OperatingStatus.Status.SUSPENDED and not reason:
        raise ActionError("say why the enterprise is suspended", "reason")
    row = OperatingStatus.objects.create(
        enterprise=enterprise,
        status=status,
        effective_from=effective_from,
        reason=reason,
        set_by=actor_name(actor),
    )
    record(
        actor,
        "controls.status",
        "enterprise",
        enterprise.code,
        unit_code=enterprise.code,
        detail={"status": status, "effective_from": effective_from, "reason": reason},
    )
    return row


@transaction.atomic
def save_project(
    actor: Any,
    enterprise: Unit,
    *,
    name: str,
    investment: str | Decimal,
    status: str,
    note: str = "",
    project: KeyProject | None = None,
) -> KeyProject:
    name = name.strip()
    if not name:
        raise ActionError("a project needs a name", "name")
    try:
        amount = Decimal(str(investment).strip())
        if not amount.is_finite():  # NaN cannot be compared below
            raise InvalidOperation
        amount = amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ActionError("not a number (10 000 CNY)", "investment") from None
    if amount < 0 or amount >= Decimal("1e12"):
        raise ActionError("must be between 0 and 999 999 999 999", "investment")
    if status not in KeyProject.Status.values:
        raise ActionError(f"must be one of {', '.join(KeyProject.Status.values)}", "status")
    p = project or KeyProject(enterprise=enterprise)
    p.name, p.investment, p.status, p.note = name[:120], amount, status, note.strip()[:200]
    p.updated_by, p.updated_at = actor_name(actor), timezone.now()
    try:
        with transaction.atomic():
            p.save()
    except IntegrityError:
        raise ActionError("the enterprise already has a project of that name", "name") from None
    record(
        actor,
        "controls.project",
        "key_project",
        p.pk,
        unit_code=enterprise.code,
        detail={"name": p.name, "status": status, "investment": str(amount)},
    )
    return p
