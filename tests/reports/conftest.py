import pytest
from django.utils import translation

from fangkong.reports.models import ReportType

from .helpers import epidemic


@pytest.fixture
def rt(db) -> ReportType:
    """The shipped daily epidemic report (loaded again if a transactional test flushed it)."""
    return epidemic()


@pytest.fixture(autouse=True)
def _english():
    """Actions called outside a request speak the default language (zh-hans); tests read English."""
    with translation.override("en"):
        yield
