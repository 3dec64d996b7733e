from __future__ import annotations

from typing import AsyncIterator

import pytest

from tests.simulator.harness import Api, running


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    async with running() as found:
        yield found
