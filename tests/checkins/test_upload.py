"""Uploading a day of check-ins: same validation as the API, every bad row reported, all or nothing."""

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from fangkong.checkins.day_import import run_day_import
from fangkong.checkins.models import CheckIn, Source
from fangkong.ledger.models import Item
from tests.factories import person

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=SHANGHAI)
HEADER = ["employee_no", "temperature", "symptoms", "where", "contact", "captured_at", "note"]


def _xlsx(rows, header=HEADER, notes_sheet=True) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "day"
    ws.append(header)
    for row in rows:
        ws.append(row)
    if notes_sheet:  # a sheet of instructions is skipped
        wb.create_sheet("说明").append(["how to fill this in"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _run(w, content: bytes, name="day.xlsx", unit=None, now=NOW, actor=None):
    return run_day_import(actor or w.enterprise_admin, unit or w.e1, io.BytesIO(content), name, now=now)


GOOD = [
    ["A0001", 36.5, "", "在岗", "否", datetime(2026, 3, 2, 8, 5), ""],
    ["B0001", 38.2, "咳嗽、乏力", "居家办公", "否", datetime(2026, 3, 2, 8, 10), "called in"],
]


def test_bad_rows_are_all_reported_and_nothing_is_saved(w):
    rows = [
        *GOOD,
        ["NOBODY", 36.5, "", "", "", datetime(2026, 3, 2, 8, 0), ""],
        ["C0001", 36.5, "", "", "", datetime(2026, 3, 2, 8, 0), ""],  # E2: out of scope reads as unknown
        ["A0001", 33.0, "sneezing", "on the moon", "maybe", "yesterday", ""],
    ]
    result = _run(w, _xlsx(rows))
    assert not result.ok and result.created == 0
    found = {(e.sheet, e.row, e.column) for e in result.errors}
    assert found == {
        ("day", 4, "employee_no"),
        ("day", 5, "employee_no"),
        ("day", 6, "symptoms"),
        ("day", 6, "where"),
        ("day", 6, "contact"),
        ("day", 6, "captured_at"),
    }
    assert "unknown employee number 'C0001'" in next(e.reason for e in result.errors if e.row == 5)
    assert CheckIn.objects.count() == 0 and Item.objects.count() == 0


def test_a_temperature_out_of_range_is_refused_like_the_api(w):
    result = _run(w, _xlsx([["A0001", 33.9, "", "", "", datetime(2026, 3, 2, 8, 0), ""]]))
    assert [(e.row, e.column) for e in result.errors] == [(2, "temperature")]
    assert "34.0" in result.errors[0].reason


def test_the_corrected_upload_creates_check_ins_and_again_changes_nothing(w):
    content = _xlsx(GOOD)
    first = _run(w, content)
    assert first.ok and (first.created, first.unchanged) == (2, 0)
    bob = CheckIn.objects.get(person=w.bob)
    assert bob.card == "red" and bob.symptoms == ["cough", "fatigue"] and bob.where == "remote"
    assert bob.source == Source.IMPORT and bob.submitted_by == w.enterprise_admin and bob.note == "called in"
    assert bob.captured_at == datetime(2026, 3, 2, 8, 10, tzinfo=SHANGHAI) and bob.late
    assert Item.objects.filter(person=w.bob).count() == 1  # the red card opened one item
    again = _run(w, content, now=NOW + timedelta(hours=30))  # replays, even past the 24 h window
    assert again.ok and (again.created, again.unchanged) == (0, 2)
    assert CheckIn.objects.count() == 2 and Item.objects.count() == 1


def test_the_same_person_and_time_with_other_values_is_refused(w):
    _run(w, _xlsx(GOOD))
    changed = [[*GOOD[0][:1], 37.0, *GOOD[0][2:]]]
    result = _run(w, _xlsx(changed))
    assert [(e.row, e.column) for e in result.errors] == [(2, "captured_at")]
    assert "already uploaded" in result.errors[0].reason


def test_yesterday_mornings_file_uploaded_at_noon_is_refused_with_the_reason(w):
    rows = [["A0001", 36.5, "", "", "", datetime(2026, 3, 1, 8, 0), ""]]
    result = _run(w, _xlsx(rows))
    assert not result.ok
    (error,) = result.errors
    assert error.column == "captured_at"
    assert "2026-03-01 08:00 is more than 24 hours before this upload (2026-03-02 12:00)" in error.reason
    assert CheckIn.objects.count() == 0


def test_a_csv_with_chinese_headers_date_and_time_columns_and_an_id(w):
    text = (
        "工号,体温,症状,所在,接触史,日期,时间,编号\n"
        "A0001,36.6,无,隔离,是,2026-03-02,07:30,0b6f4f7e-3c1a-4a53-9d43-2f1c8f0d6a11\n"
        "B0001,37.0,fever; cough,remote,0,2026/03/02,7:45,\n"
    )
    result = _run(w, text.encode("gb18030"), name="day.csv")
    assert result.ok, result.errors
    alice = CheckIn.objects.get(person=w.alice)
    assert str(alice.id) == "0b6f4f7e-3c1a-4a53-9d43-2f1c8f0d6a11"
    assert (alice.where, alice.contact, alice.card) == ("isolated", True, "yellow")
    assert CheckIn.objects.get(person=w.bob).symptoms == ["fever", "cough"]


def test_two_rows_of_one_person_that_day_keep_the_later_one_current(w):
    rows = [
        ["A0001", 37.8, "", "", "", datetime(2026, 3, 2, 9, 0), "recheck"],
        ["A0001", 36.5, "", "", "", datetime(2026, 3, 2, 7, 0), ""],
        ["A0001", 36.5, "", "", "", datetime(2026, 3, 2, 7, 0), ""],
    ]
    result = _run(w, _xlsx(rows))
    assert [(e.row, e.column) for e in result.errors] == [(4, "captured_at")]  # row 4 repeats row 3
    result = _run(w, _xlsx(rows[:2]))
    assert result.ok and result.created == 2
    current = CheckIn.objects.get(person=w.alice, current=True)
    assert (current.version, current.note) == (2, "recheck")


def test_a_missing_column_and_a_refused_file(w):
    result = _run(w, _xlsx([["A0001", 36.5]], header=["employee_no", "temperature"]))
    assert [(e.row, e.column) for e in result.errors] == [(1, "captured_at")]
    with pytest.raises(Exception, match="only .xlsx and .csv"):
        _run(w, b"hello", name="day.txt")


def test_the_grid_leader_uploads_its_grid_only(w):
    c = Client()
    c.force_login(w.grid_leader)
    assert c.get("/units/E1-G1/checkins/upload/").status_code == 200
    assert c.get("/units/E1/checkins/upload/").status_code == 404
    now = datetime.now(SHANGHAI).replace(tzinfo=None, microsecond=0)
    rows = [["A0001", 36.5, "", "", "", now - timedelta(minutes=30), ""]]
    rows.append(["B0001", 36.5, "", "", "", now - timedelta(minutes=30), ""])  # grid2: not its grid
    upload = SimpleUploadedFile("day.xlsx", _xlsx(rows))
    refused = c.post("/units/E1-G1/checkins/upload/run/", {"file": upload})
    assert refused.status_code == 400
    assert "unknown employee number" in refused.content.decode() and CheckIn.objects.count() == 0
    upload = SimpleUploadedFile("day.xlsx", _xlsx(rows[:1]))
    done = c.post("/units/E1-G1/checkins/upload/run/", {"file": upload})
    assert done.status_code == 200 and done.context["result"].created == 1


@pytest.mark.parametrize("who", ["outsider", "segment_admin", "tracker", "employee"])
def test_others_cannot_upload(w, who):
    c = Client()
    c.force_login(getattr(w, who))
    assert c.get("/units/E1-G1/checkins/upload/").status_code == 404
    upload = SimpleUploadedFile("day.xlsx", _xlsx(GOOD))
    assert c.post("/units/E1-G1/checkins/upload/run/", {"file": upload}).status_code == 404


def test_the_cli_imports_all_or_nothing(w, tmp_path):
    person(w.grid1, "Z0001", name="左")
    now = datetime.now(SHANGHAI).replace(tzinfo=None, microsecond=0) - timedelta(minutes=20)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(_xlsx([["Z0001", 36.5, "", "", "", now, ""], ["Z0001", "hot", "", "", "", now, ""]]))
    out = io.StringIO()
    with pytest.raises(CommandError, match="nothing was saved"):
        call_command("checkins", "import", str(bad), "--unit", "E1", stdout=out)
    assert "day!3 temperature" in out.getvalue()
    good = tmp_path / "good.xlsx"
    good.write_bytes(_xlsx([["Z0001", 36.5, "", "", "", now, ""]]))
    call_command("checkins", "import", str(good), "--unit", "E1", "--actor", "e1_admin", stdout=out)
    assert "1 check-ins created" in out.getvalue()
    assert CheckIn.objects.get(person__employee_no="Z0001").submitted_by == w.enterprise_admin
