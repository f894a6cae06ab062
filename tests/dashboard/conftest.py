import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache():
    """The dashboard keeps past days' figures in the cache by unit id: a rolled-back test's ids come back."""
    cache.clear()
    yield
    cache.clear()
