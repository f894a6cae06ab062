import pytest


@pytest.fixture(autouse=True)
def _evidence_in_tmp(settings, tmp_path):
    """Evidence files go to a temporary MEDIA_ROOT, not var/media."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
