"""Proxy entry: a grid leader (or an admin above it) enters the day's check-ins for people without a
phone, missing people first, one small form per person; and hands out personal links."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.middleware import HtmxDetails

from fangkong.lib.dates import business_day, zone
from fangkong.org import access
from fangkong.org.actions import ActionError
from fangkong.org.models import Person, Role, Unit
from fangkong.org.roster import placements_on

from .. import actions
from ..models import Card, CheckIn, Exemption, PersonalLink, Source
from ..rollup import exempt_people, reported_people
from .h5 import parse_temperature

# Who may hand out and revoke personal links: the people who know the employee.
LINK_ROLES = frozenset({Role.ENTERPRISE_ADMIN, Role.GRID_LEADER})
PAGE_SIZE = 100
# The symptom code the "has symptoms" toggle records; the details follow in the ledger item.
QUICK_SYMPTOM = "other"

MISSING, EXEMPT, CHECKED = "missing", "exempt", "checked"
CARD_LABEL: dict[str, Any] = {
    Card.GREEN: gettext_lazy("green card"),
    Card.YELLOW: gettext_lazy("yellow card"),
    Card.RED: gettext_lazy("red card"),
}


def card_text(card: str) -> str:
    return str(CARD_LABEL.get(card, card))


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@dataclass
class Row:
    person: Person
    state: str
    checkin: CheckIn | None = None
    exemption: Exemption | None = None
    time: str = ""
    can_link: bool = False
    has_link: bool = False
    values: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    message: str = ""
    after: str = ""  # "next": focus the next missing row once swapped in; "self": this one

    @property
    def card_text(self) -> str:
        return card_text(self.checkin.card) if self.checkin else ""


def today_of(unit: Unit) -> date:
    """The business day of the unit's enterprise (a group or segment uses its own zone)."""
    return business_day((unit.enterprise or unit).timezone)


def ancestors(request: HttpRequest, unit: Unit) -> QuerySet[Unit]:
    return access.visible_ancestors(request.user, unit, access.PROXY_ROLES)


def expected_people(request: HttpRequest, unit: Unit, day: date) -> QuerySet[Person]:
    """The people expected in the unit's subtree that day, missing first, then exempt, then reported."""
    expected = placements_on(unit.subtree(), day).values("person_id")
    reported = reported_people(day).filter(person=OuterRef("pk"))
    exempt = exempt_people(day).filter(person=OuterRef("pk"))
    return (
        access.visible_people(request.user, within=unit)
        .filter(pk__in=expected)
        .annotate(
            rank=Case(
                When(Exists(reported), then=Value(2)),
                When(Exists(exempt), then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            )
        )
        .select_related("unit", "enterprise")
        .order_by("rank", "unit__path", "employee_no")
    )


def person_in(request: HttpRequest, unit: Unit, employee_no: str) -> Person:
    person = (
        access.visible_people(request.user, within=unit)
        .select_related("unit", "enterprise")
        .filter(employee_no=employee_no)
        .first()
    )
    if person is None:
        raise Http404("No such person")
    return person


def build_rows(request: HttpRequest, people: list[Person], day: date) -> list[Row]:
    ids = [p.pk for p in people]
    checkins = {c.person_id: c for c in reported_people(day).filter(person_id__in=ids)}
    exemptions: dict[int, Exemption] = {}
    for ex in exempt_people(day).filter(person_id__in=ids).order_by("-start"):
        exemptions.setdefault(ex.person_id, ex)
    links = set(
        PersonalLink.objects.filter(person_id__in=ids, revoked_at__isnull=True).values_list(
            "person_id", flat=True
        )
    )
    link_units = set(
        access.visible_units(request.user, LINK_ROLES)
        .filter(pk__in={p.unit_id for p in people})
        .values_list("pk", flat=True)
    )
    rows = []
    for p in people:
        checkin = checkins.get(p.pk)
        state = CHECKED if checkin else (EXEMPT if p.pk in exemptions else MISSING)
        time = (
            checkin.captured_at.astimezone(zone(p.enterprise.timezone)).strftime("%H:%M") if checkin else ""
        )
        rows.append(
            Row(
                person=p,
                state=state,
                checkin=checkin,
                exemption=exemptions.get(p.pk),
                time=time,
                can_link=p.unit_id in link_units,
                has_link=p.pk in links,
                values={"id": str(uuid.uuid4()), "temperature": "", "symptoms": False},
            )
        )
    return rows


def _page_context(request: HttpRequest, unit: Unit) -> dict[str, Any]:
    day = today_of(unit)
    people = expected_people(request, unit, day)
    ranks = people.order_by().values("rank").annotate(n=Count("pk"))  # type: ignore[misc]  # an annotation
    counts = {r["rank"]: r["n"] for r in ranks}
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "unit": unit,
        "day": day,
        "ancestors": ancestors(request, unit),
        "page": page,
        "rows": build_rows(request, list(page.object_list), day),
        "counts": {MISSING: counts.get(0, 0), EXEMPT: counts.get(1, 0), CHECKED: counts.get(2, 0)},
        "can_exempt": access.has_role(request.user, LINK_ROLES, unit),
    }


@require_GET
@never_cache
@login_required
def proxy_entry(request: HttpRequest, code: str) -> HttpResponse:
    unit = access.unit_for_user(request.user, code, access.PROXY_ROLES)
    return render(request, "checkins/proxy.html", _page_context(request, unit))


def _one(request: HttpRequest, unit: Unit, row: Row, *, status: int = 200, url: str = "") -> HttpResponse:
    """One person's row: swapped in by htmx, or on a page of its own without JavaScript."""
    context = {"unit": unit, "row": row, "url": url}
    if getattr(request, "htmx", False):
        return render(request, "checkins/_proxy_row.html", context, status=status)
    context["ancestors"] = ancestors(request, unit)
    return render(request, "checkins/proxy_person.html", context, status=status)


def _row_data(values: dict[str, Any]) -> tuple[actions.CheckinData | None, str]:
    try:
        checkin_id = uuid.UUID(values["id"])
    except ValueError:
        values["id"] = str(uuid.uuid4())
        return None, _("The form was out of date; enter the temperature again.")
    if not values["temperature"]:
        return None, _("Enter the temperature.")
    try:
        temperature = parse_temperature(values["temperature"])
    except ValueError as exc:
        return None, str(exc)
    symptoms = [QUICK_SYMPTOM] if values["symptoms"] else []
    return actions.CheckinData(id=checkin_id, temperature=temperature, symptoms=symptoms), ""


@require_POST
@never_cache
@login_required
def proxy_checkin(request: HtmxHttpRequest, code: str, employee_no: str) -> HttpResponse:
    unit = access.unit_for_user(request.user, code, access.PROXY_ROLES)
    person = person_in(request, unit, employee_no)
    values = {
        "id": request.POST.get("id", "").strip(),
        "temperature": request.POST.get("temperature", "").strip(),
        "symptoms": request.POST.get("symptoms") == "yes",
    }
    data, error = _row_data(values)
    status = 422
    if data is not None:
        try:
            checkin, created = actions.submit_checkin(request.user, person, data, source=Source.PROXY)
        except actions.CheckinConflict:
            values["id"] = str(uuid.uuid4())
            error, status = _("Already saved with other values; check them and save again."), 409
        except ActionError as exc:
            error = f"{exc.field}: {exc}" if exc.field and exc.field != "temperature" else str(exc)
        else:
            if not request.htmx:
                return HttpResponseRedirect(
                    reverse("proxy_entry", args=[unit.code]) + f"#row-{person.employee_no}", status=303
                )
            row = build_rows(request, [person], today_of(unit))[0]
            row.message = _("Saved: %(card)s.") % {"card": card_text(checkin.card)}
            if not created:
                row.message = _("Already saved: %(card)s.") % {"card": card_text(checkin.card)}
            row.after = "next"
            return _one(request, unit, row)
    row = build_rows(request, [person], today_of(unit))[0]
    row.values, row.error, row.after = values, error, "self"
    return _one(request, unit, row, status=status)


def _link_response(
    request: HtmxHttpRequest, unit: Unit, person: Person, *, url: str, message: str
) -> HttpResponse:
    row = build_rows(request, [person], today_of(unit))[0]
    row.message = message
    if request.htmx:
        return render(request, "checkins/_proxy_link.html", {"unit": unit, "row": row, "url": url})
    return _one(request, unit, row, url=url)


@require_POST
@never_cache
@login_required
def link_issue(request: HtmxHttpRequest, code: str, employee_no: str) -> HttpResponse:
    """A new personal link for the person (earlier ones stop working), shown once."""
    unit = access.unit_for_user(request.user, code, LINK_ROLES)
    person = person_in(request, unit, employee_no)
    token = actions.issue_link(request.user, person)
    url = request.build_absolute_uri(reverse("h5_link", args=[token]))
    return _link_response(request, unit, person, url=url, message="")


@require_POST
@never_cache
@login_required
def link_revoke(request: HtmxHttpRequest, code: str, employee_no: str) -> HttpResponse:
    unit = access.unit_for_user(request.user, code, LINK_ROLES)
    person = person_in(request, unit, employee_no)
    actions.revoke_link(request.user, person)
    if not request.htmx:
        return HttpResponseRedirect(
            reverse("proxy_entry", args=[unit.code]) + f"#row-{person.employee_no}", status=303
        )
    return _link_response(request, unit, person, url="", message=_("Link revoked."))


urlpatterns: list[URLPattern] = [
    path("units/<str:code>/proxy/", proxy_entry, name="proxy_entry"),
    path("units/<str:code>/proxy/<str:employee_no>/checkin/", proxy_checkin, name="proxy_checkin"),
    path("units/<str:code>/proxy/<str:employee_no>/link/", link_issue, name="link_issue"),
    path("units/<str:code>/proxy/<str:employee_no>/link/revoke/", link_revoke, name="link_revoke"),
]
