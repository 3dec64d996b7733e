"""Small row operations of the runner: the session a request goes to, a failure that must not raise."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sftui.errors import NotFoundError

log = logging.getLogger(__name__)


async def fail_quietly(generation_id: str, error: str) -> None:
    from sftui.db import fail_generation

    try:
        await asyncio.to_thread(lambda: fail_generation(generation_id, error=error))
    except Exception:  # the database itself may be what failed
        log.exception("generation %s: could not record the failure", generation_id)


def session_for(ref: str | None) -> Any:
    from sftui.db import create_session, find_session, list_sessions
    from sftui.db.common import write_transaction

    # One write transaction: two processes looking for the same new session make only one.
    with write_transaction():
        if ref:
            try:
                return find_session(ref)
            except NotFoundError:
                return create_session(title=ref)
        sessions = list_sessions(limit=1)  # the most recently active, however many there are
        return sessions[0] if sessions else create_session()
