"""`{% load notify %}{% unread_count as n %}`: the caller's unread messages, for the page header."""

from django import template

from fangkong.notify.queries import unread_count as _unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_count(context) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    return _unread_count(user) if user is not None else 0
