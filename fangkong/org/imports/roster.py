"""Importing the roster: people, their units, ID numbers and mobiles, joining and leaving."""

from __future__ import annotations

from typing import Any

from fangkong.lib.dates import business_day
from fangkong.lib.identity import (
    InvalidValue,
    mask_id_number,
    normalize_id_number,
    normalize_mobile,
)
from fangkong.org import actions
from fangkong.org.models import Person, Unit
from fangkong.privacy.crypto import keyed_hash

from .base import Progress, Rec, batched, other_row, shown
from .common import (
    ROSTER_COLUMNS,
    STATUS_ALIASES,
    OrgImport,
)


class RosterImport(OrgImport):
    """Rows: employee_no, name, unit (code of a grid or enterprise), id_number, mobile, joined, status, left.

    Blank id_number or mobile leaves an existing person's value as it is. `joined` only dates a new
    person; a changed unit is a transfer dated today (the enterprise's local day); status "left" ends
    the placement on the `left` date.
    """

    kind = "roster"
    columns = ROSTER_COLUMNS

    def __init__(self, actor: Any, within: Unit | None):
        super().__init__(actor, within)
        self._first_emp: dict[str, Rec] = {}
        self._first_id: dict[str, Rec] = {}

    def parse(self, rec: Rec) -> None:
        v = rec.values
        emp = self.code(rec, "employee_no")
        if emp:
            if emp in self._first_emp:
                first = other_row(rec, self._first_emp[emp])
                self.error(rec, "employee_no", f"duplicate employee_no {shown(emp)}: also on {first}")
            else:
                self._first_emp[emp] = rec
        v["employee_no"] = emp
        v["name"] = self.text(rec, "name", required=True, max_length=64)
        v["unit"] = self.code(rec, "unit")
        v["id_number"] = self._id_number(rec)
        if v["id_number"]:
            first = other_row(rec, self._first_id.setdefault(v["id_number"], rec))
            if self._first_id[v["id_number"]] is not rec:
                self.error(
                    rec, "id_number", f"duplicate ID number {mask_id_number(v['id_number'])}: also on {first}"
                )
        v["mobile"] = self._mobile(rec)
        v["joined"] = self.day(rec, "joined", required=True)
        left_given = v.get("left") not in (None, "")
        v["left"] = self.day(rec, "left")
        status = self.text(rec, "status").lower()
        default = Person.Status.LEFT if left_given else Person.Status.ACTIVE
        status = STATUS_ALIASES.get(status, status) or default
        if status not in Person.Status.values:
            self.error(rec, "status", "must be active or left")
        elif status == Person.Status.LEFT and not left_given:
            self.error(rec, "left", "required when status is left")
        elif status == Person.Status.ACTIVE and left_given:
            self.error(rec, "left", "only for status left")
        elif v["left"] and v["joined"] and v["left"] <= v["joined"]:
            self.error(rec, "left", "must be after the joined date")
        v["status"] = status

    def _id_number(self, rec: Rec) -> str:
        value = rec.values.get("id_number")
        if isinstance(value, float):
            self.error(
                rec, "id_number", "stored as a number (Excel keeps only 15 digits): format the column as text"
            )
            return ""
        text = self.text(rec, "id_number")
        if not text:
            return ""
        try:
            return normalize_id_number(text)
        except InvalidValue as exc:
            self.error(rec, "id_number", f"not a valid ID number: {exc}")
            return ""

    def _mobile(self, rec: Rec) -> str:
        text = self.text(rec, "mobile")
        if not text:
            return ""
        try:
            return normalize_mobile(text)
        except InvalidValue as exc:
            self.error(rec, "mobile", f"not a valid mobile number: {exc}")
            return ""

    def check(self) -> None:
        recs = self.records
        units: dict[str, Unit] = {}
        for codes in batched({r.values["unit"] for r in recs if r.values["unit"]}):
            for unit in Unit.objects.filter(code__in=codes):
                if self.in_scope(unit):  # out of scope reads as unknown
                    units[unit.code] = unit
        self.people: dict[str, Person] = {}
        for nos in batched({r.values["employee_no"] for r in recs if r.values["employee_no"]}):
            self.people.update(
                (p.employee_no, p) for p in Person.objects.filter(employee_no__in=nos).select_related("unit")
            )
        # Who already holds each ID number, by its keyed hash: the column itself is encrypted.
        owners: dict[str, str] = {}
        for ids in batched({keyed_hash(r.values["id_number"]) for r in recs if r.values["id_number"]}):
            owners.update(
                Person.objects.filter(id_number_hash__in=ids).values_list("id_number_hash", "employee_no")
            )
        for rec in recs:
            self._check_row(rec, units, owners)

    def _check_row(self, rec: Rec, units: dict[str, Unit], owners: dict[str, str]) -> None:
        v = rec.values
        unit = units.get(v["unit"])
        if unit is None:
            if v["unit"]:
                self.error(rec, "unit", f"unknown unit code {shown(v['unit'])}")
        elif unit.kind not in (Unit.Kind.GRID, Unit.Kind.ENTERPRISE):
            self.error(rec, "unit", f"people belong to an enterprise or a grid, not to a {unit.kind}")
        elif not unit.active:
            self.error(rec, "unit", f"unit {unit.code} is closed")
        v["unit"] = unit
        owner = owners.get(keyed_hash(v["id_number"])) if v["id_number"] else None
        if owner is not None and owner != v["employee_no"]:
            self.error(
                rec,
                "id_number",
                f"ID number {mask_id_number(v['id_number'])} already belongs to another employee number",
            )
        person = self.people.get(v["employee_no"])
        if person is None:
            return
        if not self.in_scope(person.unit):
            self.error(rec, "employee_no", "already used by a person outside this unit's scope")

    def write(self, report: Progress) -> tuple[int, int, int]:
        new = [r.values for r in self.records if r.values["employee_no"] not in self.people]
        updated = unchanged = 0
        total = len(self.records)
        if new:
            actions.add_people(
                self.actor,
                [
                    {
                        "employee_no": v["employee_no"],
                        "name": v["name"],
                        "unit": v["unit"],
                        "id_number": v["id_number"],
                        "mobile": v["mobile"],
                        "joined_on": v["joined"],
                        "status": v["status"],
                        "left_on": v["left"],
                    }
                    for v in new
                ],
                unit_code=self.within.code if self.within else "",
            )
            report("save", len(new), total)
        done = len(new)
        for rec in self.records:
            person = self.people.get(rec.values["employee_no"])
            if person is None:
                continue
            try:
                changed = self._update(person, rec.values)
            except actions.ActionError as exc:
                self.error(rec, exc.field or "unit", str(exc))
                continue
            updated += changed
            unchanged += not changed
            done += 1
            report("save", done, total)
        return len(new), updated, unchanged

    def _update(self, person: Person, v: dict[str, Any]) -> bool:
        fields = {f: v[f] for f in ("name", "id_number", "mobile") if v[f] and v[f] != getattr(person, f)}
        changed = bool(fields)
        if fields:
            actions.update_person(self.actor, person, **fields)
        unit: Unit = v["unit"]
        if v["status"] == Person.Status.LEFT:
            if person.status != Person.Status.LEFT:  # they leave from where they are
                actions.person_leaves(self.actor, person, v["left"])
                changed = True
        elif person.status == Person.Status.LEFT:
            actions.rejoin_person(self.actor, person, unit, business_day(unit.timezone))
            changed = True
        elif unit.pk != person.unit_id:
            actions.transfer_person(self.actor, person, unit, business_day(unit.timezone))
            changed = True
        return changed
