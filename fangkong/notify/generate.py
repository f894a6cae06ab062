"""Demo history: 30 days of reminder runs, robots on some enterprises and what was posted to them.

Sized by units, not people: three check-in runs per enterprise and day; a WeCom / DingTalk / Feishu
robot on about one enterprise in eight (switched off, on a reserved .invalid domain) with its daily
digests (mostly sent, some after a retry, a few failed); e-mail switched on for the whole group.
Inbox messages need users, which the demo creates after the history: the first `fangkong tick`
fills the inboxes.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime, time, timedelta

from fangkong.lib.dates import local_time
from fangkong.org.generate import HistoryContext, register_history
from fangkong.org.models import Unit

from .models import Channel, Delivery, Run

JOBS = (
    ("checkins.remind_people", time(8, 30)),
    ("checkins.tell_grid_leaders", time(10, 0)),
    ("checkins.tell_enterprise_admin", time(11, 0)),
)
ROBOTS = (
    (
        Channel.Kind.WECOM,
        "https://wecom.demo.invalid/cgi-bin/webhook/send?key={code}",
        "企业微信防疫群",
    ),
    (Channel.Kind.DINGTALK, "https://dingtalk.demo.invalid/robot/send?access_token={code}", "钉钉防疫群"),
    (Channel.Kind.FEISHU, "https://feishu.demo.invalid/open-apis/bot/v2/hook/{code}", "飞书防疫群"),
)
ERRORS = (
    "HTTP 500 Internal Server Error",
    "unreachable: timed out",
    "refused: errcode=310000 sign not match",
)


@register_history
def notify_history(rng: random.Random, days: int, ctx: HistoryContext) -> Mapping[str, int]:
    enterprises = list(
        Unit.objects.filter(path__startswith=ctx.group.path, kind=Unit.Kind.ENTERPRISE, active=True).order_by(
            "path"
        )
    )
    Channel.objects.create(unit=ctx.group, kind=Channel.Kind.EMAIL, name="集团邮件")
    channels = []
    for e in enterprises:
        if rng.random() < 0.125:
            kind, url, name = rng.choice(ROBOTS)
            # Switched off and on a reserved domain: a demo never posts to a real vendor's robot.
            channels.append(Channel(unit=e, kind=kind, url=url.format(code=e.code), name=name, active=False))
    Channel.objects.bulk_create(channels)
    robot_of = {
        c.unit_id: c for c in Channel.objects.filter(unit__in=enterprises).exclude(kind=Channel.Kind.EMAIL)
    }
    runs: list[Run] = []
    deliveries: list[Delivery] = []
    for offset in range(days - 1, -1, -1):
        day = ctx.today - timedelta(days=offset)
        for e in enterprises:
            for job, at in JOBS:
                due = local_time(e.timezone, day, at)
                if offset == 0 and due > ctx.now:
                    continue
                sent = rng.randrange(0, 40) if job == "checkins.remind_people" else rng.randrange(0, 6)
                runs.append(
                    Run(
                        key=f"{job}:{e.code}:{day.isoformat()}",
                        job=job,
                        unit=e,
                        day=day,
                        due_at=due,
                        claimed_at=due,
                        finished_at=due + timedelta(seconds=rng.randrange(1, 20)),
                        state=Run.State.DONE,
                        sent=sent,
                    )
                )
                robot = robot_of.get(e.pk)
                if robot is None or job != "checkins.tell_enterprise_admin" or not sent:
                    continue
                deliveries.append(_delivery(rng, robot, e, day, due, sent))
    Run.objects.bulk_create(runs, batch_size=2000)
    Delivery.objects.bulk_create(deliveries, batch_size=2000)
    return {"notify_run": len(runs), "notify_channel": len(channels) + 1, "notify_delivery": len(deliveries)}


def _delivery(rng: random.Random, robot: Channel, e: Unit, day, due: datetime, missing: int) -> Delivery:
    roll = rng.random()
    attempts, state, error = 1, Delivery.State.SENT, ""
    if roll < 0.03:
        attempts, state, error = 5, Delivery.State.FAILED, rng.choice(ERRORS)
    elif roll < 0.12:
        attempts = 2
    queued = due + timedelta(seconds=rng.randrange(1, 30))
    return Delivery(
        channel=robot,
        kind=robot.kind,
        unit=e,
        address=robot.url,
        subject=f"{e.name}：{missing} 人未打卡",
        body=f"{e.name} {day.isoformat()} 仍有 {missing} 人未完成健康打卡，请各网格跟进。",
        link=f"/units/{e.code}/missing/?date={day.isoformat()}",
        state=state,
        attempts=attempts,
        next_attempt_at=queued + timedelta(minutes=attempts - 1),
        last_error=error,
        created_at=queued,
        sent_at=queued + timedelta(minutes=attempts - 1, seconds=1) if state == Delivery.State.SENT else None,
    )
