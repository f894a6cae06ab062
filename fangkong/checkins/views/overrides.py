"""A person's health card of a day, for the enterprise's prevention officer, and overriding it.

Only a HEALTH_DETAIL_ROLES holder over the person's unit reaches these pages (checkins.overrides);
anyone else gets 404 like a person who does not exist.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from fangkong.lib.dates import business_day
from fangkong.org.actions import ActionError
from fangkong.org.models import Person
from fangkong.privacy.actions import log_access
from fangkong.privacy.models import AccessRecord

from .. import overrides
from ..models import Card, CardOverride, CheckIn
from .proxy import card_text


def _day(raw: str | None, person: Person) -> date | None:
    if not raw:
        return business_day(person.enterprise.timezone)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _render(
    request: HttpRequest, person: Person, day: date, form: dict[str, Any], errors: dict[str, str], status: int
) -> HttpResponse:
    checkin = CheckIn.objects.filter(person=person, day=day, current=True).first()
    history = (
        CardOverride.objects.filter(checkin__person=person, checkin__day=day).order_by("-at", "-pk")
        if checkin
        else CardOverride.objects.none()
    )
    current = history.first()
    context = {
        "person": person,
        "day": day,
        "checkin": checkin,
        "card_label": card_text(checkin.card) if checkin else "",
        "override": current if checkin and "override" in checkin.card_reasons else None,
        "history": history,
        "cards": Card.choices,
        "form": form,
        "errors": errors,
    }
    return render(request, "checkins/person_card.html", context, status=status)


@require_GET
@never_cache
@login_required
def person_card(request: HttpRequest, employee_no: str) -> HttpResponse:
    person = overrides.person_for_officer(request.user, employee_no)
    day = _day(request.GET.get("date"), person)
    if day is None:
        day = business_day(person.enterprise.timezone)
        return _render(request, person, day, {}, {"date": _("a date, YYYY-MM-DD")}, 400)
    log_access(request.user, AccessRecord.Action.VIEW_HEALTH, person=person, what=f"health card {day}")
    return _render(request, person, day, {}, {}, 200)


@require_POST
@never_cache
@login_required
def person_card_override(request: HttpRequest, employee_no: str) -> HttpResponse:
    person = overrides.person_for_officer(request.user, employee_no)
    form = {k: request.POST.get(k, "").strip() for k in ("date", "card", "reason")}
    day = _day(form["date"], person)
    if day is None:
        return _render(
            request, person, business_day(person.enterprise.timezone), form, {"date": _("a date")}, 422
        )
    try:
        overrides.override_card(request.user, person, day, card=form["card"], reason=form["reason"])
    except overrides.NothingToOverride:
        errors = {"form": _("No check-in that day: there is no card to override.")}
        return _render(request, person, day, form, errors, 409)
    except ActionError as exc:
        return _render(request, person, day, form, {exc.field or "form": str(exc)}, 422)
    messages.success(request, _("The card is overridden; the enterprise's prevention officers are told."))
    return redirect(f"{reverse('checkin_card', args=[person.employee_no])}?date={day.isoformat()}")


urlpatterns: list[URLPattern] = [
    path("checkins/people/<str:employee_no>/card/", person_card, name="checkin_card"),
    path("checkins/people/<str:employee_no>/card/override/", person_card_override, name="checkin_override"),
]
