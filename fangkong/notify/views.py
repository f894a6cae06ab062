"""Pages: the inbox and a message; per unit, channels, reminder times and the delivery record."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from fangkong.org.actions import ActionError

from . import actions, queries
from .models import Channel, Delivery

PAGE_SIZE = 50


@require_GET
@never_cache
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    return _inbox(request)


def _inbox(request: HttpRequest) -> HttpResponse:
    rows = queries.inbox(request.user).select_related("unit")
    if request.GET.get("unread"):
        rows = rows.filter(read_at__isnull=True)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notify/inbox.html",
        {
            "page": page,
            "unread": queries.unread_count(request.user),
            "only_unread": bool(request.GET.get("unread")),
            "admin_units": queries.configurable_units(request.user),
        },
    )


@require_GET
@never_cache
@login_required
def message(request: HttpRequest, message_uid: uuid.UUID) -> HttpResponse:
    """Shows the message; the page itself posts the read receipt (a GET changes nothing)."""
    msg = queries.message_for_user(request.user, message_uid)
    return render(request, "notify/message.html", {"msg": msg})


@require_POST
@login_required
def message_read(request: HttpRequest, message_uid: uuid.UUID) -> HttpResponse:
    msg = actions.mark_read(request.user, queries.message_for_user(request.user, message_uid))
    if getattr(request, "htmx", False):  # django-htmx's HtmxDetails; the page posts on load
        return HttpResponse(status=204)
    return redirect("notify_message", message_uid=msg.uid)


@require_POST
@login_required
def read_all(request: HttpRequest) -> HttpResponse:
    n = actions.mark_all_read(request.user)
    messages.success(request, _("%(n)d message(s) marked as read.") % {"n": n})
    return _inbox(request)  # the inbox itself, not a redirect: the header's count is already right


def _channels_page(
    request: HttpRequest, code: str, error: ActionError | None = None, status: int = 200
) -> HttpResponse:
    unit = queries.unit_to_configure(request.user, code)
    context = {
        "unit": unit,
        "channels": queries.channels_of(unit),
        "inherited": queries.inherited_channels(unit),
        "kinds": Channel.Kind.choices,
        "error": error,
        "form": request.POST if error else {},
    }
    return render(request, "notify/channels.html", context, status=status)


@require_GET
@never_cache
@login_required
def channels(request: HttpRequest, code: str) -> HttpResponse:
    return _channels_page(request, code)


@require_POST
@never_cache
@login_required
def channel_add(request: HttpRequest, code: str) -> HttpResponse:
    unit = queries.unit_to_configure(request.user, code)
    p = request.POST
    try:
        actions.add_channel(
            request.user,
            unit,
            kind=p.get("kind", ""),
            url=p.get("url", ""),
            secret=p.get("secret", ""),
            name=p.get("name", ""),
        )
    except ActionError as exc:
        return _channels_page(request, code, exc, status=422)
    messages.success(request, _("Channel added."))
    return HttpResponseRedirect(reverse("notify_channels", args=[unit.code]))


@require_POST
@never_cache
@login_required
def channel_off(request: HttpRequest, channel_uid: uuid.UUID) -> HttpResponse:
    channel = queries.channel_for_user(request.user, channel_uid)
    try:
        actions.deactivate_channel(request.user, channel)
        messages.success(request, _("Channel switched off."))
    except ActionError as exc:
        messages.error(request, str(exc))
    return HttpResponseRedirect(reverse("notify_channels", args=[channel.unit.code]))


def _schedules_page(
    request: HttpRequest, code: str, error: ActionError | None = None, status: int = 200
) -> HttpResponse:
    unit = queries.unit_to_configure(request.user, code)
    return render(
        request,
        "notify/schedules.html",
        {
            "unit": unit,
            "rows": queries.schedule_rows(unit),
            "error": error,
            "form": request.POST if error else {},
        },
        status=status,
    )


@require_GET
@never_cache
@login_required
def schedules(request: HttpRequest, code: str) -> HttpResponse:
    return _schedules_page(request, code)


@require_POST
@never_cache
@login_required
def schedule_set(request: HttpRequest, code: str) -> HttpResponse:
    unit = queries.unit_to_configure(request.user, code)
    p = request.POST
    mode = p.get("mode", "time")
    try:
        if mode == "inherit":
            actions.set_schedule(request.user, unit, p.get("job", ""), at=None)
        elif mode == "off":
            actions.set_schedule(request.user, unit, p.get("job", ""), at=None, enabled=False)
        else:
            actions.set_schedule(request.user, unit, p.get("job", ""), at=p.get("at", ""))
    except ActionError as exc:
        return _schedules_page(request, code, exc, status=422)
    messages.success(request, _("Reminder time saved."))
    return HttpResponseRedirect(reverse("notify_schedules", args=[unit.code]))


@require_GET
@never_cache
@login_required
def deliveries(request: HttpRequest, code: str) -> HttpResponse:
    unit = queries.unit_to_configure(request.user, code)
    rows = queries.deliveries_under(unit)
    state = request.GET.get("state", "")
    if state in Delivery.State.values:
        rows = rows.filter(state=state)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notify/deliveries.html",
        {"unit": unit, "page": page, "state": state, "states": Delivery.State.choices},
    )


urlpatterns = [
    path("", inbox, name="notify_inbox"),
    path("read-all/", read_all, name="notify_read_all"),
    path("messages/<uuid:message_uid>/", message, name="notify_message"),
    path("messages/<uuid:message_uid>/read/", message_read, name="notify_message_read"),
    path("units/<str:code>/channels/", channels, name="notify_channels"),
    path("units/<str:code>/channels/add/", channel_add, name="notify_channel_add"),
    path("channels/<uuid:channel_uid>/off/", channel_off, name="notify_channel_off"),
    path("units/<str:code>/schedules/", schedules, name="notify_schedules"),
    path("units/<str:code>/schedules/set/", schedule_set, name="notify_schedule_set"),
    path("units/<str:code>/deliveries/", deliveries, name="notify_deliveries"),
]
