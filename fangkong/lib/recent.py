"""A value each process re-reads at most every few seconds (the card rules, the legal basis): every
check-in needs it, and a change made in another process is in force everywhere within that time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Recent(Generic[T]):
    def __init__(self, load: Callable[[], T], seconds: float):
        self.load = load
        self.seconds = seconds
        self._kept: tuple[float, T] | None = None

    def get(self) -> T:
        now = time.monotonic()
        if self._kept is None or now - self._kept[0] >= self.seconds:
            self._kept = (now, self.load())
        return self._kept[1]

    def forget(self) -> None:
        """Drop this process's copy (it changed here, or a test starts)."""
        self._kept = None
