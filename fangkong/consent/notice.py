"""The privacy notice shipped as version 1 (created on first use, so a fresh install has one)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from fangkong.org.models import Person

from . import gate
from .models import Acceptance, Basis, Notice

DEFAULT_ZH = """\
防控系统个人信息处理告知书（第1版）

为做好疫情防控和复工复产，本单位通过本系统处理您的以下个人信息：姓名、工号、所在单位、每日体温、症状、所在位置、
14天内到访地区、与确诊或疑似病例的接触情况。其中健康信息和行踪信息属于敏感个人信息。

处理目的：每日健康打卡、异常人员跟踪和逐一销号、按单位统计。处理方式：您本人、网格员代填、测温终端或导入。
保存期限：打卡和行踪信息默认保存90天，到期删除或匿名化，仅保留不含个人信息的统计数字。
查看范围：网格员只看到“异常、由谁跟踪”，健康详情仅限本企业防控专员和追踪责任人；集团只看统计数字。

您可以随时在打卡页面撤回同意。撤回后，在以同意为处理依据期间，系统不再接收和处理您的打卡。
撤回不影响撤回前基于同意已进行的处理。如有疑问请联系本企业防控专员。"""

DEFAULT_EN = """\
Privacy notice of the prevention system (version 1)

For epidemic prevention and the return to work, your employer processes the following personal
information in this system: name, employee number, unit, daily temperature, symptoms, current
location, places visited in the last 14 days, and contact with confirmed or suspected cases. Health
data and whereabouts are sensitive personal information.

Purpose: the daily health check-in, following up abnormal cases one by one, counts per unit. Means:
entered by you, by your grid leader on your behalf, by a thermometer device, or imported.
Retention: check-ins and whereabouts are kept 90 days by default, then deleted or anonymised; only
counts without personal data are kept. Who sees what: your grid leader sees "abnormal, followed by
X"; health detail is for your enterprise's prevention officer and the case's tracker; the group
sees counts only.

You may withdraw your consent at any time on the check-in page. While consent is the basis of
processing, no check-in of yours is received or processed after a withdrawal. Withdrawal does not
affect processing done before it. Questions: your enterprise's prevention officer."""


def current_notice() -> Notice:
    """The notice in force (the highest version); version 1 is created with the shipped text if none."""
    notice = Notice.objects.order_by("-version").first()
    if notice is not None:
        return notice
    try:
        with transaction.atomic():
            return Notice.objects.create(
                version=1,
                text_zh=DEFAULT_ZH,
                text_en=DEFAULT_EN,
                published_at=timezone.now(),
                published_by="system",
            )
    except IntegrityError:  # another process created it first
        return Notice.objects.get(version=1)


@dataclass(frozen=True)
class Prompt:
    """What the check-in page shows a person about the notice."""

    notice: Notice
    basis: str
    blocking: bool  # consent basis and no standing acceptance: no check-in form until accepted
    renewal: bool  # an earlier version stands: asked to accept the new one, may still check in
    withdrawn: bool  # the person withdrew and has not accepted again


def prompt_for(person: Person) -> Prompt | None:
    """The notice to show the person on the check-in page, or None.

    Under consent: until the person's standing acceptance is of the current version. Under another
    basis the notice is informational and shown once per version (any row of it, even withdrawn).
    """
    notice = current_notice()
    basis = gate.current_basis()
    rows = list(
        Acceptance.objects.filter(person=person).values_list("notice_id", "withdrawn_at", "consented")
    )
    standing = {n for n, withdrawn, consented in rows if withdrawn is None and consented}
    if notice.pk in standing:
        return None
    if basis != Basis.CONSENT and any(n == notice.pk for n, _, _ in rows):
        return None
    return Prompt(
        notice=notice,
        basis=basis,
        blocking=basis == Basis.CONSENT and not standing,
        renewal=bool(standing),
        withdrawn=not standing and any(withdrawn is not None for _, withdrawn, _ in rows),
    )
