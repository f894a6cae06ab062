"""Check-in tests; `stored_values` is what the API's answers are checked against."""

from typing import Any

from fangkong.checkins.models import CheckIn


def stored_values(pk: Any) -> dict[str, Any]:
    """A stored check-in as `CheckinOut`'s values, read back from the database."""
    ci = CheckIn.objects.select_related("person").get(pk=pk)
    return {
        "id": ci.id,
        "person": ci.person.employee_no,
        "day": ci.day,
        "version": ci.version,
        "card": ci.card,
        "late": ci.late,
        "received_at": ci.received_at,
    }
