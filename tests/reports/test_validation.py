"""Validation errors name the field and the rule; nothing is half-saved."""

import pytest

from fangkong.org.actions import ActionError
from fangkong.reports import actions, config
from fangkong.reports.models import Field, ReportEvent, ReportType, UnitReport
from fangkong.reports.validation import ValuesInvalid

from .helpers import DAY, VALUES, at, checkin


def _errors(w, rt, values):
    with pytest.raises(ValuesInvalid) as exc:
        actions.submit_report(w.enterprise_admin, w.e1, rt, DAY, values=values, now=at(w.e1))
    assert not UnitReport.objects.exists() and not ReportEvent.objects.exists()
    return dict(exc.value.errors)


def test_cross_field_rule_names_field_and_rule(w, rt):
    checkin(w.alice, at(w.e1, hh=8))
    errors = _errors(w, rt, {**VALUES, "on_site": 5})  # headcount is 2
    assert set(errors) == {"on_site"}
    assert "on_site <= headcount" in errors["on_site"] and "on_site = 5, headcount = 2" in errors["on_site"]


def test_every_bad_field_is_named_at_once(w, rt):
    errors = _errors(w, rt, {"on_site": "x", "isolated": -1, "headcount": 9, "bogus": 1, "note": "y" * 501})
    assert errors["on_site"] == "must be a number"
    assert errors["isolated"] == "must be at least 0"
    assert errors["new_confirmed"] == "required"
    assert "computed" in errors["headcount"]
    assert "not a field" in errors["bogus"]
    assert "500" in errors["note"]


def test_whole_numbers_percentages_and_choices(w):
    prod = ReportType.objects.get(code="production_daily")
    with pytest.raises(ValuesInvalid) as exc:
        actions.submit_report(
            w.enterprise_admin,
            w.e1,
            prod,
            DAY,
            values={
                "output_value": "12.5",
                "capacity_rate": 120,
                "workers_on_site": 1.5,
                "stoppage": "maybe",
            },
            now=at(w.e1),
        )
    errors = dict(exc.value.errors)
    assert "percentage" in errors["capacity_rate"]
    assert "whole number" in errors["workers_on_site"]
    assert "none, partial, full" in errors["stoppage"]
    assert "output_value" not in errors


def test_a_zero_report_carries_no_values(w, rt):
    with pytest.raises(ActionError) as exc:
        actions.submit_report(
            w.enterprise_admin, w.e1, rt, DAY, zero=True, values={"on_site": 1}, now=at(w.e1)
        )
    assert exc.value.field == "values"


def _type_data(**overrides):
    data = {
        "code": "site_safety",
        "name_zh": "安全日报",
        "name_en": "Site safety",
        "category": "production",
        "period": "daily",
        "deadline": "18:00",
        "deadline_offset_days": "0",
        "closing": "12:00",
        "closing_offset_days": "1",
        "active": True,
        "rules": ["injured <= workers"],
        "assign_kinds": ["enterprise"],
        "fields": [
            {
                "code": "workers",
                "label_zh": "人数",
                "label_en": "Workers",
                "kind": "integer",
                "required": True,
                "min": "0",
                "max": None,
                "choices": [],
                "rollup": "sum",
                "binding": "",
            },
            {
                "code": "injured",
                "label_zh": "受伤",
                "label_en": "Injured",
                "kind": "integer",
                "required": True,
                "min": "0",
                "max": None,
                "choices": [],
                "rollup": "sum",
                "binding": "",
            },
        ],
    }
    data.update(overrides)
    return data


def test_report_type_configuration_is_validated_and_atomic(w):
    bad = _type_data(
        rules=["injured <= nobody", "not a rule"],
        fields=[
            {**_type_data()["fields"][0], "kind": "percentage", "rollup": "sum"},
            {**_type_data()["fields"][1], "min": "5", "max": "1"},
            {**_type_data()["fields"][1], "code": "injured"},
        ],
    )
    with pytest.raises(ValuesInvalid) as exc:
        config.save_report_type(w.group_admin, None, bad)
    messages = " | ".join(f"{f}: {m}" for f, m in exc.value.errors)
    assert "percentages do not add up" in messages
    assert "min must not exceed max" in messages
    assert "code used twice" in messages
    assert "nobody is not a number field" in messages
    assert "rules.1" in messages
    assert not ReportType.objects.filter(code="site_safety").exists()

    rt = config.save_report_type(w.group_admin, None, _type_data())
    assert [f.code for f in rt.ordered_fields()] == ["workers", "injured"]
    assert rt.assignments.get().unit_kind == "enterprise"
    with pytest.raises(ValuesInvalid):
        config.save_report_type(w.group_admin, rt, _type_data(closing="09:00", closing_offset_days="0"))
    rt.refresh_from_db()
    assert rt.closing_time.hour == 12
    edited = config.save_report_type(
        w.group_admin, rt, _type_data(fields=_type_data()["fields"][:1], rules=[])
    )
    assert list(Field.objects.filter(report_type=edited).values_list("code", flat=True)) == ["workers"]
