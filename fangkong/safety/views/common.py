"""What the safety pages share: the 303 after a POST, XLSX responses, the unit asked for."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from django.http import HttpRequest, HttpResponseRedirect, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import get_language

from fangkong.lib.xlsx import stream_xlsx
from fangkong.org import access
from fangkong.org.models import Unit

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class HttpResponseSeeOther(HttpResponseRedirect):
    """After a successful POST: GET the result page (303, so a reload never re-posts)."""

    status_code = 303


def chinese() -> bool:
    return (get_language() or "").lower().startswith("zh")


def xlsx_response(
    name: str, sheet: tuple[str, str], columns: Iterable[tuple[str, str]], rows: Iterator[Iterable[Any]]
) -> StreamingHttpResponse:
    """A streamed XLSX download; `columns` are (English, Chinese) headers, `sheet` the same."""
    zh = chinese()  # decided now: the body is produced after the view has returned
    header = [c[1] if zh else c[0] for c in columns]
    response = StreamingHttpResponse(
        stream_xlsx(sheet[1] if zh else sheet[0], header, rows), content_type=XLSX
    )
    filename = f"{name}-{timezone.localdate().isoformat()}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response


def unit_asked(request: HttpRequest, roles: Iterable[str], *, data: Any = None) -> Unit | None:
    """The unit named by `unit=` (query or form), scoped: out of scope is Http404 like absent."""
    code = ((data if data is not None else request.GET).get("unit") or "").strip()[:32]
    return access.unit_for_user(request.user, code, roles) if code else None


def local(value, tz_name: str):
    from fangkong.lib.dates import zone

    return value.astimezone(zone(tz_name)) if value is not None else None
