"""The tests' own waits: a wait that times out fails the test, naming what it waited for."""

from __future__ import annotations

import pytest

from tests.waits import WaitTimeout, eventually


async def test_eventually_returns_the_first_truthy_value() -> None:
    calls = []

    async def third_time() -> list[int]:
        calls.append(1)
        return calls if len(calls) >= 3 else []

    assert await eventually(third_time, "three calls", timeout=5, every=0.01) == [1, 1, 1]


async def test_eventually_raises_naming_what_and_the_last_value() -> None:
    async def never() -> dict:
        return {}

    with pytest.raises(WaitTimeout, match=r"the thing: not so within 0\.1s; last seen: \{\}"):
        await eventually(never, "the thing", timeout=0.1, every=0.02)
    assert issubclass(WaitTimeout, AssertionError)  # pytest reports it as a failed test
