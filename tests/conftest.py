import pytest

from tests.factories import World, world


@pytest.fixture
def w(db) -> World:
    """The named personas (see tests/factories.py)."""
    return world()
