import pytest

from tests.factories import World, world


@pytest.fixture(autouse=True)
def _fresh_rules_cache():
    """The card rules are cached per process for a few seconds; each test starts from its database."""
    from fangkong.checkins.rules import forget_rules

    forget_rules()
    yield
    forget_rules()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Tests sign people in constantly; the production hasher is deliberately slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def w(db) -> World:
    """The named personas (see tests/factories.py)."""
    return world()
