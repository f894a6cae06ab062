"""Incidents: the late flag in the enterprise's zone, serious ones notifying three levels, follow-up
items, the summary and monthly counts, and the one-query "clean month" across enterprises."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fangkong.ledger.models import Item, Kind
from fangkong.notify.models import Message
from fangkong.org.actions import ActionError
from fangkong.org.models import Unit
from fangkong.safety import actions, queries
from fangkong.safety.models import Incident, IncidentKind
from tests.factories import unit

LA = "America/Los_Angeles"


def _wall(tz: str, delta: timedelta) -> str:
    """A datetime-local value: the wall-clock time in `tz`, `delta` from now (as a phone form sends)."""
    return (timezone.now().astimezone(ZoneInfo(tz)) + delta).strftime("%Y-%m-%dT%H:%M:%S")


def _report(actor, where: Unit, kind: str, occurred_at) -> Incident:
    return actions.report_incident(
        actor,
        unit=where,
        kind=kind,
        occurred_at=occurred_at,
        place="一号车间",
        description="经过",
        people_affected=1,
    )


@pytest.fixture
def overseas(w) -> Unit:
    """An enterprise 15-16 hours behind the server's Asia/Shanghai."""
    return unit("E9", Unit.Kind.ENTERPRISE, w.segment, name="洛杉矶项目公司", tz=LA)


# --- late flag -------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "minutes", "late"),
    [
        (IncidentKind.INJURY_SERIOUS, 59, False),  # default for serious: 60 minutes
        (IncidentKind.INJURY_SERIOUS, 61, True),
        (IncidentKind.ENV_IV, 61, True),
        (IncidentKind.INJURY_MINOR, 24 * 60 - 1, False),  # otherwise: 24 hours
        (IncidentKind.INJURY_MINOR, 24 * 60 + 1, True),
    ],
)
def test_late_flag_just_inside_and_just_outside_in_the_enterprises_zone(w, overseas, kind, minutes, late):
    incident = _report(w.group_admin, overseas, kind, _wall(LA, -timedelta(minutes=minutes)))
    assert incident.late is late
    # the wall-clock time was read in Los Angeles, not in the server's zone
    assert abs(incident.reported_at - incident.occurred_at - timedelta(minutes=minutes)) < timedelta(
        seconds=5
    )
    assert incident.occurred_on == incident.occurred_at.astimezone(ZoneInfo(LA)).date()


@pytest.mark.django_db
def test_the_limits_are_configured_per_group_and_kept_on_the_incident(w):
    actions.set_report_limits(w.group_admin, w.group, serious_minutes=30, other_minutes=120)
    inside = _report(
        w.enterprise_admin, w.grid1, IncidentKind.INJURY_FATAL, _wall("Asia/Shanghai", -timedelta(minutes=29))
    )
    outside = _report(
        w.enterprise_admin, w.grid1, IncidentKind.INJURY_FATAL, _wall("Asia/Shanghai", -timedelta(minutes=31))
    )
    minor = _report(
        w.enterprise_admin, w.e1, IncidentKind.FIRE, _wall("Asia/Shanghai", -timedelta(minutes=121))
    )
    assert (inside.late, outside.late, minor.late) == (False, True, True)
    assert (inside.limit_minutes, minor.limit_minutes) == (30, 120)
    actions.set_report_limits(w.group_admin, w.group, serious_minutes=600, other_minutes=1440)
    outside.refresh_from_db()
    assert outside.late and outside.limit_minutes == 30  # a later change never rewrites history


@pytest.mark.django_db
def test_an_enterprise_admin_reports_late_through_the_page_in_its_zone(w, overseas):
    from fangkong.org.actions import grant_role

    grant_role("test", w.outsider, "enterprise_admin", overseas)
    client = Client()
    client.force_login(w.outsider)
    form = {
        "unit": "E9",
        "kind": "injury_serious",
        "place": "码头",
        "description": "吊装时被砸伤",
        "people_affected": "1",
    }
    response = client.post(
        reverse("safety_incident_new"), {**form, "occurred_at": _wall(LA, -timedelta(minutes=90))}
    )
    assert response.status_code == 303
    incident = Incident.objects.get()
    assert incident.late and incident.serious
    page = client.get(response["Location"])
    assert "late-flag" in page.content.decode()


@pytest.mark.django_db
def test_bad_reports_are_refused_naming_the_field(w):
    for kwargs, field in (
        ({"kind": "explosion"}, "kind"),
        ({"occurred_at": _wall("Asia/Shanghai", timedelta(hours=1))}, "occurred_at"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"place": " "}, "place"),
        ({"people_affected": "-1"}, "people_affected"),
        ({"unit": w.segment}, "unit"),
    ):
        args = {
            "unit": w.e1,
            "kind": "injury_minor",
            "occurred_at": _wall("Asia/Shanghai", -timedelta(minutes=5)),
            "place": "仓库",
            "description": "经过",
            **kwargs,
        }
        with pytest.raises(ActionError) as err:
            actions.report_incident(w.enterprise_admin, **args)
        assert err.value.field == field
    client = Client()
    client.force_login(w.enterprise_admin)
    response = client.post(
        reverse("safety_incident_new"), {"unit": "E1", "kind": "fire", "place": "x", "description": "y"}
    )
    assert response.status_code == 400 and 'id="form-error"' in response.content.decode()
    assert not Incident.objects.exists()


# --- serious: three levels notified, investigation item ---------------------------------------------


@pytest.mark.django_db(transaction=False)
def test_a_serious_incident_notifies_the_enterprise_segment_and_group_at_once(w):
    incident = _report(
        w.grid_leader, w.grid1, IncidentKind.ENV_III, _wall("Asia/Shanghai", -timedelta(minutes=10))
    )
    told = set(Message.objects.values_list("user__username", flat=True))
    assert told == {"e1_admin", "segment_admin", "group_admin"}
    message = Message.objects.get(user=w.group_admin)
    assert "第一企业" in message.subject and message.link == reverse("safety_incident", args=[incident.uid])
    item = Item.objects.get(kind=Kind.INCIDENT)
    assert item.key.startswith(incident.ledger_prefix)
    assert item.owner == w.enterprise_admin and item.unit == w.grid1
    assert item.due_at > timezone.now() + timedelta(days=6)


@pytest.mark.django_db
def test_a_minor_incident_notifies_nobody_and_opens_no_item(w):
    _report(
        w.enterprise_admin, w.e1, IncidentKind.INJURY_MINOR, _wall("Asia/Shanghai", -timedelta(minutes=10))
    )
    assert not Message.objects.exists()
    assert not Item.objects.filter(kind=Kind.INCIDENT).exists()


@pytest.mark.django_db
def test_corrective_actions_are_ledger_items_with_owner_and_due_date(w):
    incident = _report(
        w.enterprise_admin, w.grid1, IncidentKind.FIRE, _wall("Asia/Shanghai", -timedelta(minutes=10))
    )
    client = Client()
    client.force_login(w.enterprise_admin)
    url = reverse("safety_incident_follow_up", args=[incident.uid])
    due = _wall("Asia/Shanghai", timedelta(days=3))[:16]
    response = client.post(
        url, {"what": "corrective", "title": "更换老化线路", "owner": "tracker", "due_at": due}
    )
    assert response.status_code == 303
    item = Item.objects.get(kind=Kind.INCIDENT)
    assert (item.owner, item.title, item.detail["what"]) == (w.tracker, "更换老化线路", "corrective")
    assert item.due_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M") == due
    assert "更换老化线路" in client.get(reverse("safety_incident", args=[incident.uid])).content.decode()
    # the grid's leader reads the incident but does not open items on it
    leader = Client()
    leader.force_login(w.grid_leader)
    assert leader.post(url, {"what": "corrective", "title": "x", "due_at": due}).status_code == 403
    # the outsider: 404 like an absent incident
    outsider = Client()
    outsider.force_login(w.outsider)
    assert outsider.get(reverse("safety_incident", args=[incident.uid])).status_code == 404


# --- figures ---------------------------------------------------------------------------------------


@pytest.fixture
def frozen(monkeypatch):
    """Set "now" (the server's clock) for reports dated in the past."""

    def at(instant: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: instant)

    return at


def _at(frozen, user, where, kind, local: str, tz: str = "Asia/Shanghai") -> Incident:
    """Report, one minute after it happened, an incident at local time `local` in zone `tz`."""
    occurred = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(tz))
    frozen(occurred.astimezone(UTC) + timedelta(minutes=1))
    return _report(user, where, kind, local)


@pytest.mark.django_db
def test_february_clean_across_the_enterprises_is_one_query(w, frozen, django_assert_num_queries):
    segment2 = unit("S2", Unit.Kind.SEGMENT, w.group)
    many = [unit(f"X{i:03d}", Unit.Kind.ENTERPRISE, segment2) for i in range(40)]
    la = unit("E9", Unit.Kind.ENTERPRISE, segment2, tz=LA)
    admin = w.group_admin
    # minor injuries and fires do not spoil the month; neither do serious ones just outside it
    _at(frozen, admin, w.e1, IncidentKind.INJURY_MINOR, "2026-02-10T09:00")
    _at(frozen, admin, many[3], IncidentKind.FIRE, "2026-02-11T09:00")
    _at(frozen, admin, w.e2, IncidentKind.INJURY_SERIOUS, "2026-01-31T23:50")
    _at(frozen, admin, many[4], IncidentKind.ENV_IV, "2026-03-01T00:10")  # Feb 28 16:10 UTC: March there
    _at(frozen, admin, la, IncidentKind.ENV_II, "2026-01-31T20:00", tz=LA)  # Feb 1 in Shanghai: January in LA
    with django_assert_num_queries(1):
        february = queries.serious_free_month(w.group, 2026, 2)
    assert february == {"enterprises": 43, "with_serious_injury": 0, "with_environmental": 0, "clean": True}

    _at(frozen, admin, w.grid2, IncidentKind.INJURY_FATAL, "2026-02-28T23:59")
    _at(frozen, admin, la, IncidentKind.ENV_IV, "2026-02-01T00:30", tz=LA)
    _at(frozen, admin, la, IncidentKind.ENV_III, "2026-02-02T00:30", tz=LA)  # same enterprise: counted once
    february = queries.serious_free_month(w.group, 2026, 2)
    assert february == {"enterprises": 43, "with_serious_injury": 1, "with_environmental": 1, "clean": False}
    assert queries.serious_free_month(w.segment, 2026, 2)["with_environmental"] == 0  # E9 is under S2
    assert queries.serious_free_month(segment2, 2026, 2)["with_serious_injury"] == 0


@pytest.mark.django_db
def test_summary_days_without_a_serious_incident_and_monthly_counts(w, frozen):
    from datetime import date

    assert queries.incident_summary(w.group, date(2026, 3, 31)) == {
        "incidents_30d": 0,
        "serious_30d": 0,
        "days_without_serious": None,
        "last_serious": None,
    }
    _at(frozen, w.group_admin, w.grid1, IncidentKind.INJURY_SERIOUS, "2026-03-01T10:00")
    _at(frozen, w.group_admin, w.grid1, IncidentKind.INJURY_MINOR, "2026-03-20T10:00")
    _at(frozen, w.group_admin, w.e2, IncidentKind.INJURY_MINOR, "2026-02-20T10:00")
    _at(frozen, w.group_admin, w.e2, IncidentKind.ENV_IV, "2026-04-02T10:00")  # after the day asked: ignored
    s = queries.incident_summary(w.e1, date(2026, 3, 31))
    assert (s["incidents_30d"], s["serious_30d"], s["days_without_serious"]) == (1, 0, 30)
    s = queries.incident_summary(w.group, date(2026, 3, 20))
    assert (s["incidents_30d"], s["serious_30d"], s["days_without_serious"]) == (3, 1, 19)
    assert queries.incident_summary(w.e2, date(2026, 3, 20))["days_without_serious"] is None
    march = queries.monthly(w.group, 2026, 3)
    assert set(march) == set(IncidentKind.values)
    assert (march["injury_serious"], march["injury_minor"], march["env_4"]) == (1, 1, 0)
    assert queries.monthly(w.e2, 2026, 2)["injury_minor"] == 1

    client = Client()
    client.force_login(w.segment_admin)
    page = client.get(reverse("safety_summary"), {"unit": "E1", "month": "2026-03"}).content.decode()
    assert 'id="days-without-serious"' in page


@pytest.mark.django_db
def test_summaries_of_children_and_of_many_days_equal_each_days_summary(w, frozen, django_assert_num_queries):
    """The board's rows (every child in one read) and its trend (every day in one read) give what
    `incident_summary` gives for that child or day: recent incidents, serious ones long before, and
    incidents after the day asked."""
    from datetime import date

    e3 = unit("E3", Unit.Kind.ENTERPRISE, w.segment)
    admin = w.group_admin
    _at(frozen, admin, w.grid1, IncidentKind.INJURY_SERIOUS, "2025-11-01T10:00")  # "days since" only
    _at(frozen, admin, w.grid1, IncidentKind.INJURY_MINOR, "2026-02-25T10:00")
    _at(frozen, admin, w.e2, IncidentKind.INJURY_SERIOUS, "2026-03-01T10:00")
    _at(frozen, admin, w.e2, IncidentKind.FIRE, "2026-03-10T23:30")
    _at(frozen, admin, w.e1, IncidentKind.ENV_IV, "2026-03-20T08:00")
    _at(frozen, admin, e3, IncidentKind.INJURY_MINOR, "2026-04-02T10:00")  # after every day asked
    days = [date(2026, 2, 20) + timedelta(days=n) for n in range(40)]
    children = [w.e1, w.e2, e3]
    with django_assert_num_queries(1):
        rows = queries.incident_summaries(w.segment, children, date(2026, 3, 20))
    assert rows == {
        w.segment.pk: queries.incident_summary(w.segment, date(2026, 3, 20)),
        **{c.pk: queries.incident_summary(c, date(2026, 3, 20)) for c in children},
    }
    assert rows[w.e2.pk]["days_without_serious"] == 19 and rows[e3.pk]["incidents_30d"] == 0
    with django_assert_num_queries(1):
        over = queries.incident_summary_over(w.segment, days)
    assert over == {d: queries.incident_summary(w.segment, d) for d in days}
    assert over[date(2026, 2, 20)]["days_without_serious"] == 111  # since 2025-11-01, in grid 1
    assert over[date(2026, 3, 20)]["incidents_30d"] == 4
