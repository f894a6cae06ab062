"""The daily bulletin (疫情通报) of a unit: a PDF with an embedded CJK font, and an XLSX with the same tables.

Both are built from one `Bulletin` (the board's tables as rows of text), so they never disagree with
each other or with the dashboard. The bulletin is written in Chinese whatever the reader's language.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import openpyxl
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl.styles import Font
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from fangkong.lib.dates import zone
from fangkong.lib.xlsx import safe_cell

from .figures import Block, show, show_delta, show_late
from .queries import Board

log = logging.getLogger(__name__)

BULLETIN_LANGUAGE = "zh-hans"
# Debian's fonts-wqy-microhei: a TrueType collection reportlab can embed (Noto CJK's CFF outlines
# cannot be). The first font of the collection is WenQuanYi Micro Hei.
FONT_PATHS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc"),
)
FONT_NAME = "WenQuanYiMicroHei"
FALLBACK_FONT = "STSong-Light"
PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Num:
    """A number cell: shown formatted in the PDF, written as a number in the XLSX."""

    value: int | float | None
    percent: bool = False
    delta: bool = False

    def __str__(self) -> str:
        return show_delta(self.value, self.percent) if self.delta else show(self.value, self.percent)


Cell = str | Num


@dataclass
class Table_:
    title: str
    header: list[str]
    rows: list[list[Cell]]
    key_columns: int = 0  # columns naming the row, repeated when the PDF cuts a wide table


@dataclass
class Bulletin:
    title: str
    subtitle: str
    tables: list[Table_]


def build(board: Board) -> Bulletin:
    """The bulletin's tables, as text, in Chinese."""
    with translation.override(BULLETIN_LANGUAGE):
        return _build(board)


def _build(board: Board) -> Bulletin:
    unit = board.unit
    tz = zone(unit.timezone)
    figures = board.figures
    headline = Table_(
        _("Headline figures"),
        [_("Figure"), _("Value"), _("Change since yesterday")],
        [
            [str(f.label), Num(board.values.get(f.key), f.percent), Num(c.delta, f.percent, delta=True)]
            for f, c in zip(figures, board.changes, strict=True)
        ],
    )
    children = Table_(
        _("Units below"),
        [_("Unit"), _("Code")] + [str(f.label) for f in figures],
        [
            [row.unit.name, row.unit.code] + [Num(row.values.get(f.key), f.percent) for f in figures]
            for row in board.children
        ],
        key_columns=2,
    )
    blocks = Table_(
        _("What blocks"),
        [_("Holding back"), _("Unit"), _("Person"), _("Count"), _("Owner"), _("Late by")],
        [_block_row(b) for b in board.blocks],
    )
    overdue = Table_(
        _("Overdue items"),
        [_("Kind"), _("Unit"), _("Owner"), _("Due"), _("Late by")],
        [
            [
                o.kind,
                f"{o.unit_name} ({o.unit_code})",
                o.owner or _("nobody assigned"),
                o.due_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                show_late(o.late),
            ]
            for o in board.overdue
        ],
    )
    changes = Table_(
        _("Changes since yesterday"),
        [_("Figure"), _("Yesterday"), _("Today"), _("Change")],
        [
            [
                str(c.figure.label),
                Num(c.yesterday, c.figure.percent),
                Num(c.today, c.figure.percent),
                Num(c.delta, c.figure.percent, delta=True),
            ]
            for c in board.changes
        ],
    )
    generated = board.generated_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    return Bulletin(
        title=_("%(unit)s epidemic bulletin") % {"unit": unit.name},
        subtitle=_("%(day)s · unit %(code)s · generated %(at)s (%(tz)s)")
        % {"day": board.day.isoformat(), "code": unit.code, "at": generated, "tz": unit.timezone},
        tables=[headline, children, blocks, overdue, changes],
    )


def _block_row(b: Block) -> list[Cell]:
    if b.more:
        return [str(b.what), _("and %(n)d more (see the list)") % {"n": b.count or 0}, "", "", "", ""]
    return [
        str(b.what),
        f"{b.unit_name} ({b.unit_code})",
        b.person,
        Num(b.count) if b.count is not None else "",
        b.owner or _("nobody assigned"),
        show_late(b.late),
    ]


# --- PDF ----------------------------------------------------------------------------------------------


@cache
def _font() -> str:
    """The embedded CJK font; without one, reportlab's built-in STSong-Light (shown only where the
    reader has a Chinese font, so it is logged as a set-up fault)."""
    for path in FONT_PATHS:
        if path.exists():
            pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
            return FONT_NAME
    log.error("no embeddable CJK font (apt-get install fonts-wqy-microhei): the bulletin uses STSong-Light")
    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
    return FALLBACK_FONT


def pdf(board: Board) -> bytes:
    bulletin = build(board)
    font = _font()
    title = ParagraphStyle("title", fontName=font, fontSize=18, leading=24, spaceAfter=4)
    sub = ParagraphStyle("sub", fontName=font, fontSize=9, leading=12, textColor=colors.HexColor("#5b6b7b"))
    heading = ParagraphStyle("h2", fontName=font, fontSize=12, leading=16, spaceBefore=10, spaceAfter=4)
    cell = ParagraphStyle("cell", fontName=font, fontSize=8, leading=10, wordWrap="CJK")
    empty = ParagraphStyle("empty", parent=cell, textColor=colors.HexColor("#5b6b7b"))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title=bulletin.title,
        author="fangkong",
    )
    story: list = [Paragraph(_escape(bulletin.title), title), Paragraph(_escape(bulletin.subtitle), sub)]
    with translation.override(BULLETIN_LANGUAGE):
        none = _("None.")
    width = A4[0] - 28 * mm
    for t in bulletin.tables:
        story.append(Paragraph(_escape(t.title), heading))
        if not t.rows:
            story.append(Paragraph(none, empty))
            continue
        for part in _parts(t):
            story.append(_pdf_table(part, cell, width))
            story.append(Spacer(1, 2 * mm))
    story.append(Spacer(1, 6 * mm))
    doc.build(story)
    return buffer.getvalue()


# A wide table (the units below, one column per figure) is cut into parts of this many figure
# columns, each repeating the unit's name and code, so that figures stay readable on A4.
PDF_COLUMNS = 8


def _parts(t: Table_) -> list[Table_]:
    if t.key_columns == 0 or len(t.header) <= t.key_columns + PDF_COLUMNS:
        return [t]
    k = t.key_columns
    parts = []
    for start in range(k, len(t.header), PDF_COLUMNS):
        cols = list(range(k)) + list(range(start, min(start + PDF_COLUMNS, len(t.header))))
        parts.append(Table_(t.title, [t.header[c] for c in cols], [[r[c] for c in cols] for r in t.rows]))
    return parts


def _pdf_table(t: Table_, style: ParagraphStyle, width: float) -> Table:
    weights = [
        2.2 if i == 0 else (1.6 if isinstance(t.rows[0][i], str) else 1.0) for i in range(len(t.header))
    ]
    col_widths = [width * w / sum(weights) for w in weights]
    numeric = ParagraphStyle("num", parent=style, alignment=2)
    data = [[Paragraph(_escape(h), style) for h in t.header]]
    data += [
        [Paragraph(_escape(str(v)), numeric if isinstance(v, Num) else style) for v in row] for row in t.rows
    ]
    table = Table(data, colWidths=col_widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f6")),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#c9d2dc")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- XLSX ---------------------------------------------------------------------------------------------


def xlsx(board: Board) -> bytes:
    """One sheet per table; the first sheet starts with the title lines. Cells are formula-safe."""
    bulletin = build(board)
    workbook = openpyxl.Workbook()
    bold = Font(bold=True)
    for i, t in enumerate(bulletin.tables):
        sheet = workbook.active if i == 0 else workbook.create_sheet()
        assert sheet is not None
        sheet.title = t.title[:31]
        if i == 0:
            sheet.append([safe_cell(bulletin.title)])
            sheet.append([safe_cell(bulletin.subtitle)])
            sheet.append([])
        sheet.append([safe_cell(h) for h in t.header])
        for c in sheet[sheet.max_row]:
            c.font = bold
        for row in t.rows:
            sheet.append([_excel(v) for v in row])
            for c, v in zip(sheet[sheet.max_row], row, strict=True):
                if isinstance(v, Num) and v.percent:
                    c.number_format = '0.0"%"'

        for col, width in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", _widths(t), strict=False):
            sheet.column_dimensions[col].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _excel(v: Cell) -> object:
    return v.value if isinstance(v, Num) else safe_cell(v)


def _widths(t: Table_) -> list[int]:
    cols = list(zip(t.header, *t.rows, strict=False)) if t.rows else [(h,) for h in t.header]
    return [min(40, max(8, *(len(str(v)) * 2 for v in col))) for col in cols]


def filename(board: Board, ext: str) -> str:
    return f"bulletin-{board.unit.code}-{board.day.isoformat()}.{ext}"
