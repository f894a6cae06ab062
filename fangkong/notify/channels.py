"""Sending one delivery: e-mail through Django's mail framework, robots through their webhook formats.

Robot formats (the vendors' documented group-robot APIs):
- WeCom:    {"msgtype": "markdown", "markdown": {"content": ...}}; answers {"errcode": 0}.
- DingTalk: {"msgtype": "markdown", "markdown": {"title": ..., "text": ...}}; with a secret the URL
            gets `timestamp` (ms) and `sign` = base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")).
- Feishu:   {"msg_type": "text", "content": {"text": ...}}; with a secret the body gets `timestamp`
            (s) and `sign` = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")); answers
            {"code": 0}.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from django.conf import settings
from django.core.mail import send_mail

from .models import Channel, Delivery

TIMEOUT_SECONDS = 5


class SendError(Exception):
    """The channel refused or could not be reached; the message says why (kept as last_error)."""


def absolute(link: str) -> str:
    """Links in mail and chat need the site's address (settings.FANGKONG_BASE_URL, if set)."""
    base = getattr(settings, "FANGKONG_BASE_URL", "")
    if link.startswith("/") and base:
        return base.rstrip("/") + link
    return link


def text_of(d: Delivery) -> str:
    link = absolute(d.link)
    return "\n\n".join(part for part in (d.subject, d.body, link) if part)


def markdown_of(d: Delivery) -> str:
    link = absolute(d.link)
    parts = [f"**{d.subject}**", d.body.replace("\n", "\n\n")]
    if link:
        parts.append(f"[{link}]({link})")
    return "\n\n".join(p for p in parts if p)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def payload(d: Delivery, secret: str = "", now: float | None = None) -> tuple[str, dict[str, Any]]:
    """The URL to post to and the JSON body for a robot delivery."""
    now = time.time() if now is None else now
    url = d.address
    if d.kind == Channel.Kind.WECOM:
        return url, {"msgtype": "markdown", "markdown": {"content": markdown_of(d)}}
    if d.kind == Channel.Kind.DINGTALK:
        body: dict[str, Any] = {
            "msgtype": "markdown",
            "markdown": {"title": d.subject, "text": markdown_of(d)},
        }
        if secret:
            ts = int(now * 1000)
            sep = "&" if "?" in url else "?"
            url = f"{url}{sep}timestamp={ts}&sign={urllib.parse.quote_plus(dingtalk_sign(secret, ts))}"
        return url, body
    if d.kind == Channel.Kind.FEISHU:
        body = {"msg_type": "text", "content": {"text": text_of(d)}}
        if secret:
            ts = int(now)
            body = {"timestamp": str(ts), "sign": feishu_sign(secret, ts), **body}
        return url, body
    raise SendError(f"not a robot channel: {d.kind}")


def post_json(url: str, body: dict[str, Any]) -> dict[str, Any]:
    if not url.startswith(("https://", "http://")):
        raise SendError("the webhook address must be http(s)")
    request = urllib.request.Request(  # noqa: S310 (http(s) checked above)
        url,
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (http(s) checked)
            raw = response.read(65536)
    except urllib.error.HTTPError as e:
        raise SendError(f"HTTP {e.code} {e.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as e:
        raise SendError(f"unreachable: {getattr(e, 'reason', e)}") from None
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _check_answer(answer: dict[str, Any]) -> None:
    # WeCom and DingTalk answer errcode, Feishu code (older hooks StatusCode); 0 is success.
    for field in ("errcode", "code", "StatusCode"):
        if field in answer and answer[field] not in (0, "0"):
            message = answer.get("errmsg") or answer.get("msg") or answer.get("StatusMessage") or ""
            raise SendError(f"refused: {field}={answer[field]} {message}".strip())


def send(d: Delivery) -> None:
    """Send one delivery or raise SendError."""
    if d.kind == Channel.Kind.EMAIL:
        try:
            send_mail(d.subject, text_of(d), None, [d.address], fail_silently=False)
        except Exception as e:  # noqa: BLE001 — SMTP errors come in many classes
            raise SendError(f"mail: {e}") from None
        return
    secret = d.channel.secret if d.channel is not None else ""
    url, body = payload(d, secret)
    _check_answer(post_json(url, body))
