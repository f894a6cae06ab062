"""Acceptance 3: the bulletin as PDF (Chinese text, CJK font embedded) and XLSX (same figures as the page)."""

import io
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from django.test import Client
from django.utils import translation

from fangkong.dashboard.bulletin import FONT_PATHS
from fangkong.dashboard.providers import active

from .helpers import number, page_children, page_figures, populate

HAS_FONT = any(p.exists() for p in FONT_PATHS)
HAS_POPPLER = bool(shutil.which("pdftotext") and shutil.which("pdffonts"))


def zh_label(key: str) -> str:
    """A figure's label as the (Chinese) bulletin writes it."""
    with translation.override("zh-hans"):
        return next(str(f.label) for p in active() for f in p.figures if f.key == key)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.skipif(not (HAS_FONT and HAS_POPPLER), reason="needs fonts-wqy-microhei and poppler-utils")
def test_pdf_has_the_unit_and_figures_in_chinese_with_the_font_embedded(w, tmp_path: Path):
    day = populate(w)
    client = _client(w.group_admin)
    figures = page_figures(client.get("/dashboard/units/G/", {"date": day.isoformat()}).content.decode())
    response = client.get("/api/v1/units/G/bulletin", {"date": day.isoformat(), "format": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "bulletin.pdf"
    pdf.write_bytes(response.content)

    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    lines = text.stdout.splitlines()
    assert "示例集团疫情通报" in text.stdout
    assert day.isoformat() in text.stdout
    for label, key in (
        ("应打卡人数", "expected"),
        ("已打卡", "checked_in"),
        ("红码", "red"),
        ("逾期台账", "overdue_items"),
    ):
        row = next(line for line in lines if line.split() and line.split()[0] == label)
        assert number(row.split()[1]) == figures[key], label
    for heading in ("主要指标", "下级单位", "卡点", "逾期事项", "较昨日变化"):
        assert heading in text.stdout
    assert "能源板块" in text.stdout  # the child table

    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "WenQuanYi" in line]
    assert cjk, fonts
    assert all(line.split()[-5] == "yes" for line in cjk), fonts  # the "emb" column


@pytest.mark.django_db
def test_xlsx_opens_and_matches_the_dashboard(w):
    day = populate(w)
    client = _client(w.enterprise_admin)
    html = client.get("/dashboard/units/E1/", {"date": day.isoformat()}).content.decode()
    figures, children = page_figures(html), page_children(html)
    response = client.get("/api/v1/units/E1/bulletin", {"date": day.isoformat(), "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["主要指标", "下级单位", "卡点", "逾期事项", "较昨日变化"]

    head = list(book["主要指标"].iter_rows(values_only=True))
    assert head[0][0] == "第一企业疫情通报"
    rows = {r[0]: r[1] for r in head[4:] if r and r[0]}
    keys = (
        "expected",
        "checked_in",
        "missing",
        "red",
        "yellow",
        "open_items",
        "overdue_items",
        "completeness",
    )
    for key in keys:
        assert rows[zh_label(key)] == figures[key], key

    table = list(book["下级单位"].iter_rows(values_only=True))
    header = table[0]
    by_code = {r[1]: dict(zip(header, r, strict=True)) for r in table[1:]}
    assert set(by_code) == set(children) == {"E1-G1", "E1-G2"}
    for code, shown in children.items():
        for key in ("missing", "checked_in", "open_items", "overdue_items", "completeness"):
            assert by_code[code][zh_label(key)] == shown[key], (code, key)

    blocks = list(book["卡点"].iter_rows(values_only=True))
    assert any(r[2] == "鲍勃 (B0001)" for r in blocks[1:])
    overdue = list(book["逾期事项"].iter_rows(values_only=True))
    assert any("E1-G2" in r[1] for r in overdue[1:])


@pytest.mark.django_db
def test_the_page_buttons_give_the_same_files(w):
    client = _client(w.enterprise_admin)
    pdf = client.get("/dashboard/units/E1/bulletin.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = client.get("/dashboard/units/E1/bulletin.xlsx")
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    assert "bulletin-E1-" in xlsx["Content-Disposition"]


@pytest.mark.django_db
def test_bulletin_api_refuses_out_of_scope_and_bad_input(w):
    client = _client(w.outsider)
    assert client.get("/api/v1/units/E1/bulletin").status_code == 404
    assert (
        client.get("/api/v1/units/E1/bulletin").content == client.get("/api/v1/units/NOPE/bulletin").content
    )
    assert client.get("/api/v1/units/E2/bulletin").status_code == 200
    bad = client.get("/api/v1/units/E2/bulletin", {"format": "doc"})
    assert bad.status_code == 422
    assert client.get("/api/v1/units/E2/bulletin", {"date": "2026-13-40"}).status_code == 422
    assert Client().get("/api/v1/units/E2/bulletin").status_code == 401
