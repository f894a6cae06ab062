import pytest

from tests.factories import World, world


@pytest.fixture(autouse=True)
def _shipped_rows(request):
    """A transactional test finds the rows migrations ship (regions, report types, supply items) even
    after an earlier transactional test's flush emptied every table."""
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or bool(
        marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    )
    if transactional:
        from fangkong.org.models import Region
        from tests.factories import reload_shipped_data

        request.getfixturevalue("transactional_db")
        if not Region.objects.exists():
            reload_shipped_data()


@pytest.fixture(autouse=True)
def _fresh_rules_cache():
    """The card rules are cached per process for a few seconds; each test starts from its database."""
    from fangkong.checkins.rules import forget_rules
    from fangkong.consent.gate import forget_basis

    forget_rules()
    forget_basis()
    yield
    forget_rules()
    forget_basis()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """Tests sign people in constantly; the production hasher is deliberately slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def w(db) -> World:
    """The named personas (see tests/factories.py)."""
    return world()
