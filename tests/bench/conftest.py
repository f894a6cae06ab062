"""Tests here marked `slow` (the `fangkong bench` smoke run) are skipped unless asked for:
`pytest tests/bench --runslow`, or FANGKONG_RUN_SLOW=1 in the environment (any invocation)."""

import os
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_addoption(parser):
    # Registered only when this directory is named on the command line (`pytest tests/bench`).
    parser.addoption("--runslow", action="store_true", default=False, help="run tests marked slow")


def _wanted(config) -> bool:
    if os.environ.get("FANGKONG_RUN_SLOW") == "1":
        return True
    try:
        return bool(config.getoption("--runslow"))
    except ValueError:
        return False


def pytest_collection_modifyitems(config, items):
    if _wanted(config):
        return
    skip = pytest.mark.skip(reason="slow: run with `pytest tests/bench --runslow` or FANGKONG_RUN_SLOW=1")
    for item in items:
        if "slow" in item.keywords and HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(skip)
