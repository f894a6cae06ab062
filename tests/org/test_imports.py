"""Importing the roster and units (XLSX, CSV, web, CLI) and exporting the roster."""

import io
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from fangkong.audit.models import AuditEntry
from fangkong.lib.identity import id_check_digit
from fangkong.org import actions, exports, imports
from fangkong.org.models import Membership, Person, Unit

ROSTER = ["employee_no", "name", "unit", "id_number", "mobile", "joined", "status", "left"]
UNITS = ["code", "name", "kind", "parent", "region", "timezone"]
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def ident(i: int, area: str = "330106") -> str:
    """A distinct valid ID number per i (none of the personas' numbers)."""
    birth = (date(1970, 1, 1) + timedelta(days=i // 500)).strftime("%Y%m%d")
    first17 = f"{area}{birth}{100 + i % 500:03d}"
    return first17 + id_check_digit(first17)


def wrong_check(id_number: str) -> str:
    return id_number[:17] + ("1" if id_number[17] != "1" else "2")


def roster_row(i: int) -> list:
    joined = datetime(2020, 1, 1) if i % 3 else "2020-01-02"  # date cells and ISO text both work
    unit = "E1-G1" if i % 2 else "E1-G2"
    return [f"R{i:05d}", f"员工{i}", unit, ident(i), f"139{i:08d}", joined, None, None]


def xlsx_file(path, header, rows, title="roster"):
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(title)
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def csv_bytes(header, rows, encoding="utf-8-sig") -> bytes:
    lines = [",".join(header)] + [",".join("" if v is None else str(v) for v in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def run(w, path, kind="roster", within=None, **kw):
    with open(path, "rb") as f:
        return imports.run_import("test", kind, f, path.name, within=within or w.e1, **kw)


def run_bytes(w, data, name, kind="roster", within=None, **kw):
    return imports.run_import("test", kind, io.BytesIO(data), name, within=within or w.e1, **kw)


def errors_of(result) -> set[tuple[int, str]]:
    return {(e.row, e.column) for e in result.errors}


# --- the acceptance test ----------------------------------------------------------------------


def plant_bad_rows(w, rows: list[list]) -> dict[int, tuple[str, str]]:
    """Break 37 rows, one fault each; returns {spreadsheet row: (column, words in the reason)}."""
    col = {name: i for i, name in enumerate(ROSTER)}
    faults = [
        *[("id_number", lambda i: wrong_check(ident(i)), "check digit")] * 5,
        ("id_number", lambda i: ident(i)[:17], "17 digits"),
        ("id_number", lambda i: "33010619701301" + "1234", "birth date"),
        ("id_number", lambda i: "ABCDEFGHIJKLMNOPQR", "17 digits"),
        ("mobile", lambda i: "12345678901", "mobile"),
        ("mobile", lambda i: "1390000000", "mobile"),
        ("mobile", lambda i: "phone", "mobile"),
        *[("employee_no", lambda i: f"R{i - 1:05d}", "duplicate employee_no")] * 4,
        *[("id_number", lambda i: ident(i - 1), "duplicate ID number")] * 4,
        ("id_number", lambda i: w.alice.id_number, "another employee"),
        ("id_number", lambda i: w.bob.id_number, "another employee"),
        ("id_number", lambda i: w.carol.id_number, "another employee"),  # carol is in E2, out of scope
        ("unit", lambda i: "NOPE", "unknown unit"),
        ("unit", lambda i: "E2", "unknown unit"),  # exists, but outside E1
        ("unit", lambda i: "S1", "unknown unit"),
        ("unit", lambda i: "13912345678", "unknown unit code '139****5678'"),  # a mobile, masked
        ("employee_no", lambda i: f"R{i:05d}".translate(FULLWIDTH), "full-width"),
        ("id_number", lambda i: ident(i).translate(FULLWIDTH), "full-width"),
        ("mobile", lambda i: f"139{i:08d}".translate(FULLWIDTH), "full-width"),
        ("mobile", lambda i: f"1３9{i:08d}", "full-width"),
        ("joined", lambda i: "2024年3月1日", "YYYY-MM-DD"),
        ("joined", lambda i: "03/01/2024", "YYYY-MM-DD"),
        ("joined", lambda i: "2024/3/1", "YYYY-MM-DD"),
        ("joined", lambda i: "1 March 2024", "YYYY-MM-DD"),
        ("name", lambda i: None, "required"),
        ("joined", lambda i: None, "required"),
        ("status", lambda i: "retired", "active or left"),
    ]
    assert len(faults) == 37
    planted = {}
    for n, (column, value, words) in enumerate(faults):
        i = 100 + 250 * n
        rows[i][col[column]] = value(i)
        planted[i + 2] = (column, words)  # header is row 1, data index 0 is row 2
    return planted


def test_acceptance_10000_rows_37_bad_then_fixed_then_again(w, tmp_path):
    good = [roster_row(i) for i in range(10_000)]
    bad = [list(r) for r in good]
    planted = plant_bad_rows(w, bad)
    people, audit = Person.objects.count(), AuditEntry.objects.count()

    result = run(w, xlsx_file(tmp_path / "bad.xlsx", ROSTER, bad))
    assert not result.ok
    assert len(result.errors) == 37
    assert {(e.row, e.column) for e in result.errors} == {(row, c) for row, (c, _) in planted.items()}
    for e in result.errors:
        assert e.sheet == "roster"
        assert planted[e.row][1] in e.reason, (e.row, e.reason)
    text = " ".join(e.reason for e in result.errors)
    assert not any(ident(i) in text for i in range(10_000))  # ID numbers only ever masked
    assert w.alice.id_number not in text and "C0001" not in text and "A0001" not in text
    assert "330***********" in text  # masked like 330***********1234
    assert (Person.objects.count(), AuditEntry.objects.count()) == (people, audit)

    result = run(w, xlsx_file(tmp_path / "good.xlsx", ROSTER, good))
    assert result.ok, result.errors[:5]
    assert (result.created, result.updated, result.unchanged) == (10_000, 0, 0)
    assert Person.objects.count() == people + 10_000
    assert Membership.objects.filter(person__employee_no__startswith="R").count() == 10_000
    assert AuditEntry.objects.count() == audit + 1  # one row summarising the import
    r1 = Person.objects.select_related("unit", "enterprise").get(employee_no="R00001")
    assert (r1.unit.code, r1.enterprise.code, r1.id_number) == ("E1-G1", "E1", ident(1))
    assert (r1.mobile, r1.joined_on) == ("13900000001", date(2020, 1, 1))
    assert Person.objects.get(employee_no="R00003").joined_on == date(2020, 1, 2)

    result = run(w, tmp_path / "good.xlsx")
    assert result.ok
    assert (result.created, result.updated, result.unchanged) == (0, 0, 10_000)
    assert AuditEntry.objects.count() == audit + 1


# --- the roster ---------------------------------------------------------------------------------


def test_csv_roster_imports_in_utf8_and_gb18030(w):
    rows = [["R1", "张三", "E1-G1", ident(1), "13900000001", "2021-05-06", "", ""]]
    result = run_bytes(w, csv_bytes(ROSTER, rows), "roster.csv")
    assert (result.ok, result.created) == (True, 1)
    rows = [["R2", "李四", "E1", "", "", "2021-05-06", "在职", ""]]
    header = ["工号", "姓名", "单位编码", "身份证号", "手机号", "入职日期", "状态", "离职日期"]
    result = run_bytes(w, csv_bytes(header, rows, "gb18030"), "名单.csv")
    assert (result.ok, result.created) == (True, 1)
    assert Person.objects.get(employee_no="R2").name == "李四"


def test_changes_update_transfer_and_leave_through_the_actions(w):
    a = w.alice
    rows = [
        [a.employee_no, "艾丽丝", "E1-G1", a.id_number, a.mobile, "2020-01-01", "", ""],  # renamed
        [w.bob.employee_no, w.bob.name, "E1-G1", "", "", "2020-01-01", "", ""],  # moved from E1-G2
        ["R9", "新人", "E1-G2", "", "", "2020-01-01", "left", "2021-01-01"],  # new, already left
    ]
    result = run_bytes(w, csv_bytes(ROSTER, rows), "r.csv")
    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (1, 2, 0)
    assert Person.objects.get(pk=a.pk).name == "艾丽丝"
    bob = Person.objects.get(pk=w.bob.pk)
    assert bob.unit == w.grid1 and bob.id_number == w.bob.id_number  # blank leaves the ID as it was
    assert Membership.objects.filter(person=bob, end__isnull=True).get().unit == w.grid1
    r9 = Person.objects.get(employee_no="R9")
    assert (r9.status, r9.left_on) == ("left", date(2021, 1, 1))
    actions_logged = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"person.update", "person.transfer", "person.import"} <= actions_logged

    assert run_bytes(w, csv_bytes(ROSTER, rows), "r.csv").unchanged == 3


def test_bob_leaves(w):
    rows = [[w.bob.employee_no, w.bob.name, "E1-G2", "", "", "2020-01-01", "left", "2024-05-01"]]
    result = run_bytes(w, csv_bytes(ROSTER, rows), "r.csv")
    assert (result.ok, result.updated) == (True, 1)
    bob = Person.objects.get(pk=w.bob.pk)
    assert (bob.status, bob.left_on) == ("left", date(2024, 5, 1))
    assert run_bytes(w, csv_bytes(ROSTER, rows), "r.csv").unchanged == 1


def test_a_person_outside_the_scope_cannot_be_taken_over(w):
    rows = [[w.carol.employee_no, "卡萝", "E1-G1", "", "", "2020-01-01", "", ""]]
    result = run_bytes(w, csv_bytes(ROSTER, rows), "r.csv")
    assert errors_of(result) == {(2, "employee_no")}
    assert Person.objects.get(pk=w.carol.pk).unit == w.e2


def test_dry_run_reports_counts_and_saves_nothing(w):
    rows = [["R1", "张三", "E1-G1", ident(1), "", "2021-05-06", "", ""]]
    audit = AuditEntry.objects.count()
    result = run_bytes(w, csv_bytes(ROSTER, rows), "r.csv", dry_run=True)
    assert (result.ok, result.dry_run, result.created) == (True, True, 1)
    assert not Person.objects.filter(employee_no="R1").exists()
    assert AuditEntry.objects.count() == audit


def test_missing_columns_and_sheets_without_data(w):
    result = run_bytes(w, csv_bytes(["employee_no", "name"], [["R1", "x"]]), "r.csv")
    assert errors_of(result) == {(1, "unit"), (1, "joined")}
    with pytest.raises(imports.ImportRefused, match="employee_no"):
        run_bytes(w, csv_bytes(["foo"], [["bar"]]), "r.csv")


def test_an_id_number_typed_as_a_number_is_reported(w, tmp_path):
    row = ["R1", "x", "E1", 3.30106197001011e17, None, "2020-01-01"]
    path = xlsx_file(tmp_path / "r.xlsx", ROSTER, [row])
    result = run(w, path)
    assert [e.column for e in result.errors] == ["id_number"]
    assert "format the column as text" in result.errors[0].reason


def test_a_file_refused_as_a_whole(w):
    with pytest.raises(imports.ImportRefused, match="not an .xlsx workbook"):
        run_bytes(w, b"employee_no,name\n", "roster.xlsx")
    with pytest.raises(imports.ImportRefused, match="unknown import"):
        run_bytes(w, b"x", "roster.csv", kind="people")


# --- units ---------------------------------------------------------------------------------------


def test_units_with_parents_after_children(w):
    rows = [
        ["E3-G1-T1", "一班", "grid", "E3-G1", None, None],
        ["E3-G1", "一车间", "grid", "E3", None, None],
        ["E3", "第三企业", "enterprise", "S1", "310101", "Asia/Shanghai"],
        ["E1", "第一企业（新名）", "enterprise", "S1", None, None],
    ]
    result = run_bytes(w, csv_bytes(UNITS, rows), "units.csv", kind="units", within=w.segment)
    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (3, 1, 0)
    team = Unit.objects.get(code="E3-G1-T1")
    e3 = Unit.objects.get(code="E3")
    assert team.is_within(e3) and team.enterprise == e3 and team.region_id == "310101"
    assert e3.parent == w.segment and Unit.objects.get(code="E1").name == "第一企业（新名）"
    audit = AuditEntry.objects.count()
    again = run_bytes(w, csv_bytes(UNITS, rows), "units.csv", kind="units", within=w.segment)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert AuditEntry.objects.count() == audit


def test_bad_unit_rows_are_all_reported(w):
    rows = [
        ["E1-G3", "x", "team", "E1", None, None],  # 2 unknown kind
        ["E1-G4", "x", "grid", "S1", None, None],  # 3 parent out of scope: unknown
        ["E1-G5", "x", "enterprise", "E1-G1", "110105", None],  # 4 enterprise under a grid
        ["E1-G6", "x", "grid", "E1-G7", None, None],  # 5 a loop
        ["E1-G7", "x", "grid", "E1-G6", None, None],  # 6 a loop
        ["E2", "x", "enterprise", "S1", "110105", None],  # 7 a code taken outside the scope
        ["E1-G8", "x", "grid", "E1", None, None],
        ["E1-G8", "x", "grid", "E1", None, None],  # 9 duplicate
        ["E1-G9", "x", "grid", "E1", "110105", "Mars/Base"],  # 10 region and time zone on a grid
        ["E1-GA", "x", "grid", "", None, None],  # 11 no parent
        ["E1-G1", "x", "enterprise", "E1", None, None],  # 12 cannot change kind
        ["E1-GB", "", "grid", "E1", None, None],  # 13 no name
    ]
    units = Unit.objects.count()
    result = run_bytes(w, csv_bytes(UNITS, rows), "units.csv", kind="units")
    assert errors_of(result) == {
        (2, "kind"),
        (3, "parent"),
        (4, "parent"),
        (5, "parent"),
        (6, "parent"),
        (7, "code"),
        (9, "code"),
        (10, "region"),
        (10, "timezone"),
        (11, "parent"),
        (12, "kind"),
        (13, "name"),
    }
    assert Unit.objects.count() == units


def test_enterprise_needs_a_known_region(w):
    rows = [["E5", "x", "enterprise", "S1", None, None], ["E6", "x", "enterprise", "S1", "999999", None]]
    result = run_bytes(w, csv_bytes(UNITS, rows), "units.csv", kind="units", within=w.segment)
    assert [(e.row, e.column) for e in result.errors] == [(2, "region"), (3, "region")]
    rows = [["E7", "海外项目", "enterprise", "S1", "pk", "Asia/Karachi"]]
    assert run_bytes(w, csv_bytes(UNITS, rows), "units.csv", kind="units", within=w.segment).created == 1
    assert Unit.objects.get(code="E7").region_id == "PK"


# --- web and command line ---------------------------------------------------------------------


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_web_upload_imports_and_outsider_gets_404(w):
    data = csv_bytes(ROSTER, [["R1", "张三", "E1-G1", ident(1), "13900000001", "2021-05-06", "", ""]])
    url = reverse("import_run", args=["E1"])
    response = signed_in(w.outsider).post(url, {"kind": "roster", "file": SimpleUploadedFile("r.csv", data)})
    assert response.status_code == 404
    assert not Person.objects.filter(employee_no="R1").exists()
    response = signed_in(w.enterprise_admin).post(
        url, {"kind": "roster", "file": SimpleUploadedFile("r.csv", data)}
    )
    assert response.status_code == 200
    assert Person.objects.get(employee_no="R1").unit == w.grid1


def test_web_upload_shows_bad_rows_masked(w):
    data = csv_bytes(ROSTER, [["R1", "张三", "E1-G1", w.carol.id_number, "", "2021-05-06", "", ""]])
    response = signed_in(w.enterprise_admin).post(
        reverse("import_run", args=["E1"]), {"kind": "roster", "file": SimpleUploadedFile("r.csv", data)}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert w.carol.id_number not in body and w.carol.id_number[:3] + "*" * 11 in body


def test_command_reports_bad_rows_and_exits_non_zero(w, tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes(ROSTER, [["R1", "x", "NOPE", "", "", "2021-05-06", "", ""]]))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 error"):
        call_command("import", "roster", str(path), "--within", "E1", stdout=out, stderr=err)
    assert "r!2 unit: unknown unit code 'NOPE'" in out.getvalue()


def test_command_imports_with_progress(w, tmp_path):
    path = xlsx_file(tmp_path / "r.xlsx", ROSTER, [roster_row(i) for i in range(1200)])
    out, err = io.StringIO(), io.StringIO()
    call_command("import", "roster", str(path), "--within", "E1", "--actor", "hr", stdout=out, stderr=err)
    assert "1200 rows: 1200 created, 0 updated, 0 unchanged" in out.getvalue()
    assert "checking 1,000 rows" in err.getvalue() and "saving 100% 1,200/1,200" in err.getvalue()
    assert AuditEntry.objects.filter(action="person.import").latest("at").actor == "hr"


# --- export ---------------------------------------------------------------------------------------


def id_ending_002x() -> str:
    for day in range(365):
        first17 = "110105" + (date(1990, 1, 1) + timedelta(days=day)).strftime("%Y%m%d") + "002"
        if id_check_digit(first17) == "X":
            return first17 + "X"
    raise AssertionError("no birth date gives the check digit X")


def test_export_masks_and_neutralises_formulas(w):
    actions.add_person(
        "test",
        employee_no="F1",
        name='=HYPERLINK("http://evil","x")',
        unit=w.grid1,
        joined_on=date(2021, 1, 1),
        id_number=id_ending_002x(),
        mobile="13812345678",
    )
    response = signed_in(w.enterprise_admin).get(reverse("roster_export", args=["E1"]))
    assert response.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = {r[0].value: r for r in ws.iter_rows(min_row=2)}
    cells = rows["F1"]
    assert cells[1].data_type == "s" and cells[1].value == '\'=HYPERLINK("http://evil","x")'
    assert cells[4].value == "110***********002X" and cells[5].value == "138****5678"
    assert cells[7].value == datetime(2021, 1, 1)
    assert "C0001" not in rows  # E2's carol is out of E1's scope
    assert [c.value for c in ws[1]][:3] == ["工号", "姓名", "单位编码"]


def test_export_header_in_english(w):
    with translation.override("en"):
        data = b"".join(exports.roster_xlsx(Person.objects.filter(pk=w.alice.pk)))
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [c.value for c in ws[1]] == [
        "employee_no",
        "name",
        "unit",
        "unit_name",
        "id_number",
        "mobile",
        "status",
        "joined",
        "left",
    ]
    assert [c.value for c in ws[2]][:3] == ["A0001", "艾丽", "E1-G1"]
