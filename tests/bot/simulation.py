"""Long simulations (a year of days) run once per backend and shared by a module's tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import pytest

T = TypeVar("T")


class OncePerBackend(Generic[T]):
    """A simulation's record per backend: made by the first test that asks, shared after.

    The simulation takes most of its module's time. A failed one fails the first test with
    its own error and the others with a pointer to it.
    """

    def __init__(self) -> None:
        self._records: dict[str, T | BaseException] = {}

    async def get(self, backend: str, simulate: Callable[[], Awaitable[T]]) -> T:
        """Return the backend's record, simulating it if no test has yet."""
        record = self._records.get(backend)
        if record is None:
            try:
                record = await simulate()
            except BaseException as error:
                self._records[backend] = error
                raise
            self._records[backend] = record
        if isinstance(record, BaseException):
            pytest.fail(f"the simulated year failed earlier: {record!r}", pytrace=False)
        return record
