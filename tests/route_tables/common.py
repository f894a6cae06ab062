"""How the isolation walk calls a route (see tests/test_isolation_routes.py)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Call:
    method: str = "GET"
    # Query (GET) or body (other methods); a string "{param}" anywhere in it is filled like the path.
    data: dict | list = field(default_factory=dict)
    # "scoped": names an object of E1 (path or body) and must answer 404 like an absent one;
    # "batch": a list of items naming E1's objects, each refused like an absent one;
    # "own": names nothing, shows the caller its own scope (must show nothing of E1).
    # "group": a group-level page (e.g. the health-card rules): the outsider and E1's admin get 404,
    # the group admin is the rightful caller.
    # "dpo": a data-protection officer's page (the access log): 404 for everyone else, group admin too.
    kind: str = "scoped"
    # The persona (an attribute of tests.factories.World) who may really use the route and must be
    # served (2xx, or a redirect after a form) by it; by default the group admin for kind "group",
    # E1's enterprise admin otherwise.
    who: str = ""
    # Set only when the walk's call cannot succeed even for the rightful user (e.g. the form needs an
    # uploaded file): why, and which test proves the success path. The walk then accepts a 400/409/422
    # answer (refused for the input, not for scope or role) instead of 2xx.
    unserved: str = ""

    def rightful(self) -> str:
        return self.who or ("group_admin" if self.kind == "group" else "enterprise_admin")


@dataclass(frozen=True)
class Sample:
    e1: str  # an object of E1, out of the outsider's scope
    absent: str  # a value that exists nowhere
    own: str  # the outsider's own counterpart in E2 (sanity: the refusal is for scope, not role)
