"""Isolation table for the notifications and reminders routes.

See tests/test_isolation_routes.py, and ledger.py for an example. A message is its recipient's only:
the E1 sample is a digest in E1's grid leader's inbox; a channel belongs to its unit's admins.
"""

from __future__ import annotations

from typing import cast

from .common import Call, Sample

ABSENT = "00000000-0000-4000-8000-0000000000aa"


def _message(username: str, unit_code: str) -> str:
    from django.contrib.auth.models import User

    from fangkong.notify.api import notify
    from fangkong.notify.models import Message
    from fangkong.org.models import Unit

    key = f"walk:{username}"
    found = Message.objects.filter(key=key).first()
    if found is None:
        user = User.objects.get(username=username)
        notify(
            "test",
            [user],
            subject="2 people in 一车间 have not checked in",
            body="艾丽 A0001",
            unit=Unit.objects.get(code=unit_code),
            key=key,
        )
        found = Message.objects.get(key=key)
    return str(found.uid)


def _channel(unit_code: str) -> str:
    from fangkong.notify.models import Channel
    from fangkong.org.models import Unit

    unit = Unit.objects.get(code=unit_code)
    found = Channel.objects.filter(unit=unit, kind="wecom").first()
    if found is None:
        found = Channel.objects.create(
            unit=unit, kind="wecom", url=f"https://qyapi.weixin.qq.com/x?key={unit_code}"
        )
    return str(found.uid)


class _LazyMessage:
    absent = ABSENT

    @property
    def e1(self) -> str:
        return _message("e1_admin", "E1-G1")

    @property
    def own(self) -> str:
        return _message("outsider", "E2")


class _LazyChannel:
    absent = ABSENT

    @property
    def e1(self) -> str:
        return _channel("E1")

    @property
    def own(self) -> str:
        return _channel("E2")


PARAMS: dict[str, Sample] = {
    "message_uid": cast(Sample, _LazyMessage()),
    "channel_uid": cast(Sample, _LazyChannel()),
    "notify_job": Sample("checkins.remind_people", "checkins.remind_people", "checkins.remind_people"),
}

PAGES: dict[str, Call] = {
    "notify_inbox": Call(kind="own"),
    "notify_read_all": Call("POST", kind="own"),
    "notify_message": Call(),
    "notify_message_read": Call("POST"),
    "notify_channels": Call(),
    "notify_channel_add": Call("POST", {"kind": "wecom", "url": "https://qyapi.weixin.qq.com/hook"}),
    "notify_channel_off": Call("POST"),
    "notify_schedules": Call(),
    "notify_schedule_set": Call("POST", {"job": "checkins.remind_people", "at": "07:45"}),
    "notify_deliveries": Call(),
}

API: dict[tuple[str, str], Call] = {
    ("GET", "/api/v1/notify/messages"): Call("GET", {"unit": "{code}"}),
    ("POST", "/api/v1/notify/messages/read-all"): Call("POST", {"unit": "{code}"}),
    ("GET", "/api/v1/notify/messages/{message_uid}"): Call(),
    ("POST", "/api/v1/notify/messages/{message_uid}/read"): Call("POST"),
    ("GET", "/api/v1/units/{code}/channels"): Call(),
    ("POST", "/api/v1/units/{code}/channels"): Call(
        "POST", {"kind": "wecom", "url": "https://qyapi.weixin.qq.com/h"}
    ),
    ("POST", "/api/v1/notify/channels/{channel_uid}/deactivate"): Call("POST"),
    ("GET", "/api/v1/units/{code}/reminder-times"): Call(),
    ("PUT", "/api/v1/units/{code}/reminder-times/{notify_job}"): Call("PUT", {"at": "07:45"}),
    ("GET", "/api/v1/units/{code}/deliveries"): Call(),
}
