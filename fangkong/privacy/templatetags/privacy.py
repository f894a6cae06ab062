"""`{% load privacy %}`: whether to offer the reveal control for a person's identifiers."""

from __future__ import annotations

from typing import Any

from django import template

from fangkong.org import access
from fangkong.org.models import Unit
from fangkong.privacy.actions import REVEAL_ROLES

register = template.Library()


@register.filter
def may_reveal(user: Any, unit: Unit) -> bool:
    """True if `user` may reveal the ID number or mobile of people on `unit` (privacy.actions)."""
    return bool(user and user.is_authenticated) and access.has_role(user, REVEAL_ROLES, unit)
