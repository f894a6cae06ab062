"""A donation receipt (捐赠收据) as PDF, with an embedded CJK TrueType font so it reads anywhere."""

from __future__ import annotations

import io
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .models import Donation

DEFAULT_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
FONT_NAME = "FangkongCJK"


class FontMissing(RuntimeError):
    """No CJK TrueType font to embed: the receipt cannot be written."""


def font_path() -> Path:
    return Path(getattr(settings, "CJK_FONT", "") or DEFAULT_FONT)


def _register_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return FONT_NAME
    path = font_path()
    if not path.is_file():
        raise FontMissing(
            f"the CJK font {path} is missing: install Debian's fonts-wqy-microhei "
            "(apt-get install fonts-wqy-microhei) to write donation receipts"
        )
    options = {"subfontIndex": 0} if path.suffix.lower() == ".ttc" else {}
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), **options))
    return FONT_NAME


def receipt_pdf(donation: Donation) -> bytes:
    """One A5 page: number, date, donor, recipient, what was given, purpose. Chinese, as receipts are."""
    from reportlab.lib.pagesizes import A5, landscape
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    font = _register_font()
    buf = io.BytesIO()
    width, height = landscape(A5)
    pdf = canvas.Canvas(buf, pagesize=(width, height))
    pdf.setTitle(f"捐赠收据 {donation.receipt_no}")
    pdf.setAuthor("fangkong")
    pdf.setFont(font, 20)
    pdf.drawCentredString(width / 2, height - 22 * mm, "捐赠收据")
    pdf.setFont(font, 10)
    pdf.drawRightString(width - 15 * mm, height - 30 * mm, f"编号 No. {donation.receipt_no}")
    if donation.kind == Donation.Kind.MONEY:
        what = f"人民币 ¥{donation.amount:,.2f} 元"
    else:
        unit = donation.item.unit if donation.item else ""
        what = f"{donation.goods_label} {donation.quantity} {unit}".strip()
    lines = [
        ("捐赠日期", donation.day.isoformat()),
        ("捐赠方", donation.donor_label),
        ("受赠方", donation.recipient_label),
        ("捐赠内容", what),
        ("用途", donation.purpose or "疫情防控"),
        ("登记单位", f"{donation.unit.name}({donation.unit.code})"),
    ]
    y = height - 45 * mm
    for label, value in lines:
        pdf.setFont(font, 12)
        pdf.drawString(20 * mm, y, f"{label}:")
        pdf.drawString(50 * mm, y, str(value)[:60])
        y -= 10 * mm
    pdf.setFont(font, 9)
    printed = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    pdf.drawString(20 * mm, 15 * mm, f"感谢您对疫情防控工作的支持!  打印时间 {printed}")
    pdf.showPage()
    pdf.save()
    return buf.getvalue()
