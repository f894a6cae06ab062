"""The read-only retention page: the leading group's admins and data-protection officers only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from fangkong.org.models import Role
from fangkong.retention.purge import run
from tests import factories

from .helpers import CHECKIN_CUTOFF, TODAY, checkin

pytestmark = pytest.mark.django_db


def _get(user) -> object:
    client = Client()
    client.force_login(user)
    return client.get("/retention/", HTTP_ACCEPT_LANGUAGE="en")


def test_the_group_admin_sees_the_periods_and_the_last_runs(w):
    checkin(w.alice, CHECKIN_CUTOFF - timedelta(days=1))
    run(today=TODAY)

    response = _get(w.group_admin)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-class="checkins"><td>' in page and '<td class="num">90</td>' in page
    assert 'data-class="audit"' in page and "never purged" in page
    assert "No run yet." not in page and '<td class="num">1</td>' in page


def test_a_data_protection_officer_of_the_group_sees_it(w):
    dpo = factories.user("dpo", Role.DATA_PROTECTION, w.group)
    assert _get(dpo).status_code == 200


@pytest.mark.parametrize("who", ["enterprise_admin", "segment_admin", "outsider", "employee"])
def test_nobody_else_does(w, who):
    assert _get(getattr(w, who)).status_code == 404


def test_the_page_speaks_chinese(w):
    client = Client()
    client.force_login(w.group_admin)
    page = client.get("/retention/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "个人信息保存期限" in page and "从不清理" in page
