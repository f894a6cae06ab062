"""Spreadsheet safety: uploads refused before parsing, rows read faithfully, formulas neutralised, streams."""

import io
import os
import tempfile
import time
import zipfile
from datetime import date, datetime

import openpyxl
import openpyxl.xml
import pytest

from fangkong.lib.xlsx import SHEET_ROWS, UploadRefused, check_upload, read_rows, safe_cell, stream_xlsx

MB = 1024 * 1024


def workbook_bytes(*sheets: tuple[str, list[list]]) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """Point tempfile at an empty directory, to prove nothing is left behind."""
    d = tmp_path / "tmp"
    d.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(d))
    return d


def refused(data: bytes, name: str = "people.xlsx", **limits) -> str:
    with pytest.raises(UploadRefused) as exc:
        check_upload(io.BytesIO(data), name, limits.pop("max_bytes", 50 * MB), **limits)
    return str(exc.value)


def test_openpyxl_parses_through_defusedxml():
    assert openpyxl.xml.DEFUSEDXML is True


def test_a_real_workbook_and_a_csv_pass():
    assert check_upload(io.BytesIO(workbook_bytes(("s", [["a"], [1]]))), "x.XLSX", MB) == "xlsx"
    assert check_upload(io.BytesIO(b"a,b\n1,2\n"), "x.csv", MB) == "csv"


def test_oversize_empty_and_other_types_are_refused_before_parsing():
    assert "too big" in refused(b"PK\x03\x04" + b"\0" * 2000, max_bytes=1000)
    assert "empty" in refused(b"")
    assert "only .xlsx and .csv" in refused(b"hello", "people.txt")
    assert "legacy .xls" in refused(b"hello", "people.xls")


def test_a_text_file_renamed_xlsx_is_refused():
    assert "not an .xlsx workbook" in refused("employee_no,name\nA1,张三\n".encode())


def test_an_encrypted_or_legacy_workbook_is_refused():
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
    assert "password-protected" in refused(ole2)


def test_an_encrypted_zip_member_is_refused():
    data = bytearray(workbook_bytes(("s", [["a"], [1]])))
    at = data.find(b"PK\x01\x02")  # first central directory entry: flag bits at offset 8
    data[at + 8] |= 0x1
    assert "encrypted" in refused(bytes(data))


def test_a_truncated_workbook_is_refused():
    data = workbook_bytes(("s", [["a"], *[[i] for i in range(200)]]))
    assert "damaged or truncated" in refused(data[: len(data) // 2])


def test_a_zip_that_is_not_a_workbook_is_refused():
    assert "not an .xlsx workbook" in refused(zip_bytes({"hello.txt": b"hi"}))


def test_a_zip_bomb_is_refused_quickly_and_leaves_nothing(private_tmp):
    bomb = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": b"\0" * (64 * MB)})
    assert len(bomb) < MB
    started = time.monotonic()
    assert "zip bomb" in refused(bomb)
    assert time.monotonic() - started < 1
    assert os.listdir(private_tmp) == []


def test_too_much_uncompressed_data_is_refused():
    data = zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/a.xml": os.urandom(300_000)})
    assert "expands to" in refused(data, max_uncompressed=200_000)


def test_rows_carry_the_spreadsheet_row_number_and_normalised_headers():
    data = workbook_bytes(
        (
            "名单",
            [
                [" Employee No ", "NAME", None, "Joined"],
                ["A1", " 张三 ", "ignored: no header", datetime(2024, 3, 1)],
                [None, None, None, None],
                ["A2", "李四", None, "2024-03-02"],
            ],
        )
    )
    rows = list(read_rows(io.BytesIO(data), "x.xlsx"))
    assert rows == [
        ("名单", 2, {"employee_no": "A1", "name": "张三", "joined": datetime(2024, 3, 1)}),
        ("名单", 4, {"employee_no": "A2", "name": "李四", "joined": "2024-03-02"}),
    ]


def test_every_sheet_is_read_with_its_own_header():
    data = workbook_bytes(("one", [["a"], [1]]), ("two", [["b", "c"], [2, 3]]), ("empty", []))
    assert list(read_rows(io.BytesIO(data), "x.xlsx")) == [("one", 2, {"a": 1}), ("two", 2, {"b": 2, "c": 3})]


def test_a_duplicated_header_is_refused():
    data = workbook_bytes(("s", [["name", "Name"], ["a", "b"]]))
    with pytest.raises(UploadRefused, match="appears twice"):
        list(read_rows(io.BytesIO(data), "x.xlsx"))


def test_xml_entities_in_a_workbook_are_refused():
    data = workbook_bytes(("s", [["a"], ["x"]]))
    src = zipfile.ZipFile(io.BytesIO(data))
    members = {n: src.read(n) for n in src.namelist()}
    sheet = next(n for n in members if n.startswith("xl/worksheets/sheet"))
    members[sheet] = members[sheet].replace(
        b"<worksheet", b'<!DOCTYPE worksheet [<!ENTITY lol "lol">]><worksheet', 1
    )
    with pytest.raises(UploadRefused):
        list(read_rows(io.BytesIO(zip_bytes(members)), "x.xlsx"))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_or_gb18030(encoding):
    data = '工号,姓名\r\nA1,张三\r\n\r\nA2,"李, 四"\r\n'.encode(encoding)
    rows = list(read_rows(io.BytesIO(data), "名单.csv"))
    assert rows == [
        ("名单", 2, {"工号": "A1", "姓名": "张三"}),
        ("名单", 4, {"工号": "A2", "姓名": "李, 四"}),
    ]


def test_csv_that_is_not_text_is_refused():
    assert "not a CSV text file" in refused(b"a,b\n\x00\x01\x02", "x.csv")


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_safe_cell_neutralises_formulas(value):
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["张三", "a=b", "", None, 5, -3.5])
def test_safe_cell_leaves_other_values(value):
    assert safe_cell(value) == value


def test_stream_xlsx_round_trip_keeps_formula_text_as_text(private_tmp):
    rows = [['=HYPERLINK("http://evil")', 1, datetime(2024, 3, 1)], ["plain", None, None]]
    data = b"".join(stream_xlsx("s", ["a", "b", "c"], rows, chunk_size=1024))
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert ws["A2"].value == '\'=HYPERLINK("http://evil")' and ws["A2"].data_type == "s"
    assert [c.value for c in ws[3]] == ["plain", None, None]
    assert ws["C2"].value == datetime(2024, 3, 1)
    assert os.listdir(private_tmp) == []


def test_stream_xlsx_removes_its_file_when_the_client_goes_away(private_tmp):
    stream = stream_xlsx("s", ["a"], ([f"row {i}" * 20] for i in range(20_000)), chunk_size=1024)
    next(stream)
    assert len(os.listdir(private_tmp)) == 1
    stream.close()  # what the server does when the client disconnects
    assert os.listdir(private_tmp) == []


def test_stream_xlsx_removes_its_files_when_the_rows_fail(private_tmp):
    def rows():
        yield ["ok"]
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        b"".join(stream_xlsx("s", ["a"], rows()))
    assert os.listdir(private_tmp) == []


def test_stream_xlsx_goes_on_to_another_sheet_at_the_sheets_limit(private_tmp):
    rows = ([i, f"第{i}行"] for i in range(10))
    data = b"".join(stream_xlsx("花名册", ["no", "name"], rows, sheet_rows=4))
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["花名册", "花名册 (2)", "花名册 (3)", "花名册 (4)"]
    read = [[c.value for c in row] for ws in book.worksheets for row in ws.iter_rows()]
    headers = [r for r in read if r == ["no", "name"]]
    assert len(headers) == 4 and all(ws.max_row <= 4 for ws in book.worksheets)
    assert [r for r in read if r != ["no", "name"]] == [[i, f"第{i}行"] for i in range(10)]
    assert os.listdir(private_tmp) == []


def test_stream_xlsx_fills_a_sheet_to_its_limit_and_no_further_sheet():
    data = b"".join(stream_xlsx("x" * 40, ["a"], ([i] for i in range(3)), sheet_rows=4))
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["x" * 31] and book.active.max_row == 4


def test_stream_xlsx_writes_types_as_a_spreadsheet_reads_them(private_tmp):
    row = ["text", "", 3, 2.5, True, float("nan"), date(2026, 3, 1), datetime(2026, 3, 1, 8, 30), None]
    data = b"".join(stream_xlsx("s", [f"c{i}" for i in range(len(row))], [row]))
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    read = [c.value for c in ws[2]]
    assert read[:5] == ["text", None, 3, 2.5, True] and read[5] == "=#NUM!"  # shown as #NUM!
    assert read[6:] == [datetime(2026, 3, 1), datetime(2026, 3, 1, 8, 30), None]
    assert ws["G2"].number_format == "yyyy-mm-dd" and ws["H2"].number_format == "yyyy-mm-dd hh:mm:ss"


def test_a_sheet_holds_what_excel_opens():
    assert SHEET_ROWS == 2**20


def test_stream_xlsx_removes_every_sheets_file_when_the_rows_fail_on_a_later_sheet(private_tmp):
    def rows():
        yield from ([i] for i in range(7))
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        b"".join(stream_xlsx("s", ["a"], rows(), sheet_rows=3))
    assert os.listdir(private_tmp) == []


def test_stream_xlsx_writes_strings_inline():
    """No shared-string table that grows with the rows: memory stays flat for a million rows."""
    data = b"".join(stream_xlsx("s", ["a"], ([f"unique {i}"] for i in range(100))))
    archive = zipfile.ZipFile(io.BytesIO(data))
    sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert b'"inlineStr"' in archive.read(sheets[0])
    assert all(b"unique" not in archive.read(n) for n in archive.namelist() if n not in sheets)
