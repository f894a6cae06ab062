"""A small, safe Markdown subset for news posts (no Markdown library is installed yet).

Every character of the source is HTML-escaped first; only the markup below is then produced, so no
HTML, script, style or event handler written by an author can reach the page:
headings (#, ##, ###), paragraphs, line breaks, unordered (- or *) and ordered (1.) lists, block
quotes (>), **bold**, *italic*, `code`, and [links](https://…) to http(s), mailto or site-relative
addresses only (rel="nofollow noopener"). Anything else shows as the text it is.
"""

from __future__ import annotations

import re
from html import escape

from django.utils.safestring import SafeString, mark_safe

_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*#*$")
_UL = re.compile(r"^[-*]\s+(.*)$")
_OL = re.compile(r"^\d{1,3}[.)]\s+(.*)$")
_QUOTE = re.compile(r"^&gt;\s?(.*)$")
_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\*\w])\*(?!\s)(.+?)(?<!\s)\*(?!\*)")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_SAFE_URL = re.compile(r"^(https?://|mailto:|/(?!/))", re.IGNORECASE)


def _link(match: re.Match) -> str:
    text, url = match.group(1), match.group(2)
    if not _SAFE_URL.match(url):
        return match.group(0)
    return f'<a href="{url}" rel="nofollow noopener">{text}</a>'


def _inline(text: str) -> str:
    """Inline markup on already-escaped text (code spans are protected from the rest)."""
    codes: list[str] = []

    def keep(m: re.Match) -> str:
        codes.append(f"<code>{m.group(1)}</code>")
        return f"\x00{len(codes) - 1}\x00"

    text = _CODE.sub(keep, text)
    text = _LINK.sub(_link, text)
    text = _BOLD.sub(r"<strong>\1</strong>", text)
    text = _ITALIC.sub(r"<em>\1</em>", text)
    return re.sub(r"\x00(\d+)\x00", lambda m: codes[int(m.group(1))], text)


def render(source: str) -> SafeString:
    lines = escape(source.replace("\r\n", "\n").replace("\r", "\n"), quote=True).split("\n")
    out: list[str] = []
    para: list[str] = []
    items: list[str] = []
    list_tag = ""
    quote: list[str] = []

    def flush() -> None:
        nonlocal list_tag
        if para:
            out.append("<p>" + "<br>".join(_inline(p) for p in para) + "</p>")
            para.clear()
        if items:
            out.append(f"<{list_tag}>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + f"</{list_tag}>")
            items.clear()
            list_tag = ""
        if quote:
            out.append("<blockquote><p>" + "<br>".join(_inline(q) for q in quote) + "</p></blockquote>")
            quote.clear()

    for raw in lines:
        line = raw.strip()
        if not line:
            flush()
            continue
        if m := _HEADING.match(line):
            flush()
            level = len(m.group(1)) + 1  # the page's own title is the h1
            out.append(f"<h{level}>{_inline(m.group(2))}</h{level}>")
            continue
        ul, ol, q = _UL.match(line), _OL.match(line), _QUOTE.match(line)
        if ul or ol:
            tag = "ul" if ul else "ol"
            if para or quote or (items and list_tag != tag):
                flush()
            list_tag = tag
            items.append((ul or ol).group(1))  # type: ignore[union-attr]
            continue
        if q:
            if para or items:
                flush()
            quote.append(q.group(1))
            continue
        if items or quote:
            flush()
        para.append(line)
    flush()
    return mark_safe("\n".join(out))  # noqa: S308  (built from escaped text, see the module docstring)


def excerpt(source: str, length: int = 80) -> str:
    """Plain text of the first lines, for list cards (escaped by the template as usual)."""
    text = re.sub(r"[#>*`\[\]]|\(https?://[^)]*\)", "", source)
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"
