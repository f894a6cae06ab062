"""Mass assignment: every API operation with a body refuses unknown or forbidden fields (issue 11).

Route by route from the OpenAPI schema: the body the isolation walk sends (tests/route_tables), which
the rightful user is served with, plus one field the operation does not take (a unit, a role, an
owner, dates, a state, another enterprise's id ...) is refused with 422 naming that field, and nothing
changes. Bodies derive from `fangkong.api.schemas.Input` (extra="forbid"); the batch check-in takes
a list of free-form items and refuses each such item alone (200 with a 422 item).
"""

from __future__ import annotations

import json
import re

import pytest

from fangkong.api.root import api
from fangkong.audit.models import AuditEntry
from tests.route_tables import API
from tests.test_isolation_routes import _bearer, _fill_data, _rightful_user, _sample

# Fields a caller might try to set that no operation takes from its body (values are plausible).
FORBIDDEN = {
    "unit": "E2",
    "enterprise": "E2",
    "role": "group_admin",
    "owner": "outsider",
    "state": "closed",
    "status": "accepted",
    "created_at": "2020-01-01T00:00:00+08:00",
    "updated_at": "2020-01-01T00:00:00+08:00",
    "submitted_by": "outsider",
    "is_staff": True,
    "pk": 1,
    "enterprise_id": 2,
}


def _schema() -> dict:
    return api.get_openapi_schema()


def _body_fields(op: dict) -> tuple[set[str], bool] | None:
    """(property names of the JSON body, whether it is a list), or None when there is no JSON body."""
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    schema = content["application/json"]["schema"]
    is_list = schema.get("type") == "array"
    if is_list:
        schema = schema["items"]
    if "$ref" in schema:
        schema = _schema()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return set(schema.get("properties", {})), is_list


def _ops_with_body() -> list[tuple[str, str]]:
    return sorted(
        (method.upper(), path)
        for path, ops in _schema()["paths"].items()
        for method, op in ops.items()
        if _body_fields(op) is not None
    )


def _names(detail, field: str) -> bool:
    """Whether a 422 detail names `field` (ninja's `loc`, or our `field`)."""
    for item in detail if isinstance(detail, list) else [detail]:
        if isinstance(item, dict) and (field in item.get("loc", []) or item.get("field", "").endswith(field)):
            return True
    return False


def test_every_operation_with_a_body_is_walked():
    assert _ops_with_body(), "the schema lists operations with a JSON body"
    assert set(_ops_with_body()) <= set(API), "each needs a table entry (tests/route_tables)"


@pytest.mark.parametrize("op", _ops_with_body(), ids=" ".join)
def test_unknown_and_forbidden_fields_are_refused_naming_the_field(w, op):
    method, path = op
    properties, is_list = _body_fields(_schema()["paths"][path][method.lower()])
    call = API[op]
    client = _bearer(_rightful_user(w, call))
    url = re.sub(r"\{(\w+)\}", lambda m: _sample(m.group(1), "e1", path), path)
    good = _fill_data(call.data, "e1", path)
    tried = [f for f in FORBIDDEN if f not in properties]
    assert len(tried) >= 8, (op, "most forbidden names are real fields here: choose others")
    audit_rows = AuditEntry.objects.count()
    for field in tried:
        value = FORBIDDEN[field]
        body = [{**item, field: value} for item in good] if is_list else {**good, field: value}
        response = client.generic(method, url, data=json.dumps(body), content_type="application/json")
        if is_list:  # the batch answers per item
            assert response.status_code == 200, (op, field, response.content[:300])
            (item,) = response.json()
            assert item["status"] == 422 and _names(item.get("errors") or item.get("detail"), field), (
                op,
                field,
                item,
            )
        else:
            assert response.status_code == 422, (op, field, response.status_code, response.content[:300])
            assert _names(response.json()["detail"], field), (op, field, response.json())
    assert AuditEntry.objects.count() == audit_rows, (op, "a refused body changed something")
