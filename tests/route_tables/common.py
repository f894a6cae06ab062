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
    kind: str = "scoped"


@dataclass(frozen=True)
class Sample:
    e1: str  # an object of E1, out of the outsider's scope
    absent: str  # a value that exists nowhere
    own: str  # the outsider's own counterpart in E2 (sanity: the refusal is for scope, not role)
