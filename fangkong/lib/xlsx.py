"""Spreadsheets in and out, safely: upload checks, row reading, formula neutralising, streamed writing.

Framework-free. Reading refuses anything suspicious before a parser sees it (oversize, not really a
zip, zip bombs, encrypted or legacy workbooks); openpyxl parses the XML through defusedxml.
Writing streams an XlsxWriter constant-memory workbook through a temporary file, so memory stays
flat for a million rows.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import IO, Any

import openpyxl
import openpyxl.xml
import xlsxwriter
from defusedxml import DefusedXmlException
from openpyxl.utils.exceptions import InvalidFileException

MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 100
MAX_MEMBERS = 10_000
# Ratios are only meaningful for members big enough to matter; tiny XML parts compress oddly well.
RATIO_MIN_SIZE = 1024 * 1024
CHUNK = 64 * 1024
# A worksheet's rows in Excel, WPS and LibreOffice: a file with more on one sheet opens with the rest
# dropped. An export continues on a further sheet instead (stream_xlsx).
SHEET_ROWS = 1_048_576

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
EXTENSIONS = (".xlsx", ".csv")

Row = tuple[str, int, dict[str, Any]]

# defusedxml refuses any DTD entity (billion laughs, quadratic blow-up) and external entity or DTD
# (XXE) before it is expanded or fetched.
XML_ATTACK = (
    "the workbook declares XML entities or an external DTD (a possible XML bomb or external-entity "
    "attack): refused. Save it again from Excel or WPS as .xlsx"
)


class UploadRefused(ValueError):
    """The file as a whole cannot be read; the message says why, in words a user can act on."""


def extension(filename: str) -> str:
    return os.path.splitext(filename or "")[1].lower()


def _size(fileobj: IO[bytes]) -> int:
    fileobj.seek(0, os.SEEK_END)
    size = fileobj.tell()
    fileobj.seek(0)
    return size


def check_upload(
    fileobj: IO[bytes],
    filename: str,
    max_bytes: int,
    *,
    max_uncompressed: int = MAX_UNCOMPRESSED,
    max_ratio: int = MAX_RATIO,
) -> str:
    """Refuse a file that must not reach a parser; return its kind ("xlsx" or "csv").

    Only the zip directory is inspected (no member is inflated), so a bomb is refused in
    milliseconds. Declared sizes cannot lie usefully: zipfile stops inflating at the declared size.
    """
    ext = extension(filename)
    if ext == ".xls":
        raise UploadRefused("legacy .xls workbooks are not supported: save the file as .xlsx")
    if ext not in EXTENSIONS:
        raise UploadRefused("only .xlsx and .csv files can be imported")
    size = _size(fileobj)
    if size == 0:
        raise UploadRefused("the file is empty")
    if size > max_bytes:
        raise UploadRefused(
            f"the file is too big ({size // 1024 // 1024 + 1} MB, at most "
            f"{max_bytes // 1024 // 1024} MB): split it into several files"
        )
    head = fileobj.read(8192)
    fileobj.seek(0)
    if ext == ".csv":
        if head.startswith((ZIP_MAGIC, OLE2_MAGIC)) or b"\x00" in head:
            raise UploadRefused("this is not a CSV text file (binary content): save it as CSV or .xlsx")
        return "csv"
    if head.startswith(OLE2_MAGIC):
        raise UploadRefused(
            "the workbook is password-protected or in the legacy .xls format: "
            "remove the password and save it as .xlsx"
        )
    if not head.startswith(ZIP_MAGIC):
        raise UploadRefused("this is not an .xlsx workbook (the content is not a zip archive)")
    _check_zip(fileobj, max_uncompressed, max_ratio)
    fileobj.seek(0)
    return "xlsx"


def _check_zip(fileobj: IO[bytes], max_uncompressed: int, max_ratio: int) -> None:
    try:
        with zipfile.ZipFile(fileobj) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError):
        raise UploadRefused(
            "the workbook is damaged or truncated (its zip directory cannot be read): "
            "save it again and re-upload"
        ) from None
    if len(members) > MAX_MEMBERS:
        raise UploadRefused(f"the workbook has too many parts ({len(members)}): not a plain spreadsheet")
    total = 0
    for info in members:
        if info.flag_bits & 0x1:
            raise UploadRefused("the workbook is encrypted: remove the password and save it again")
        total += info.file_size
        if info.file_size > RATIO_MIN_SIZE and info.file_size > max_ratio * max(info.compress_size, 1):
            raise UploadRefused(
                "the workbook expands to far more than its size (compression ratio over "
                f"{max_ratio}): refused as a possible zip bomb"
            )
    if total > max_uncompressed:
        raise UploadRefused(
            f"the workbook expands to {total // 1024 // 1024} MB, more than "
            f"{max_uncompressed // 1024 // 1024} MB: split it into several files"
        )
    names = {info.filename for info in members}
    if "xl/workbook.xml" not in names and "[Content_Types].xml" not in names:
        raise UploadRefused("this zip archive is not an .xlsx workbook")


def normalize_header(value: Any) -> str:
    """' Employee No ' -> 'employee_no'."""
    if value is None:
        return ""
    return "_".join(str(value).strip().lower().split())


def read_rows(fileobj: IO[bytes], filename: str) -> Iterator[Row]:
    """Yield (sheet, row number as the spreadsheet shows it, {header: value}) for every non-blank row.

    The first row of each sheet is its header (row 1); columns without a header are ignored.
    XLSX values come typed (str, int, float, datetime, bool); CSV values are strings.
    Call `check_upload` first.
    """
    if extension(filename) == ".csv":
        yield from _csv_rows(fileobj, os.path.splitext(os.path.basename(filename))[0] or "csv")
    else:
        yield from _xlsx_rows(fileobj)


def _headers(sheet: str, cells: Iterable[Any]) -> list[str]:
    headers = [normalize_header(c) for c in cells]
    seen: set[str] = set()
    for h in headers:
        if h and h in seen:
            raise UploadRefused(f"sheet {sheet}: column {h!r} appears twice in the header row")
        seen.add(h)
    return headers


def _as_dict(headers: list[str], values: Iterable[Any]) -> dict[str, Any] | None:
    row: dict[str, Any] = {}
    blank = True
    for h, v in zip(headers, values, strict=False):
        if isinstance(v, str):
            v = v.strip()
            if v == "":
                v = None
        if h:
            row[h] = v
            blank = blank and v is None
    return None if blank else row


def _xlsx_rows(fileobj: IO[bytes]) -> Iterator[Row]:
    # openpyxl routes its XML parsing through defusedxml when it is installed (a dependency).
    assert openpyxl.xml.DEFUSEDXML, "defusedxml must be installed to read uploaded workbooks"
    try:
        workbook = openpyxl.load_workbook(fileobj, read_only=True, data_only=True)
    except DefusedXmlException:
        raise UploadRefused(XML_ATTACK) from None
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        if isinstance(exc.__cause__ or exc.__context__, DefusedXmlException):
            raise UploadRefused(XML_ATTACK) from None  # openpyxl wraps it in a ValueError
        raise UploadRefused(
            f"the workbook cannot be opened ({type(exc).__name__}): save it again as .xlsx"
        ) from None
    try:
        for ws in workbook.worksheets:
            if not hasattr(ws, "reset_dimensions"):
                continue  # a chartsheet
            ws.reset_dimensions()  # a wrong stored dimension must not cut rows off
            headers: list[str] | None = None
            for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
                if headers is None:
                    if any(v not in (None, "") for v in values):
                        if number != 1:
                            raise UploadRefused(f"sheet {ws.title}: the header must be on row 1")
                        headers = _headers(ws.title, values)
                    continue
                row = _as_dict(headers, values)
                if row is not None:
                    yield ws.title, number, row
    except UploadRefused:
        raise
    except DefusedXmlException:
        raise UploadRefused(XML_ATTACK) from None
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        raise UploadRefused(
            f"the workbook is damaged ({type(exc).__name__}): save it again as .xlsx"
        ) from None
    finally:
        workbook.close()


def _decodes(fileobj: IO[bytes], encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    fileobj.seek(0)
    try:
        while chunk := fileobj.read(CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        fileobj.seek(0)
    return True


def _csv_encoding(fileobj: IO[bytes]) -> str:
    """utf-8 (with or without BOM) if the whole file decodes as such, else GB18030 (Excel in China)."""
    for encoding in ("utf-8-sig", "gb18030"):
        if _decodes(fileobj, encoding):
            return encoding
    raise UploadRefused("the CSV file is neither UTF-8 nor GB18030 text")


def _csv_rows(fileobj: IO[bytes], sheet: str) -> Iterator[Row]:
    encoding = _csv_encoding(fileobj)
    text = io.TextIOWrapper(fileobj, encoding=encoding, newline="")  # type: ignore[type-var]
    try:
        sample = text.readline()
        text.seek(0)
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(text, dialect)
        headers: list[str] | None = None
        try:
            for number, values in enumerate(reader, start=1):
                if headers is None:
                    if number != 1 and any(v.strip() for v in values):
                        raise UploadRefused("the header must be on the first line")
                    headers = _headers(sheet, values)
                    continue
                row = _as_dict(headers, values)
                if row is not None:
                    yield sheet, number, row
        except csv.Error as exc:
            raise UploadRefused(f"the CSV file is malformed: {exc}") from None
    finally:
        text.detach()  # leave the caller's file open


def safe_cell(value: Any) -> Any:
    """Neutralise text a spreadsheet would run as a formula (CSV/formula injection): prefix a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _excel_value(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    if value is None or isinstance(value, str | int | float | bool | date | datetime):
        return safe_cell(value)
    return safe_cell(str(value))


# XlsxWriter's constant-memory mode: each row goes to the sheet's temporary file as it is written,
# strings inline (no shared-string table grows in memory); text is never read as a formula, a link
# or a number. ~1.5 × as fast as openpyxl's write-only mode for the group's roster
# (docs/performance-history.md, session 22). openpyxl still reads every upload, through defusedxml.
_WRITER_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "nan_inf_to_errors": True,  # a rate of 0/0 shows as #NUM!, as a spreadsheet would compute it
}
DATE_FORMAT, DATETIME_FORMAT = "yyyy-mm-dd", "yyyy-mm-dd hh:mm:ss"


def stream_xlsx(
    sheet_title: str,
    header: Iterable[str],
    rows: Iterable[Iterable[Any]],
    *,
    chunk_size: int = CHUNK,
    sheet_rows: int = SHEET_ROWS,
) -> Iterator[bytes]:
    """Yield an XLSX file in chunks; rows are consumed once, memory stays bounded.

    The workbook is written to a temporary file (XlsxWriter's constant-memory mode), which is
    deleted when the generator ends, fails, or is closed early (a client that disconnects: the
    server closes the response, which closes the generator). Every cell is passed through
    `safe_cell`; dates and times are written as such. Rows past a sheet's `sheet_rows` (the header
    included) go on to a further sheet, "title (2)" and so on, under the same header: no row is lost
    to a spreadsheet's limit (the group's roster with its former staff, a year's access log).
    """
    fd, path = tempfile.mkstemp(prefix="fangkong-", suffix=".xlsx")
    os.close(fd)
    workbook = xlsxwriter.Workbook(path, {**_WRITER_OPTIONS, "tmpdir": tempfile.gettempdir()})
    formats: dict[type, Any] = {
        datetime: workbook.add_format({"num_format": DATETIME_FORMAT}),
        date: workbook.add_format({"num_format": DATE_FORMAT}),
    }
    head = [safe_cell(h) for h in header]
    try:
        sheet, n = _sheet(workbook, sheet_title[:31], head), 1
        for row in rows:
            if n == sheet_rows:
                suffix = f" ({len(workbook.worksheets()) + 1})"
                sheet, n = _sheet(workbook, sheet_title[: 31 - len(suffix)] + suffix, head), 1
            for col, value in enumerate(row):
                _write(sheet, n, col, _excel_value(value), formats)
            n += 1
        workbook.close()
        with open(path, "rb") as f:
            while chunk := f.read(chunk_size):
                yield chunk
    finally:
        # After a failure, each sheet's rows are still in its temporary file (close() removes them).
        leftovers = [path] + [s.row_data_filename for s in workbook.worksheets() if s.row_data_filename]
        for sheet in workbook.worksheets():
            if sheet.row_data_fh is not None:
                sheet.row_data_fh.close()
        for name in leftovers:
            try:
                os.remove(name)
            except FileNotFoundError:
                pass


def _sheet(workbook: Any, title: str, head: list[Any]) -> Any:
    sheet = workbook.add_worksheet(title)
    for col, value in enumerate(head):
        _write(sheet, 0, col, value, {})
    return sheet


def _write(sheet: Any, row: int, col: int, value: Any, formats: dict[type, Any]) -> None:
    if value is None or value == "":
        return  # an empty cell, as an empty text reads back (None)
    if isinstance(value, str):
        sheet.write_string(row, col, value)
    elif isinstance(value, bool):
        sheet.write_boolean(row, col, value)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value)
    else:  # a date or a (naive) datetime
        sheet.write_datetime(row, col, value, formats[datetime if isinstance(value, datetime) else date])
