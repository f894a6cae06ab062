import pytest

from tests.factories import World, world


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Tests sign people in constantly; the production hasher is deliberately slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def w(db) -> World:
    """The named personas (see tests/factories.py)."""
    return world()
