"""The health-card rule set: its current version and history, and publishing a new version.

For the leading group only: group admins (a grant on the root group unit) and superusers. Anyone
else gets 404, like a page that does not exist.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from fangkong.checkins import actions
from fangkong.checkins.models import RuleSet
from fangkong.checkins.rules import current_rules
from fangkong.org import access

CODE_SEPARATORS = re.compile(r"[\s,，、;；]+")
HISTORY = 50


def _require_group_admin(request: HttpRequest) -> None:
    access.require_on_group(request.user)


def _render(request: HttpRequest, form: dict[str, object], errors: dict[str, str], status: int = 200):
    current = current_rules()
    return render(
        request,
        "checkins/rules.html",
        {
            "current": current,
            "history": RuleSet.objects.order_by("-version")[:HISTORY],
            "form": form,
            "errors": errors,
        },
        status=status,
    )


def _form_of(rules: RuleSet) -> dict[str, object]:
    return {
        "fever_at": f"{rules.fever_at:.1f}",
        "symptom_is_red": rules.symptom_is_red,
        "contact_is_yellow": rules.contact_is_yellow,
        "risk_regions": " ".join(rules.risk_regions),
        "note": "",
    }


@require_GET
@never_cache
@login_required
def rules_page(request: HttpRequest) -> HttpResponse:
    _require_group_admin(request)
    return _render(request, _form_of(current_rules()), {})


@require_POST
@never_cache
@login_required
def rules_publish(request: HttpRequest) -> HttpResponse:
    _require_group_admin(request)
    post = request.POST
    form: dict[str, object] = {
        "fever_at": post.get("fever_at", "").strip(),
        "symptom_is_red": bool(post.get("symptom_is_red")),
        "contact_is_yellow": bool(post.get("contact_is_yellow")),
        "risk_regions": post.get("risk_regions", "").strip(),
        "note": post.get("note", "").strip(),
    }
    errors: dict[str, str] = {}
    try:
        fever_at = Decimal(str(form["fever_at"]))
        if fever_at != fever_at.quantize(Decimal("0.1")):
            raise InvalidOperation
    except InvalidOperation:
        errors["fever_at"] = _("a temperature in °C with one decimal, e.g. 37.3")
    regions = [r.upper() for r in CODE_SEPARATORS.split(str(form["risk_regions"])) if r]
    if len(str(form["note"])) > 200:
        errors["note"] = _("at most 200 characters")
    if errors:
        return _render(request, form, errors, status=400)
    current = current_rules()
    unchanged = (
        current.fever_at == fever_at
        and current.symptom_is_red == form["symptom_is_red"]
        and current.contact_is_yellow == form["contact_is_yellow"]
        and list(current.risk_regions) == regions
    )
    if unchanged:
        errors["form"] = _("These are the rules of version %(v)s already: nothing to publish.") % {
            "v": current.version
        }
        return _render(request, form, errors, status=400)
    try:
        rules = actions.publish_rules(
            request.user,
            fever_at=fever_at,
            symptom_is_red=bool(form["symptom_is_red"]),
            contact_is_yellow=bool(form["contact_is_yellow"]),
            risk_regions=regions,
            note=str(form["note"]),
        )
    except actions.ActionError as exc:
        errors[exc.field or "form"] = str(exc)
        return _render(request, form, errors, status=400)
    messages.success(
        request,
        _("Version %(v)s published: check-ins from now on get their card by it.") % {"v": rules.version},
    )
    return redirect("checkins_rules")


urlpatterns: list[URLPattern] = [
    path("checkins/rules/", rules_page, name="checkins_rules"),
    path("checkins/rules/publish/", rules_publish, name="checkins_rules_publish"),
]
