"""Hostile files through the web import: refused fast, in bounded memory, with a message naming the
problem, and nothing left in the temporary directory."""

from __future__ import annotations

import io
import json
import tempfile
import zipfile

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from fangkong.lib.xlsx import OLE2_MAGIC
from tests.lib.test_xlsx import workbook_bytes, zip_bytes

MB = 1024 * 1024
LAUGHS = (
    b'<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">'.encode() for i in range(1, 10)
    )
    + b"]>"
)


@pytest.fixture
def private_tmp(tmp_path, monkeypatch, settings):
    """Uploads and tempfile both go to an empty directory, to prove nothing is left behind."""
    d = tmp_path / "tmp"
    d.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(d))
    settings.FILE_UPLOAD_TEMP_DIR = str(d)
    return d


def _with_sheet_prefix(prefix: bytes) -> bytes:
    data = workbook_bytes(("people", [["employee_no", "name", "unit"], ["X0001", "name", "E1-G1"]]))
    src = zipfile.ZipFile(io.BytesIO(data))
    members = {n: src.read(n) for n in src.namelist()}
    sheet = next(n for n in members if n.startswith("xl/worksheets/sheet"))
    members[sheet] = members[sheet].replace(b"<worksheet", prefix + b"<worksheet", 1)
    return zip_bytes(members)


def _upload(user, name: str, content: bytes):
    client = Client()
    client.force_login(user)
    return client.post(
        reverse("import_run", kwargs={"code": "E1"}),
        {"kind": "roster", "file": SimpleUploadedFile(name, content)},
    )


def _refused(w, name: str, content: bytes, *needles: str) -> str:
    response = _upload(w.enterprise_admin, name, content)
    assert response.status_code == 400
    text = response.content.decode()
    for needle in needles:
        assert needle in text, (needle, text[-2000:])
    return text


@pytest.mark.django_db
def test_billion_laughs_is_refused_without_expanding(w, private_tmp):
    bomb = _with_sheet_prefix(LAUGHS)  # ten to the ninth "lol" if anything expanded it
    text = _refused(w, "people.xlsx", bomb, "XML bomb")
    assert "lollollol" not in text
    assert list(private_tmp.iterdir()) == []


@pytest.mark.django_db
def test_an_external_entity_is_never_fetched_or_shown(w, private_tmp):
    xxe = _with_sheet_prefix(b'<!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>')
    text = _refused(w, "people.xlsx", xxe, "external")
    assert "root:" not in text
    assert list(private_tmp.iterdir()) == []


@pytest.mark.django_db
def test_a_zip_bomb_is_refused_from_its_directory(w, private_tmp):
    # 300 MB of zeros in a few hundred kilobytes: refused from the zip directory, never inflated.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\x00" * MB
            for _ in range(300):
                member.write(chunk)
    _refused(w, "people.xlsx", out.getvalue(), "zip bomb")
    assert list(private_tmp.iterdir()) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("people.xlsx", b"employee_no,name\nA1,x\n", "not an .xlsx workbook"),
        ("people.xlsx", b"<html><body>not a workbook</body></html>", "not an .xlsx workbook"),
        ("people.xlsx", OLE2_MAGIC + b"\x00" * 4096, "password-protected"),
        ("people.xls", OLE2_MAGIC + b"\x00" * 4096, ".xls"),
        ("people.csv", b"PK\x03\x04" + b"\x00" * 64, "not a CSV"),
        ("people.exe", b"MZ" + b"\x00" * 64, "only .xlsx and .csv"),
        ("people.xlsx", b"", "empty"),
    ],
)
def test_wrong_content_behind_the_name_is_refused_with_the_reason(w, private_tmp, name, content, needle):
    _refused(w, name, content, needle)
    assert list(private_tmp.iterdir()) == []


@pytest.mark.django_db
def test_truncated_and_encrypted_workbooks_are_refused(w, private_tmp):
    good = workbook_bytes(("people", [["employee_no", "name", "unit"], ["X0001", "n", "E1-G1"]]))
    _refused(w, "people.xlsx", good[: len(good) // 2], "damaged or truncated")
    encrypted = bytearray(zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<w/>"}))
    # Set the "encrypted" flag bit in every local and central header.
    for magic, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (at := encrypted.find(magic, start)) >= 0:
            encrypted[at + offset] |= 0x1
            start = at + 4
    _refused(w, "people.xlsx", bytes(encrypted), "encrypted")
    assert list(private_tmp.iterdir()) == []


@pytest.mark.django_db
def test_an_oversize_upload_is_refused_before_it_is_read(w, private_tmp):
    client = Client()
    client.force_login(w.enterprise_admin)
    declared = settings.MAX_REQUEST_BYTES + 1
    # The declared length is over the limit: refused from the header, the body is never read.
    response = client.post(
        reverse("import_run", kwargs={"code": "E1"}),
        {"kind": "roster", "file": SimpleUploadedFile("people.xlsx", b"PK\x03\x04")},
        CONTENT_LENGTH=str(declared),
    )
    assert response.status_code == 413
    text = response.content.decode()
    assert ("too big" in text.lower() or "过大" in text) and "MB" in text
    assert list(private_tmp.iterdir()) == []


@pytest.mark.django_db
def test_an_upload_over_the_import_limit_is_refused_and_its_spool_removed(w, private_tmp, settings):
    # Between the in-memory limit and the request limit Django spools to a temporary file; the
    # import's own limit refuses it and the spool file goes with the request.
    settings.IMPORT_MAX_BYTES = 6 * MB
    text = _refused(w, "people.xlsx", b"PK\x03\x04" + b"\x00" * (7 * MB), "too big")
    assert "split" in text
    assert list(private_tmp.iterdir()) == []


@pytest.mark.django_db
def test_an_oversize_api_body_gets_413_naming_the_body(w):
    from fangkong.org.actions import create_token

    client = Client(HTTP_AUTHORIZATION=f"Bearer {create_token('test', w.grid_leader)}")
    items = [
        {"id": f"00000000-0000-4000-8000-{i:012d}", "person": "A0001", "temperature": 36.6, "note": "x" * 500}
        for i in range(10_000)
    ]
    body = json.dumps(items)
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = client.post("/api/v1/checkins/batch", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["detail"][0]["field"] == "body"
    huge = client.post(
        "/api/v1/checkins",
        data="{}",
        content_type="application/json",
        CONTENT_LENGTH=str(settings.MAX_REQUEST_BYTES + 1),
    )
    assert huge.status_code == 413 and huge.json()["detail"][0]["field"] == "body"
