"""XLSX exports of org lists, streamed in bounded memory. ID numbers and mobiles are always masked."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils.translation import get_language

from fangkong.lib.identity import mask_id_number, mask_mobile
from fangkong.lib.xlsx import stream_xlsx

from .models import Person

# (field, English header = the import column, Chinese header = an import alias too)
ROSTER_COLUMNS = (
    ("employee_no", "employee_no", "工号"),
    ("name", "name", "姓名"),
    ("unit__code", "unit", "单位编码"),
    ("unit__name", "unit_name", "单位名称"),
    ("id_number", "id_number", "身份证号"),
    ("mobile", "mobile", "手机号"),
    ("status", "status", "状态"),
    ("joined_on", "joined", "入职日期"),
    ("left_on", "left", "离职日期"),
)
STATUS_ZH = {Person.Status.ACTIVE: "在职", Person.Status.LEFT: "离职"}


def _chinese() -> bool:
    return (get_language() or "").lower().startswith("zh")


def roster_xlsx(people: QuerySet[Person]) -> Iterator[bytes]:
    """The roster as XLSX bytes chunks, for a StreamingHttpResponse; the caller scopes `people`."""
    zh = _chinese()  # decided now: the response body is produced after the view has returned
    header = [c[2] if zh else c[1] for c in ROSTER_COLUMNS]
    rows = people.values_list(*(c[0] for c in ROSTER_COLUMNS)).iterator(chunk_size=2000)

    def masked() -> Iterator[tuple]:
        for no, name, unit_code, unit_name, id_number, mobile, status, joined, left in rows:
            yield (
                no,
                name,
                unit_code,
                unit_name,
                mask_id_number(id_number),
                mask_mobile(mobile),
                STATUS_ZH.get(status, status) if zh else status,
                joined,
                left,
            )

    return stream_xlsx("花名册" if zh else "roster", header, masked())
