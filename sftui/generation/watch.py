"""Seeing other processes' writes: what changed in a session since the last look.

The TUI polls this (from a thread worker) to show generations that another process
(``sftui generate``, a second TUI) adds or finishes, without a restart. One query on
the ``(session_id, …)`` index, and nothing returned when nothing changed.

Timestamps are taken before a writer waits for the write lock, so a row can commit
with an ``updated_at`` slightly older than one already seen. ``SessionChanges`` looks
back ``OVERLAP`` seconds and remembers what it reported, so no change is missed and
none is reported twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

OVERLAP = timedelta(seconds=15)
MAX_ROWS = 2000


def changes_since(session_id: str, since: datetime | None, *, limit: int = MAX_ROWS) -> list[Any]:
    """Generations of the session whose ``updated_at`` is at or after ``since``, oldest change first."""
    from sftui.db import Generation
    from sftui.db.common import read_transaction, row_dict
    from sftui.db.models import GenerationRow

    query = GenerationRow.select().where(GenerationRow.session_id == session_id)
    if since is not None:
        query = query.where(GenerationRow.updated_at >= since)
    query = query.order_by(GenerationRow.updated_at, GenerationRow.id).limit(limit)
    with read_transaction():
        return [Generation.model_validate(row_dict(row)) for row in query]


class SessionChanges:
    """Stateful poller for one session: ``poll()`` returns each new version of a row once."""

    def __init__(self, session_id: str, *, since: datetime | None = None) -> None:
        self.session_id = session_id
        self._since = since
        self._seen: dict[str, datetime] = {}

    def poll(self) -> list[Any]:
        start = None if self._since is None else self._since - OVERLAP
        rows = changes_since(self.session_id, start)
        fresh = [row for row in rows if self._seen.get(row.id) != row.updated_at]
        for row in rows:
            self._seen[row.id] = row.updated_at
        if rows:
            newest = rows[-1].updated_at
            self._since = newest if self._since is None else max(self._since, newest)
            # Forget what fell out of the look-back window; it cannot be returned again.
            horizon = self._since - OVERLAP
            self._seen = {gid: stamp for gid, stamp in self._seen.items() if stamp >= horizon}
        return fresh
