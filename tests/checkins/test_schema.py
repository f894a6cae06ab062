"""The check-in table's keys after its indexes were narrowed (migration checkins.0008). That the
migrations hold every model change is checked by `make lint` (makemigrations --check)."""

import uuid

import pytest
from django.db.models import ProtectedError
from django.test import Client

from fangkong.checkins.actions import register_device
from fangkong.checkins.models import CheckIn


def _post(token, person):
    body = {"id": str(uuid.uuid4()), "person": person, "temperature": 36.6}
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.post("/api/v1/checkins", body, content_type="application/json")


def test_a_devices_checkins_are_found_and_a_units_are_kept(w):
    device, token = register_device("test", w.e1, "gate 1")
    assert _post(token, "A0001").status_code == 201
    stored = CheckIn.objects.get()
    assert list(CheckIn.objects.filter(device=device)) == [stored]
    assert not CheckIn.objects.filter(device__isnull=False).exclude(device=device).exists()
    with pytest.raises(ProtectedError) as refused:  # a unit with check-ins cannot be deleted
        stored.unit.delete()
    assert stored in refused.value.protected_objects
    device.delete()  # the check-in stays, without its device
    stored.refresh_from_db()
    assert stored.device_id is None
