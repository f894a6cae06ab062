"""django-axes' lockout, for sign-ins over HTTP."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out account before any password is checked (it never signs anyone in).

    A sign-in without a request (the CLI, a shell, the test client's `login()`) is not an attacker
    guessing passwords over the network, so it is not counted; axes itself would raise for it.
    """

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
