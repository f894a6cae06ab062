"""Creating and editing report types (the group admin's configuration page). One action,
`save_report_type`, validates everything first (ValuesInvalid naming each field and rule) and then
writes the type, its fields and, for a new type, its assignments, in one transaction."""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.org.models import Unit

from .models import Assignment, Category, Field, Period, ReportType
from .validation import ValuesInvalid, check_type_config

MAX_FIELD_ROWS = 60
FIELD_KEYS = ("code", "label_zh", "label_en", "kind", "min", "max", "choices", "rollup", "binding")


def from_post(post: QueryDict) -> dict[str, Any]:
    """The configuration form as a plain dict (field rows `field-N-*`; a row with `delete` is dropped)."""
    fields = []
    for i in range(MAX_FIELD_ROWS):
        prefix = f"field-{i}-"
        row = {k: post.get(prefix + k, "").strip() for k in FIELD_KEYS}
        if not any(row[k] for k in ("code", "label_zh", "label_en")) or post.get(prefix + "delete"):
            continue
        fields.append(
            {
                **row,
                "required": bool(post.get(prefix + "required")),
                "choices": [c.strip() for c in row["choices"].split(",") if c.strip()],
                "min": row["min"] or None,
                "max": row["max"] or None,
            }
        )
    return {
        "code": post.get("code", "").strip(),
        "name_zh": post.get("name_zh", "").strip(),
        "name_en": post.get("name_en", "").strip(),
        "category": post.get("category", ""),
        "period": post.get("period", ""),
        "deadline": post.get("deadline", ""),
        "deadline_offset_days": post.get("deadline_offset_days", "0"),
        "closing": post.get("closing", ""),
        "closing_offset_days": post.get("closing_offset_days", "1"),
        "active": bool(post.get("active")),
        "rules": [r.strip() for r in post.get("rules", "").splitlines() if r.strip()],
        "assign_kinds": post.getlist("assign_kinds"),
        "fields": fields,
    }


def _time(value: str) -> time | None:
    try:
        return time.fromisoformat(value)
    except ValueError:
        return None


def _days(value: Any) -> int | None:
    try:
        n = int(str(value))
    except ValueError:
        return None
    return n if 0 <= n <= 60 else None


def _check_header(rt: ReportType | None, data: dict[str, Any]) -> list[tuple[str, str]]:
    errors = []
    if rt is None:
        if not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", data["code"]):
            errors.append(("code", _("lower-case letters, digits and _ (a letter first)")))
        elif ReportType.objects.filter(code=data["code"]).exists():
            errors.append(("code", _("a report type with this code exists")))
    if not data["name_zh"] or not data["name_en"]:
        errors.append(("name", _("a Chinese and an English name are required")))
    if not Category.objects.filter(code=data["category"]).exists():
        errors.append(("category", _("choose a category")))
    if data["period"] not in Period.values:
        errors.append(("period", _("must be daily, weekly or monthly")))
    for key in ("deadline", "closing"):
        if _time(data[key]) is None:
            errors.append((key, _("a time of day, HH:MM")))
    for key in ("deadline_offset_days", "closing_offset_days"):
        if _days(data[key]) is None:
            errors.append((key, _("a number of days from 0 to 60")))
    for kind in data["assign_kinds"]:
        if kind not in Unit.Kind.values:
            errors.append(("assign_kinds", _("unknown unit kind")))
    for i, f in enumerate(data["fields"]):
        for key in ("min", "max"):
            if f[key] is not None:
                try:
                    if not Decimal(str(f[key])).is_finite():  # NaN cannot be compared: a 500 later
                        raise InvalidOperation
                except InvalidOperation:
                    errors.append(
                        (f"fields.{i}.{f['code'] or 'code'}", _("%(key)s must be a number") % {"key": key})
                    )
                    f[key] = None
    return errors


@transaction.atomic
def save_report_type(actor: Any, rt: ReportType | None, data: dict[str, Any]) -> ReportType:
    errors = _check_header(rt, data)
    try:
        check_type_config(data["fields"], data["rules"])
    except ValuesInvalid as exc:
        errors += exc.errors
    if not errors:
        errors += _deadline_order(data)
    if errors:
        raise ValuesInvalid(errors)
    values = {
        "name_zh": data["name_zh"],
        "name_en": data["name_en"],
        "category": Category.objects.get(code=data["category"]),
        "period": data["period"],
        "deadline_time": _time(data["deadline"]),
        "deadline_offset_days": _days(data["deadline_offset_days"]),
        "closing_time": _time(data["closing"]),
        "closing_offset_days": _days(data["closing_offset_days"]),
        "rules": data["rules"],
    }
    created = rt is None
    if rt is None:
        rt = ReportType.objects.create(code=data["code"], active=True, **values)
        today = timezone.localdate()
        for kind in data["assign_kinds"]:
            Assignment.objects.create(report_type=rt, unit_kind=kind, start=today)
    else:
        for k, v in values.items():
            setattr(rt, k, v)
        rt.active = data["active"]
        rt.save()
    _sync_fields(rt, data["fields"])
    record(
        actor,
        "reports.create_type" if created else "reports.edit_type",
        "report_type",
        rt.code,
        detail={"fields": [f["code"] for f in data["fields"]], "rules": data["rules"], "active": rt.active},
    )
    return rt


def _deadline_order(data: dict[str, Any]) -> list[tuple[str, str]]:
    d = (_days(data["deadline_offset_days"]) or 0, _time(data["deadline"]))
    c = (_days(data["closing_offset_days"]) or 0, _time(data["closing"]))
    if c < d:  # type: ignore[operator]
        return [("closing", _("closing must not be before the deadline"))]
    return []


def _sync_fields(rt: ReportType, fields: list[dict[str, Any]]) -> None:
    existing = {f.code: f for f in rt.fields.all()}
    keep = set()
    for order, f in enumerate(fields):
        row = existing.get(f["code"]) or Field(report_type=rt, code=f["code"])
        row.label_zh = f["label_zh"] or f["label_en"]
        row.label_en = f["label_en"] or f["label_zh"]
        row.kind = f["kind"]
        row.required = f["required"] and not f.get("binding")
        row.min_value = Decimal(str(f["min"])) if f["min"] is not None else None
        row.max_value = Decimal(str(f["max"])) if f["max"] is not None else None
        row.choices = f["choices"]
        row.rollup = f["rollup"]
        row.binding = f.get("binding") or ""
        row.order = order
        row.save()
        keep.add(f["code"])
    rt.fields.exclude(code__in=keep).delete()


__all__ = ["from_post", "save_report_type"]
