"""XLSX exports of the supplies lists, streamed in bounded memory (lib/xlsx.stream_xlsx)."""

from __future__ import annotations

from collections.abc import Iterator

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import get_language

from fangkong.lib.xlsx import stream_xlsx
from fangkong.org.models import Unit

from . import queries
from .cover import covers
from .models import Movement

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STOCK_CHUNK = 2000

STOCK_COLUMNS = (
    ("unit", "单位编码"),
    ("unit_name", "单位名称"),
    ("item", "物资"),
    ("quantity", "库存"),
    ("counting_unit", "计量单位"),
    ("daily_use", "日均消耗(近7天)"),
    ("cover_days", "可用天数"),
    ("target_days", "保障天数要求"),
    ("short", "短缺"),
)
MOVEMENT_COLUMNS = (
    ("day", "日期"),
    ("unit", "单位编码"),
    ("unit_name", "单位名称"),
    ("item", "物资"),
    ("kind", "类型"),
    ("quantity", "数量"),
    ("balance", "结存"),
    ("counterpart", "往来方"),
    ("note", "备注"),
    ("by", "经办人"),
)
DONATION_COLUMNS = (
    ("receipt_no", "收据编号"),
    ("day", "日期"),
    ("direction", "方向"),
    ("unit", "单位编码"),
    ("unit_name", "单位名称"),
    ("employee_no", "工号"),
    ("donor", "捐赠方"),
    ("recipient", "受赠方"),
    ("kind", "类别"),
    ("amount_cny", "金额(元)"),
    ("goods", "物资"),
    ("quantity", "数量"),
    ("purpose", "用途"),
)


def _zh() -> bool:
    return (get_language() or "").lower().startswith("zh")


def _header(columns: tuple[tuple[str, str], ...], zh: bool) -> list[str]:
    return [c[1] if zh else c[0] for c in columns]


def response(name: str, chunks: Iterator[bytes]) -> StreamingHttpResponse:
    resp = StreamingHttpResponse(chunks, content_type=XLSX)
    filename = f"{name}-{timezone.localdate().isoformat()}.xlsx"
    resp["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return resp


def stock_xlsx(unit: Unit) -> Iterator[bytes]:
    zh = _zh()

    def rows() -> Iterator[tuple]:
        batch = []
        for stock in queries.stock_in(unit).iterator(chunk_size=STOCK_CHUNK):
            batch.append(stock)
            if len(batch) == STOCK_CHUNK:
                yield from _stock_rows(batch, zh)
                batch = []
        yield from _stock_rows(batch, zh)

    return stream_xlsx("物资库存" if zh else "stock", _header(STOCK_COLUMNS, zh), rows())


def _stock_rows(batch: list, zh: bool) -> Iterator[tuple]:
    cover = covers(batch)
    for s in batch:
        c = cover[s.pk]
        yield (
            s.enterprise.code,
            s.enterprise.name,
            s.item.name if zh else s.item.name_en,
            s.quantity,
            s.item.unit if zh else s.item.unit_en,
            float(c.daily_use),
            float(c.days) if c.days is not None else None,
            s.cover_days,
            ("是" if zh else "yes") if c.short else "",
        )


def movements_xlsx(unit: Unit) -> Iterator[bytes]:
    zh = _zh()
    kinds = dict(Movement.Kind.choices)

    def rows() -> Iterator[tuple]:
        qs = queries.movements_in(unit).order_by("enterprise__path", "day", "pk")
        for m in qs.iterator(chunk_size=2000):
            yield (
                m.day,
                m.enterprise.code,
                m.enterprise.name,
                m.item.name if zh else m.item.name_en,
                str(kinds.get(m.kind, m.kind)) if zh else m.kind,
                m.quantity,
                m.balance,
                m.counterpart,
                m.note,
                m.actor,
            )

    return stream_xlsx("出入库" if zh else "movements", _header(MOVEMENT_COLUMNS, zh), rows())


def donations_xlsx(unit: Unit) -> Iterator[bytes]:
    zh = _zh()
    directions = {"given": "捐出", "received": "收到"}
    kinds = {"money": "资金", "goods": "物资"}

    def rows() -> Iterator[tuple]:
        for d in queries.donations_in(unit).order_by("day", "pk").iterator(chunk_size=2000):
            yield (
                d.receipt_no,
                d.day,
                directions[d.direction] if zh else d.direction,
                d.unit.code,
                d.unit.name,
                d.person.employee_no if d.person else "",
                d.donor_label,
                d.recipient_label,
                kinds[d.kind] if zh else d.kind,
                float(d.amount) if d.amount is not None else None,
                (d.item.name if zh else d.item.name_en) if d.item else d.goods,
                d.quantity,
                d.purpose,
            )

    return stream_xlsx("捐赠" if zh else "donations", _header(DONATION_COLUMNS, zh), rows())
