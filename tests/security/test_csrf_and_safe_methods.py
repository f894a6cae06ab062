"""CSRF on every state change; no GET changes state.

Both walk every route the isolation walk knows (tests/test_isolation_routes.py), so a new page or API
operation is covered the moment it is added to its route table.
"""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import resolve

from fangkong.audit.models import AuditEntry
from fangkong.org.actions import create_token
from tests.route_tables import API, PAGES, PARAMS
from tests.test_isolation_routes import ADMIN_PARAMS, PUBLIC, _fill, _fill_data, all_routes, api_operations

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")

# Tables a read may legitimately write: the session itself, the token's "last used" stamp, and the
# sign-in logs (nobody signs in during the walk).
MAY_CHANGE = {"sessions.session", "org.apitoken", "axes.accesslog", "axes.accessattempt"}
# A read of health detail or an export is itself recorded (privacy: who looked at whose data): the
# only audit rows a GET may write, checked by their action's verb; the chain heads move with them.
ACCESS_VERBS = ("view", "export")
# The access log of personal data (privacy.AccessRecord) records the same reads.
AUDIT_TABLES = {"audit.auditentry", "audit.chainhead", "privacy.accessrecord"}
# Rows a read materialises, by design of their module: derived data, not a change anyone made.
# Keep this list short; each entry says why.
DERIVED = {
    "checkins.openday": "a business day's counter rows are opened on first use (checkins.rollup)",
    "checkins.unitday": "the per-unit day counters opened with it, all zero",
    "checkins.ruleset": "the health-card rules' first version, created with the defaults on first read",
    "news.post": "a post's view counter (the column shows how many read it)",
    "news.postview": "who has read a post, counted once per reader",
}


def _samples() -> dict[str, str]:
    values = dict(ADMIN_PARAMS)
    values.update({name: sample.e1 for name, sample in PARAMS.items()})
    return values


def _url(pattern: str, values: dict[str, str]) -> str:
    """The route filled with the samples; a parameter without one (a public route's, e.g. the H5
    link's token) gets any value its converter accepts."""
    fallback = {"int": "1", "uuid": "00000000-0000-4000-8000-000000000000", "path": "x/y"}

    def value(m: re.Match) -> str:
        converter, name = m.group(1) or "str", m.group(2)
        sample = values.get(name)
        if sample is None or (converter == "int" and not str(sample).isdigit()):
            return fallback.get(converter, "x")
        return str(sample)

    if "(?P<" in pattern:  # the admin's re_path routes
        return _fill(pattern, values)
    filled = re.sub(r"<(?:(\w+):)?(\w+)>", value, pattern)
    resolve("/" + filled)  # raises for a route the walk cannot reach: fix the samples
    return "/" + filled


def _page_routes():
    return [r for r in all_routes() if r.namespace != "api"]


def _api_path(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "x"), path)


def _signed_in(user, *, enforce_csrf: bool) -> Client:
    client = Client(enforce_csrf_checks=enforce_csrf)
    client.force_login(user)
    return client


def _superuser():
    return get_user_model().objects.create_superuser("root", "root@example.org", "pw-Secret-123")


@pytest.mark.django_db
def test_every_unsafe_request_without_a_csrf_token_is_refused(w):
    """Every page route (admin included) and every unsafe API operation called with the browser
    session but without the CSRF token answers 403, and nothing is written."""
    values = _samples()  # may create the sample objects: before counting the audit rows
    audit_rows = AuditEntry.objects.count()
    superuser = _superuser()
    refused = []
    for route in _page_routes():
        user = superuser if route.namespace == "admin" else w.group_admin
        if route.key in PAGES and PAGES[route.key].kind != "group":
            user = w.enterprise_admin
        client = _signed_in(user, enforce_csrf=True)
        url = _url(route.pattern, values)
        data = _fill_data(PAGES[route.key].data, "e1", route.key) if route.key in PAGES else {}
        for method in UNSAFE:
            if method == "POST":
                response = client.post(url, data)
            else:
                response = client.generic(method, url)
            if response.status_code != 403:
                refused.append((route.key, method, response.status_code))
    for method, path in sorted(api_operations()):
        if method not in UNSAFE:
            continue
        client = _signed_in(w.enterprise_admin, enforce_csrf=True)
        body = _fill_data(API[(method, path)].data, "e1", path) if (method, path) in API else {}
        response = client.generic(
            method, _api_path(path, values), data=json.dumps(body), content_type="application/json"
        )
        # 405: the operation's path answers another method first; refused before any state change.
        if response.status_code not in (403, 405):
            refused.append((path, method, response.status_code))
    assert not refused, f"state-changing requests accepted without a CSRF token: {refused}"
    written = list(AuditEntry.objects.order_by("pk")[audit_rows:].values_list("action", "object_id"))
    assert not written


def test_the_walk_sees_the_unsafe_routes():
    """Sanity: the walk above is not empty (the tables name POST pages and unsafe API operations)."""
    assert any(call.method == "POST" for call in PAGES.values())
    assert any(method in UNSAFE for method, _path in api_operations())
    assert {"login", "logout", "set_language"} <= set(PUBLIC)


def _snapshot() -> dict[str, str]:
    """A digest of every table's rows (small test database), keyed by model."""
    digests = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in MAY_CHANGE or label in AUDIT_TABLES or label in DERIVED:
            continue
        rows = model.objects.order_by("pk").values_list()
        digests[label] = hashlib.sha256(repr(list(rows)).encode()).hexdigest()
    return digests


@pytest.mark.django_db
def test_no_get_changes_state(w):
    """Every page route and every GET API operation, called with GET by the rightful admin (a
    superuser for the admin site): no row changed anywhere, no audit row but access records."""
    values = _samples()
    superuser = _superuser()
    page_calls = []
    for route in _page_routes():
        if route.namespace == "admin":
            user = superuser
        elif route.key in PAGES and PAGES[route.key].kind != "group":
            user = w.enterprise_admin
        else:
            user = w.group_admin
        data = PAGES[route.key].data if route.key in PAGES and PAGES[route.key].method == "GET" else {}
        page_calls.append((user, _url(route.pattern, values), _fill_data(data, "e1", route.key)))
    api_calls = []
    for method, path in sorted(api_operations()):
        if method == "GET":
            data = API[(method, path)].data if (method, path) in API else {}
            api_calls.append((_api_path(path, values), _fill_data(data, "e1", path)))
    clients = {user.pk: _signed_in(user, enforce_csrf=False) for user, _url, _data in page_calls}
    bearer = Client(HTTP_AUTHORIZATION=f"Bearer {create_token('test', w.enterprise_admin)}")
    for client in clients.values():  # sessions and tokens exist before the snapshot
        client.get("/")
    bearer.get("/api/v1/units")

    before = _snapshot()
    errors, audited = [], []
    calls = [(clients[user.pk], url, data) for user, url, data in page_calls]
    calls += [(bearer, url, data) for url, data in api_calls]
    for client, url, data in calls:
        audit_rows = AuditEntry.objects.count()
        response = client.get(url, data)
        if response.status_code >= 500:
            errors.append((url, response.status_code))
        written = AuditEntry.objects.order_by("pk")[audit_rows:].values_list("action", flat=True)
        changes = [a for a in written if not a.rsplit(".", 1)[-1].startswith(ACCESS_VERBS)]
        if changes:
            audited.append((url, changes))
    after = _snapshot()
    assert not errors
    assert not audited, f"a GET recorded a change in the audit log: {audited}"
    changed = sorted(label for label in before if before[label] != after.get(label))
    assert not changed, f"a GET changed these tables: {changed}"
    assert len(page_calls) > 20 and len(api_calls) > 5
