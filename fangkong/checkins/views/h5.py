"""The employee's H5 check-in page: one phone, one person, today's card and the day's form.

Sign-in is a password (Django's login) or a personal link. A link session remembers only the
person and the link's generation, checked on every request, so revoking a link also ends the
sessions opened with it. The page keeps nothing in the browser but the session: no localStorage,
no autofill, `Cache-Control: no-store`.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from fangkong.consent.notice import prompt_for
from fangkong.lib.dates import business_day, zone
from fangkong.org import access
from fangkong.org.actions import ActionError
from fangkong.org.models import Person, Role

from .. import actions, overrides
from ..models import SYMPTOMS, Card, CheckIn, Exemption, PersonalLink, Source, Where

SESSION_KEY = "checkins.h5_link"
FIELDS = ("temperature", "symptoms", "where", "location", "visited", "contact", "note")
MAX_VISITED = 50

CARD_TEXT: dict[str, Any] = {
    Card.GREEN: gettext_lazy("Green card: normal"),
    Card.YELLOW: gettext_lazy("Yellow card: under watch"),
    Card.RED: gettext_lazy("Red card: abnormal, your grid leader will follow up"),
}
REASON_TEXT = {
    "fever": gettext_lazy("temperature at or above the fever line"),
    "symptom": gettext_lazy("symptoms reported"),
    "contact": gettext_lazy("contact with a confirmed or suspected case"),
    "risk_travel": gettext_lazy("visited a risk area in the last 14 days"),
    "override": gettext_lazy("set by the prevention officer"),
}


def card_text(card: str) -> str:
    return str(CARD_TEXT.get(card, card))


def reason_texts(codes: list[str]) -> list[str]:
    return [str(REASON_TEXT.get(c, c)) for c in codes]


def override_text(checkin: CheckIn) -> str:
    """The marker "overridden by X: reason" for a card set by hand (checkins.overrides), else ""."""
    if "override" not in checkin.card_reasons:
        return ""
    row = overrides.latest(checkin)
    if row is None:
        return ""
    return _("overridden by %(who)s: %(reason)s") % {"who": row.by_name, "reason": row.reason}


# --- who is checking in -------------------------------------------------------------------------


def _link_session_person(request: HttpRequest) -> tuple[Person | None, bool]:
    """(person, stale) for a session opened with a personal link; stale once the link is revoked."""
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict) or not isinstance(data.get("p"), int) or not isinstance(data.get("g"), int):
        return None, False
    person = (
        Person.objects.select_related("enterprise__region", "unit")
        .filter(
            pk=data["p"],
            status=Person.Status.ACTIVE,
            checkin_link__generation=data["g"],
            checkin_link__revoked_at__isnull=True,
        )
        .first()
    )
    if person is None:
        request.session.flush()
        return None, True
    return person, False


def _own_person(request: HttpRequest) -> Person | None:
    user_pk = request.user.pk
    if user_pk is None:
        return None
    return Person.objects.select_related("enterprise__region", "unit").filter(user_id=user_pk).first()


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _invalid_link(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            {"error": _("This link no longer works. Ask your grid leader for a new one.")}, status=403
        )
    return render(request, "checkins/h5_link_invalid.html", status=403)


@require_GET
@never_cache
def link_sign_in(request: HttpRequest, token: str) -> HttpResponse:
    """Open the H5 page with a personal link: a new session that knows only this person."""
    person = actions.person_for_link(token)
    if person is None:
        return _invalid_link(request)
    generation = PersonalLink.objects.filter(person=person).values_list("generation", flat=True).first()
    if request.user.is_authenticated:
        logout(request)  # one identity per session: the link's person, not whoever was signed in
    request.session.cycle_key()
    request.session[SESSION_KEY] = {"p": person.pk, "g": generation}
    return redirect("h5")


# --- the form -----------------------------------------------------------------------------------


def _initial(person: Person) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "temperature": "",
        "symptoms": [],
        "where": Where.ON_SITE.value,
        "location": person.enterprise.region_id or "",
        "visited": "",
        "contact": False,
        "note": "",
    }


def _posted(request: HttpRequest) -> dict[str, Any]:
    post = request.POST
    return {
        "id": post.get("id", "").strip(),
        "temperature": post.get("temperature", "").strip(),
        "symptoms": post.getlist("symptoms"),
        "where": post.get("where", Where.ON_SITE.value),
        "location": post.get("location", "").strip().upper(),
        "visited": post.get("visited", "").strip(),
        "contact": post.get("contact") == "yes",
        "note": post.get("note", "").strip(),
    }


def parse_temperature(raw: str) -> Decimal:
    """'36.6', '36,6' or '36．6' as typed on a phone; ValueError with a readable message."""
    text = raw.strip().replace(",", ".").replace("，", ".").replace("．", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("Enter the temperature as a number, such as 36.6.")) from None
    if not value.is_finite():
        raise ValueError(_("Enter the temperature as a number, such as 36.6."))
    return value


def _data(values: dict[str, Any]) -> tuple[actions.CheckinData | None, dict[str, str]]:
    errors: dict[str, str] = {}
    try:
        checkin_id = uuid.UUID(values["id"])
    except ValueError:
        checkin_id = uuid.uuid4()
        errors["form"] = _("The form was out of date; check the values and send again.")
        values["id"] = str(checkin_id)
    temperature = Decimal(0)
    if not values["temperature"]:
        errors["temperature"] = _("Enter your temperature.")
    else:
        try:
            temperature = parse_temperature(values["temperature"])
        except ValueError as exc:
            errors["temperature"] = str(exc)
    visited = list(dict.fromkeys(v.upper() for v in re.split(r"[\s,，、;；]+", values["visited"]) if v))
    if len(visited) > MAX_VISITED:
        errors["visited"] = _("At most %(n)d places.") % {"n": MAX_VISITED}
    if errors:
        return None, errors
    data = actions.CheckinData(
        id=checkin_id,
        temperature=temperature,
        symptoms=list(dict.fromkeys(values["symptoms"])),
        where=values["where"],
        location=values["location"],
        visited=visited,
        contact=values["contact"],
        note=values["note"],
    )
    return data, {}


def _today(person: Person) -> CheckIn | None:
    day = business_day(person.enterprise.timezone)
    return CheckIn.objects.filter(person=person, day=day, current=True).first()


def checkin_summary(checkin: CheckIn, person: Person) -> dict[str, Any]:
    """What the employee sees of a stored check-in (its own data): card, why, when."""
    local = checkin.captured_at.astimezone(zone(person.enterprise.timezone))
    return {
        "id": str(checkin.pk),
        "card": checkin.card,
        "card_text": card_text(checkin.card),
        "reasons": reason_texts(checkin.card_reasons),
        "day": checkin.day.isoformat(),
        "time": local.strftime("%H:%M"),
        "version": checkin.version,
        "override": override_text(checkin),
    }


def _render(
    request: HttpRequest,
    person: Person,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    day = business_day(person.enterprise.timezone)
    today = _today(person)
    exemption = (
        Exemption.objects.filter(person=person, start__lte=day, end__gte=day, cancelled_at__isnull=True)
        .order_by("start")
        .first()
    )
    region = person.enterprise.region
    context = {
        "person": person,
        "day": day,
        "today": checkin_summary(today, person) if today else None,
        "exemption": exemption,
        "values": values,
        "errors": errors or {},
        "symptoms": list(SYMPTOMS.items()),
        "wheres": Where.choices,
        "region": region,
        "sent": request.GET.get("sent") == "1" and today is not None,
        "link_session": SESSION_KEY in request.session,
        "consent": prompt_for(person),  # the privacy notice to accept (or read) first, if any
    }
    return render(request, "checkins/h5.html", context, status=status)


def _no_person(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            {"error": _("This account is not on a roster, so it has no check-in.")}, status=403
        )
    roles = [(Role(role).label, unit) for role, unit in access.roles_of(request.user)]
    return render(request, "checkins/h5_no_person.html", {"roles": roles})


def _submit(request: HttpRequest, person: Person, actor: Any) -> HttpResponse:
    values = _posted(request)
    data, errors = _data(values)
    if data is not None:
        try:
            checkin, created = actions.submit_checkin(actor, person, data, source=Source.SELF)
        except actions.CheckinConflict:
            # The id was used for other values (edited after a lost answer): a fresh id, a fresh look.
            values["id"] = str(uuid.uuid4())
            errors = {"form": _("This form was already sent with other values. Check them and send again.")}
            status = 409
        except ActionError as exc:
            field = exc.field if exc.field in FIELDS else "form"
            errors, status = {field: str(exc)}, 422
        else:
            if _wants_json(request):
                return JsonResponse(
                    {**checkin_summary(checkin, person), "replay": not created},
                    status=201 if created else 200,
                )
            return redirect(f"{request.path}?sent=1#today")
    else:
        status = 422
    if _wants_json(request):
        return JsonResponse({"errors": errors, "id": values["id"]}, status=status)
    return _render(request, person, values, errors=errors, status=status)


def h5_person(request: HttpRequest) -> tuple[Person | None, Any, HttpResponse | None]:
    """(person, actor, None) for the H5 session's person (link or own account), or (None, None, the
    answer to give instead: link revoked, sign in, not on a roster). The consent pages use it too."""
    person, stale = _link_session_person(request)
    if stale:
        return None, None, _invalid_link(request)
    if person is not None:
        return person, f"link:{person.employee_no}", None
    if not request.user.is_authenticated:
        if _wants_json(request):
            return None, None, JsonResponse({"error": _("Please sign in again.")}, status=401)
        return None, None, redirect_to_login(request.get_full_path())
    person = _own_person(request)
    if person is None:
        return None, None, _no_person(request)
    return person, request.user, None


@require_http_methods(["GET", "POST"])
@never_cache
def page(request: HttpRequest) -> HttpResponse:
    """GET: today's card and the form. POST: submit it (JSON answer for the page's script)."""
    person, actor, refusal = h5_person(request)
    if refusal is not None or person is None:
        return refusal or _no_person(request)
    if request.method == "POST":
        return _submit(request, person, actor)
    return _render(request, person, _initial(person))


urlpatterns: list[URLPattern] = [
    path("h5/", page, name="h5"),
    path("h5/l/<str:token>/", link_sign_in, name="h5_link"),
]
