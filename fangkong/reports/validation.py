"""Checking a report's typed values against its fields and cross-field rules, and a type's own
configuration. Every error names the field and the rule broken; callers save nothing when any fails."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from fangkong.org.actions import ActionError

from .models import Field

OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
    "==": operator.eq,
    "!=": operator.ne,
}
RULE = re.compile(r"^\s*([a-z][a-z0-9_]*)\s*(<=|>=|==|!=|<|>)\s*([a-z][a-z0-9_]*|-?\d+(?:\.\d+)?)\s*$")
TEXT_MAX = 500


class ValuesInvalid(ActionError):
    """Several fields refused at once; `errors` is [(field, message)], the first is the exception's."""

    def __init__(self, errors: list[tuple[str, str]]):
        super().__init__(errors[0][1], errors[0][0])
        self.errors = errors


def parse_rule(rule: str) -> tuple[str, str, str]:
    m = RULE.match(rule or "")
    if m is None:
        raise ValueError(rule)
    return m.group(1), m.group(2), m.group(3)


def _number(field: Field, raw: Any) -> tuple[Decimal | None, str]:
    if isinstance(raw, bool):
        return None, _("must be a number")
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        return None, _("must be a number")
    if not value.is_finite():
        return None, _("must be a number")
    if field.kind == Field.Kind.INTEGER and value != value.to_integral_value():
        return None, _("must be a whole number")
    if field.kind == Field.Kind.PERCENTAGE and not Decimal(0) <= value <= Decimal(100):
        return None, _("must be a percentage between 0 and 100")
    if field.min_value is not None and value < field.min_value:
        return None, _("must be at least %(min)s") % {"min": _plain(field.min_value)}
    if field.max_value is not None and value > field.max_value:
        return None, _("must be at most %(max)s") % {"max": _plain(field.max_value)}
    return value, ""


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def clean_value(field: Field, raw: Any) -> tuple[Any, str]:
    """(stored value, "") or (None, error message)."""
    if field.numeric:
        value, error = _number(field, raw)
        if error:
            return None, error
        assert value is not None
        return (int(value) if field.kind == Field.Kind.INTEGER else _plain(value)), ""
    text = "" if raw is None else str(raw).strip()
    if field.kind == Field.Kind.CHOICE:
        if text not in field.choices:
            return None, _("must be one of %(choices)s") % {"choices": ", ".join(field.choices)}
        return text, ""
    if len(text) > TEXT_MAX:
        return None, _("at most %(n)d characters") % {"n": TEXT_MAX}
    return text, ""


def _blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def clean_values(
    fields: Iterable[Field], rules: list[str], raw: dict[str, Any], computed: dict[str, Any]
) -> dict:
    """The typed values, cleaned; raises ValuesInvalid naming every bad field and broken rule."""
    by_code = {f.code: f for f in fields}
    errors: list[tuple[str, str]] = []
    out: dict[str, Any] = {}
    for code in raw:
        if code not in by_code:
            errors.append((code, _("not a field of this report type")))
        elif by_code[code].binding:
            errors.append((code, _("computed from the health cards; it is not typed")))
    for code, field in by_code.items():
        if field.binding:
            continue
        value = raw.get(code)
        if _blank(value):
            if field.required:
                errors.append((code, _("required")))
            continue
        cleaned, error = clean_value(field, value)
        if error:
            errors.append((code, error))
        else:
            out[code] = cleaned
    if not errors:
        errors.extend(_broken_rules(rules, {**computed, **out}))
    if errors:
        raise ValuesInvalid(errors)
    return out


def _broken_rules(rules: list[str], values: dict[str, Any]) -> list[tuple[str, str]]:
    errors = []
    for rule in rules:
        left, op, right = parse_rule(rule)
        is_field = right[0].isalpha()
        if left not in values or (is_field and right not in values):
            continue  # a rule on a blank optional field holds
        lv = Decimal(str(values[left]))
        rv = Decimal(str(values[right])) if is_field else Decimal(right)
        if not OPS[op](lv, rv):
            shown = f"{left} = {_plain(lv)}, {right} = {_plain(rv)}" if is_field else f"{left} = {_plain(lv)}"
            errors.append(
                (left, _("breaks the rule “%(rule)s” (%(values)s)") % {"rule": rule, "values": shown})
            )
    return errors


def check_type_config(fields: list[dict[str, Any]], rules: list[str]) -> None:
    """A type's fields and rules as the configuration page sends them; raises ValuesInvalid."""
    errors: list[tuple[str, str]] = []
    codes: set[str] = set()
    numeric = set()
    for i, f in enumerate(fields):
        where = f"fields.{i}.{f.get('code') or 'code'}"
        code = f.get("code", "")
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", code or ""):
            errors.append((where, _("code: lower-case letters, digits and _ (a letter first)")))
        elif code in codes:
            errors.append((where, _("code used twice")))
        codes.add(code)
        if not (f.get("label_zh") or "").strip() and not (f.get("label_en") or "").strip():
            errors.append((where, _("a label is required")))
        if f.get("kind") not in Field.Kind.values:
            errors.append((where, _("kind must be one of %(k)s") % {"k": ", ".join(Field.Kind.values)}))
            continue
        if f.get("rollup") not in Field.Rollup.values:
            errors.append((where, _("roll-up must be one of sum, max, none")))
        if f.get("binding") and f.get("binding") not in Field.Binding.values:
            errors.append((where, _("unknown binding")))
        numeric_kind = f["kind"] in (Field.Kind.INTEGER, Field.Kind.DECIMAL, Field.Kind.PERCENTAGE)
        if numeric_kind:
            numeric.add(code)
        elif f.get("rollup") != Field.Rollup.NONE:
            errors.append((where, _("only numbers roll up: use none for choice and text")))
        if f["kind"] == Field.Kind.PERCENTAGE and f.get("rollup") == Field.Rollup.SUM:
            errors.append((where, _("percentages do not add up: use max or none")))
        if f.get("binding") and f["kind"] != Field.Kind.INTEGER:
            errors.append((where, _("a field bound to person data is an integer")))
        if f["kind"] == Field.Kind.CHOICE and not f.get("choices"):
            errors.append((where, _("a choice field needs its options")))
        lo, hi = f.get("min"), f.get("max")
        if lo is not None and hi is not None and Decimal(str(lo)) > Decimal(str(hi)):
            errors.append((where, _("min must not exceed max")))
    for i, rule in enumerate(rules):
        try:
            left, _op, right = parse_rule(rule)
        except ValueError:
            errors.append(
                (f"rules.{i}", _("“%(rule)s”: write field <= field (or a number)") % {"rule": rule})
            )
            continue
        for name in (left, right):
            if name[0].isalpha() and name not in numeric:
                errors.append(
                    (
                        f"rules.{i}",
                        _("“%(rule)s”: %(name)s is not a number field") % {"rule": rule, "name": name},
                    )
                )
    if errors:
        raise ValuesInvalid(errors)
