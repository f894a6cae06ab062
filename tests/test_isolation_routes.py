"""Every route, walked with the outsider persona (enterprise admin of E2) against E1's objects.

Acceptance: out of scope answers 404 exactly like a code that does not exist; anonymous callers are
sent to sign in (pages) or get 401 (API); the persona who may really use each route (the table's
`who`: the group admin for group routes, E1's enterprise admin by default, the segment admin or the
data-protection officer where the route is theirs) is served with 2xx (a redirect after a form).
The tables say how to call each route. A route that is in none of them (a new view, API operation
or include) fails `test_every_route_is_covered`: add it to a table, or to PUBLIC with the reason it
may be public. Mass assignment is walked from the same tables in tests/security/test_mass_assignment.py,
canaries in tests/security/test_canaries.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from fangkong.api.root import api
from fangkong.org.actions import create_token
from tests.route_tables import API, PAGES, PARAMS, Call, privacy  # noqa: E402  (per-app tables)

# Public by design, by URL name, with the reason.
PUBLIC = {
    "login": "signing in is open to everyone; shows nothing",
    "logout": "signs the caller out; shows nothing",
    "set_language": "stores the chosen language in a cookie; shows nothing",
    "api:openapi-json": "the API schema is public documentation (no data)",
    "api:openapi-view": "the interactive API docs (Swagger UI, served from /static/) are public",
    "api:api-root": "django-ninja's marker for the API prefix; always answers 404",
    "admin:login": "the admin sign-in form",
    "admin:logout": "admin sign-out; for anyone but a superuser only a redirect to the admin index",
    "h5_link": "the signed token is the credential; a forged or revoked one is refused (403)",
}
# Static files are served by whitenoise's middleware, not by a URL pattern.

# Every other route in the admin namespace is for superusers only: anyone else is redirected to the
# admin sign-in. Samples for the admin's URL parameters:
ADMIN_PARAMS = {
    "app_label": "org",
    "object_id": "1",
    "id": "1",
    "content_type_id": "1",
    "url": "nothing-here/",
}

# What must never appear in the outsider's view of its own scope.
E1_MARKERS = ["第一企业", "一车间", "二车间", "A0001", "B0001", "艾丽", "鲍勃", '"E1', "/E1"]


@dataclass(frozen=True)
class Route:
    pattern: str  # the full route, as Django shows it
    name: str | None  # namespaced URL name
    namespace: str

    @property
    def key(self) -> str:
        return self.name or self.pattern


def _walk(patterns, prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = ":".join(n for n in (namespace, p.namespace) if n)
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name
            yield Route(prefix + str(p.pattern), name, namespace)


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns))


def api_operations() -> set[tuple[str, str]]:
    schema = api.get_openapi_schema()
    return {(method.upper(), path) for path, ops in schema["paths"].items() for method in ops}


def _openapi_path(route: str) -> str:
    """'api/v1/units/<code>' -> '/api/v1/units/{code}'"""
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def _fill(route: str, values: dict[str, str]) -> str:
    """Turn a route (path() or re_path() syntax) into a URL, with a value for each parameter."""

    def value(name: str) -> str:
        if name not in values:
            raise AssertionError(f"route {route!r}: no sample value for parameter {name!r}; add one")
        return values[name]

    url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: value(m.group(1)), route)
    url = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: value(m.group(1)), url)
    return "/" + url.replace("^", "").replace("$", "")


# --- the route tables cover everything, and nothing stale ---------------------------------------


def test_every_route_is_covered():
    api_paths = {path for _method, path in api_operations()}
    uncovered = []
    for route in all_routes():
        if route.key in PUBLIC or route.key in PAGES:
            continue
        if route.namespace == "admin":
            continue  # walked by test_admin_routes_are_for_superusers_only
        if route.namespace == "api" and _openapi_path(route.pattern) in api_paths:
            continue  # its operations are checked against API below
        uncovered.append(f"{route.key} ({route.pattern})")
    missing_ops = sorted(op for op in api_operations() if op not in API)
    assert not uncovered, f"routes with no isolation coverage: {uncovered}"
    assert not missing_ops, f"API operations with no isolation coverage: {missing_ops}"


def test_the_tables_name_only_real_routes():
    keys = {route.key for route in all_routes()}
    assert set(PAGES) <= keys
    assert set(PUBLIC) <= keys
    assert set(API) <= api_operations()


# --- web pages ----------------------------------------------------------------------------------


def _sample(param: str, which: str, where: str) -> str:
    assert param in PARAMS, f"{where}: no sample value for parameter {param!r}; add one to PARAMS"
    return getattr(PARAMS[param], which)


def _fill_data(data, which: str, where: str):
    """Fill "{param}" placeholders in a query or body."""
    if isinstance(data, dict):
        return {k: _fill_data(v, which, where) for k, v in data.items()}
    if isinstance(data, list):
        return [_fill_data(v, which, where) for v in data]
    if isinstance(data, str):
        return re.sub(r"\{(\w+)\}", lambda m: _sample(m.group(1), which, where), data)
    return data


def _page_url(name: str, which: str) -> str:
    route = next(r for r in all_routes() if r.key == name)
    params = re.findall(r"<(?:\w+:)?(\w+)>", route.pattern)
    return reverse(name, kwargs={p: _sample(p, which, name) for p in params})


def _request(client: Client, name: str, which: str):
    call = PAGES[name]
    url, data = _page_url(name, which), _fill_data(call.data, which, name)
    if call.method == "GET":
        return client.get(url, data)
    if call.method == "POST":
        return client.post(url, data)
    return client.generic(call.method, url)


@pytest.mark.parametrize("name", sorted(n for n, c in PAGES.items() if c.kind == "scoped"))
def test_outsider_gets_404_on_e1_pages_exactly_like_absent(w, name):
    client = Client()
    client.force_login(w.outsider)
    outside = _request(client, name, "e1")
    absent = _request(client, name, "absent")
    assert outside.status_code == 404, name
    assert absent.status_code == 404, name
    assert outside.content == absent.content, name
    # Sanity: the outsider is refused for scope, not for its role: its own enterprise answers.
    own = _request(client, name, "own")
    assert own.status_code != 404, name


@pytest.mark.parametrize("name", sorted(n for n, c in PAGES.items() if c.kind == "own"))
def test_outsider_sees_nothing_of_e1_on_its_own_pages(w, name):
    client = Client()
    client.force_login(w.outsider)
    response = _request(client, name, "e1")
    assert response.status_code == 200
    body = response.content.decode()
    assert "E2" in body  # its own enterprise is there
    for marker in E1_MARKERS:
        assert marker not in body, (name, marker)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_anonymous_is_sent_to_sign_in(w, name, client):
    response = _request(client, name, "e1")
    assert response.status_code == 302, name
    assert response["Location"].startswith(reverse("login") + "?next="), name


@pytest.mark.parametrize("name", sorted(n for n, c in PAGES.items() if c.kind == "group"))
def test_group_pages_are_404_below_the_group(w, name):
    for user in (w.outsider, w.enterprise_admin, w.segment_admin):
        client = Client()
        client.force_login(user)
        assert _request(client, name, "e1").status_code == 404, (name, user.username)


def _rightful_user(w, call: Call):
    """The persona who may really use a route: the table's `who` (a World attribute), the group admin
    for group routes, E1's data-protection officer for "dpo" routes, E1's enterprise admin otherwise."""
    if call.kind == "dpo":
        return privacy.officer(w)
    return getattr(w, call.rightful())


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_rightful_user_is_served(w, name):
    """Called by the persona who may really use it (the table's `who`), the page answers 2xx, or
    redirects after a form (not to sign-in)."""
    who = PAGES[name].rightful()
    client = Client()
    client.force_login(_rightful_user(w, PAGES[name]))
    response = _request(client, name, "e1")
    if PAGES[name].unserved:
        assert response.status_code in (400, 409, 422), (name, who, response.status_code)
        return
    assert 200 <= response.status_code < 400, (name, who, response.status_code)
    if response.status_code in (302, 303):  # a form that redirects after posting, not to sign-in
        assert not response["Location"].startswith(reverse("login")), (name, response["Location"])


# --- API ----------------------------------------------------------------------------------------


def _api_request(client: Client, op: tuple[str, str], which: str):
    method, path = op
    call = API[op]
    url = re.sub(r"\{(\w+)\}", lambda m: _sample(m.group(1), which, path), path)
    data = _fill_data(call.data, which, path)
    if method == "GET":
        return client.get(url, data)
    return client.generic(method, url, data=json.dumps(data), content_type="application/json")


def _bearer(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_token('test', user)}")


def _ops(*kinds: str) -> list[tuple[str, str]]:
    return sorted(op for op, call in API.items() if call.kind in kinds)


@pytest.mark.parametrize("op", _ops("scoped", "batch"), ids=" ".join)
def test_outsider_gets_404_on_e1_api_exactly_like_absent(w, op):
    client = _bearer(w.outsider)
    outside = _api_request(client, op, "e1")
    absent = _api_request(client, op, "absent")
    assert outside.status_code == absent.status_code, op
    assert outside.content == absent.content, op
    if API[op].kind == "batch":
        assert outside.status_code == 200, op
        assert {item["status"] for item in outside.json()} == {404}, op
    else:
        assert outside.status_code == 404, op
    own = _api_request(client, op, "own")
    assert own.status_code != 404, op
    if API[op].kind == "batch":
        assert 404 not in {item["status"] for item in own.json()}, op


@pytest.mark.parametrize("op", _ops("own"), ids=" ".join)
def test_outsider_sees_nothing_of_e1_in_its_own_api_scope(w, op):
    response = _api_request(_bearer(w.outsider), op, "e1")
    assert response.status_code == 200
    body = response.content.decode()
    assert "E2" in body
    for marker in E1_MARKERS:
        assert marker not in body, (op, marker)


@pytest.mark.parametrize("op", sorted(API), ids=" ".join)
def test_anonymous_api_call_is_401(w, op, client):
    assert _api_request(client, op, "e1").status_code == 401, op


@pytest.mark.parametrize("op", _ops("group"), ids=" ".join)
def test_group_api_is_refused_below_the_group(w, op):
    """A group-level operation (e.g. setting a region's risk level) is refused to every persona below
    the group, and changes nothing; the group admin is served (test_the_rightful_user_...)."""
    from fangkong.audit.models import AuditEntry

    clients = {user.username: _bearer(user) for user in (w.outsider, w.enterprise_admin, w.segment_admin)}
    before = AuditEntry.objects.count()  # issuing the tokens is audited
    for username, client in clients.items():
        assert _api_request(client, op, "e1").status_code in (403, 404), (op, username)
    assert AuditEntry.objects.count() == before, op


@pytest.mark.parametrize("op", sorted(API), ids=" ".join)
def test_the_rightful_user_is_served_by_the_api(w, op):
    """Called by the persona who may really use it (the table's `who`), the operation succeeds."""
    who = API[op].rightful()
    response = _api_request(_bearer(_rightful_user(w, API[op])), op, "e1")
    assert 200 <= response.status_code < 300, (op, who, response.status_code, response.content[:300])
    if API[op].kind == "batch":
        assert {item["status"] for item in response.json()} <= {200, 201}, op


# --- admin --------------------------------------------------------------------------------------


def test_admin_routes_are_for_superusers_only(w):
    """Every admin route (each model's pages too) redirects the outsider and anonymous to sign in."""
    admin_routes = [r for r in all_routes() if r.namespace == "admin" and r.key not in PUBLIC]
    assert len(admin_routes) > 10
    login = reverse("admin:login")
    outsider = Client()
    outsider.force_login(w.outsider)
    for route in admin_routes:
        url = _fill(route.pattern, ADMIN_PARAMS)
        for client in (outsider, Client()):
            response = client.get(url)
            assert response.status_code == 302, (route.key, url, response.status_code)
            assert response["Location"].startswith(login), (route.key, url, response["Location"])
