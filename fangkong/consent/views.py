"""The person's own consent page (accept, withdraw) and the group admin's notice and legal-basis page.

The person is the H5 session's (personal link or own account, checkins.views.h5.h5_person). The
admin page is for the leading group only (a group-admin grant on the root unit, or a superuser);
anyone else gets 404 like a page that does not exist.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from fangkong.checkins.views.h5 import h5_person
from fangkong.org import access
from fangkong.org.actions import ActionError
from fangkong.org.models import Person

from . import actions, gate
from .models import Acceptance, Basis, LegalBasis, Notice
from .notice import current_notice, prompt_for

HISTORY = 50


def notice_text(notice: Notice) -> str:
    return notice.text_en if (get_language() or "").startswith("en") else notice.text_zh


# --- the person's own page ----------------------------------------------------------------------


def _mine(request: HttpRequest, person: Person, *, errors: dict[str, str] | None = None, status: int = 200):
    notice = current_notice()
    rows = (
        Acceptance.objects.filter(person=person).select_related("notice").order_by("-accepted_at")[:HISTORY]
    )
    context = {
        "person": person,
        "notice": notice,
        "notice_text": notice_text(notice),
        "basis": Basis(gate.current_basis()),
        "consent_basis": gate.current_basis() == Basis.CONSENT,
        "standing": gate.has_standing(person),
        "prompt": prompt_for(person),
        "rows": rows,
        "errors": errors or {},
    }
    return render(request, "consent/mine.html", context, status=status)


@require_GET
@never_cache
def mine(request: HttpRequest) -> HttpResponse:
    person, _actor, refusal = h5_person(request)
    if refusal is not None or person is None:
        return refusal or redirect("h5")
    return _mine(request, person)


@require_POST
@never_cache
def accept(request: HttpRequest) -> HttpResponse:
    person, actor, refusal = h5_person(request)
    if refusal is not None or person is None:
        return refusal or redirect("h5")
    actions.accept_notice(actor, person)
    messages.success(request, _("Thank you: the privacy notice is accepted."))
    return redirect("h5")


@require_POST
@never_cache
def withdraw(request: HttpRequest) -> HttpResponse:
    person, actor, refusal = h5_person(request)
    if refusal is not None or person is None:
        return refusal or redirect("h5")
    if request.POST.get("confirm") != "yes":
        errors = {"confirm": _("Tick the box to confirm that you withdraw your consent.")}
        return _mine(request, person, errors=errors, status=400)
    ended = actions.withdraw(actor, person)
    if ended:
        messages.success(request, _("Your consent is withdrawn."))
    return redirect("consent_mine")


# --- the group admin's page ---------------------------------------------------------------------


def _require_group_admin(request: HttpRequest) -> None:
    access.require_on_group(request.user)


def _admin(request: HttpRequest, form: dict[str, Any], errors: dict[str, str], status: int = 200):
    notice = current_notice()
    standing = dict(
        Acceptance.objects.filter(withdrawn_at__isnull=True)
        .values_list("notice__version")
        .annotate(n=Count("pk"))
        .values_list("notice__version", "n")
    )
    context = {
        "notice": notice,
        "notices": [(n, standing.get(n.version, 0)) for n in Notice.objects.order_by("-version")[:HISTORY]],
        "basis": Basis(gate.current_basis()),
        "bases": Basis.choices,
        "history": LegalBasis.objects.order_by("-effective_from", "-id")[:HISTORY],
        "withdrawn": Acceptance.objects.filter(withdrawn_at__isnull=False)
        .values("person")
        .distinct()
        .count(),
        "form": form,
        "errors": errors,
    }
    return render(request, "consent/admin.html", context, status=status)


@require_GET
@never_cache
@login_required
def admin_page(request: HttpRequest) -> HttpResponse:
    _require_group_admin(request)
    notice = current_notice()
    form = {"text_zh": notice.text_zh, "text_en": notice.text_en, "basis": gate.current_basis()}
    return _admin(request, form, {})


@require_POST
@never_cache
@login_required
def notice_publish(request: HttpRequest) -> HttpResponse:
    _require_group_admin(request)
    form = {k: request.POST.get(k, "") for k in ("text_zh", "text_en")} | {"basis": gate.current_basis()}
    try:
        notice = actions.publish_notice(request.user, text_zh=form["text_zh"], text_en=form["text_en"])
    except ActionError as exc:
        return _admin(request, form, {exc.field or "form": str(exc)}, status=400)
    messages.success(request, _("Version %(v)s of the privacy notice is published.") % {"v": notice.version})
    return redirect("consent_admin")


@require_POST
@never_cache
@login_required
def basis_set(request: HttpRequest) -> HttpResponse:
    _require_group_admin(request)
    post = request.POST
    notice = current_notice()
    form = {"text_zh": notice.text_zh, "text_en": notice.text_en, "basis": post.get("basis", "")}
    form |= {"reason": post.get("reason", ""), "effective_from": post.get("effective_from", "")}
    try:
        effective = date.fromisoformat(form["effective_from"]) if form["effective_from"] else None
    except ValueError:
        return _admin(request, form, {"effective_from": _("a date, YYYY-MM-DD")}, status=400)
    try:
        row = actions.set_basis(request.user, form["basis"], reason=form["reason"], effective_from=effective)
    except ActionError as exc:
        return _admin(request, form, {exc.field or "form": str(exc)}, status=400)
    messages.success(
        request,
        _("From %(day)s check-ins are processed on this basis: %(basis)s")
        % {"day": row.effective_from.isoformat(), "basis": Basis(row.basis).label},
    )
    return redirect("consent_admin")


urlpatterns: list[URLPattern] = [
    path("", mine, name="consent_mine"),
    path("accept/", accept, name="consent_accept"),
    path("withdraw/", withdraw, name="consent_withdraw"),
    path("admin/", admin_page, name="consent_admin"),
    path("admin/notice/", notice_publish, name="consent_notice_publish"),
    path("admin/basis/", basis_set, name="consent_basis_set"),
]
