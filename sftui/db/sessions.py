"""Sessions (design §5.2) and the cursor paging of their generations."""

from __future__ import annotations

import base64
import binascii
import json
import os
import shutil
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import peewee as pw

from sftui.db import values
from sftui.db.common import (
    get_row,
    read_transaction,
    require_dict,
    require_text,
    row_dict,
    validate,
    write_transaction,
)
from sftui.db.models import DEFAULT_PROFILE_ID, GenerationRow, ProfileRow, SessionRow, WorkflowRow
from sftui.db.schemas import Generation, GenerationParameters, Session, SessionDetail
from sftui.errors import ConflictError, DatabaseError, NotFoundError, SftuiError, UsageError

MAX_PAGE = 1000


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def _session_query() -> pw.ModelSelect:
    """Sessions with their current workflow's name: one query, no per-row counts."""
    return SessionRow.select(SessionRow, WorkflowRow.name.alias("workflow_name")).join(
        WorkflowRow, pw.JOIN.LEFT_OUTER, on=(SessionRow.current_workflow_id == WorkflowRow.id)
    )


def list_sessions(
    profile_id: str | None = None, *, limit: int | None = None, after: tuple[datetime, str] | None = None
) -> list[Session]:
    """Sessions (all, or one profile's), most recent activity first.

    ``limit`` reads one page; ``after`` is the ``(updated_at, id)`` of the last session of
    the previous page, and the page starts after it (a seek in the ``(updated_at, id)``
    index, however many sessions there are).
    """
    if limit is not None and limit < 1:
        raise UsageError(f"limit must be at least 1, not {limit}")
    query = _session_query()
    if profile_id is not None:
        query = query.where(SessionRow.profile_id == profile_id)
    if after is not None:
        updated_at, session_id = after
        position = pw.Tuple(SessionRow.updated_at, SessionRow.id)
        query = query.where(position < pw.Tuple(values.format_timestamp(updated_at), session_id))
    query = query.order_by(SessionRow.updated_at.desc(), SessionRow.id.desc())
    if limit is not None:
        query = query.limit(limit)
    with read_transaction():
        return [Session.model_validate(row) for row in query.dicts()]


def count_sessions(profile_id: str | None = None) -> int:
    query = SessionRow.select()
    if profile_id is not None:
        query = query.where(SessionRow.profile_id == profile_id)
    with read_transaction():
        return query.count()


def search_sessions(text: str, *, limit: int = 50) -> list[Session]:
    """Sessions whose title holds the characters of ``text`` in order (case-insensitive,
    as the command palette matches), most recent activity first."""
    if limit < 1:
        raise UsageError(f"limit must be at least 1, not {limit}")
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return list_sessions(limit=limit)
    escaped = ["\\" + c if c in "%_\\" else c for c in chars]
    pattern = "%" + "%".join(escaped) + "%"
    query = (
        _session_query()
        .where(pw.NodeList((SessionRow.title, pw.SQL("LIKE ? ESCAPE '\\'", (pattern,)))))
        .order_by(SessionRow.updated_at.desc(), SessionRow.id.desc())
        .limit(limit)
    )
    with read_transaction():
        return [Session.model_validate(row) for row in query.dicts()]


def get_session(session_id: str, *, limit: int = 50, before: str | None = None) -> SessionDetail:
    """A session with one page of its generations, newest first.

    ``before`` is the ``next_cursor`` of the previous page. Paging is keyed on
    ``(created_at, id)``, so rows added meanwhile neither repeat nor vanish.
    """
    return _session_page(session_id, limit, before, forward=False)


def get_session_from_oldest(session_id: str, *, limit: int = 50, after: str | None = None) -> SessionDetail:
    """A session with one page of its generations read forwards, **oldest first**.

    Without ``after`` the page starts at the session's first generation (one query,
    whatever the session's size); ``after`` is the ``next_cursor`` of the previous
    forward page, and ``next_cursor`` is None once the page reaches the newest row.
    """
    return _session_page(session_id, limit, after, forward=True)


def _session_page(session_id: str, limit: int, cursor: str | None, *, forward: bool) -> SessionDetail:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise UsageError(f"limit: expected 1..{MAX_PAGE}, got {limit!r}")
    key = None if cursor is None else decode_cursor(cursor)
    with read_transaction():
        row = _session_query().where(SessionRow.id == session_id).dicts().get_or_none()
        if row is None:
            raise NotFoundError(f"session {session_id!r} not found", details={"id": session_id})
        rows = list(_page_query(session_id, key, limit + 1, forward=forward))
    page = [Generation.model_validate(row_dict(gen)) for gen in rows[:limit]]
    next_cursor = encode_cursor(page[-1].created_at, page[-1].id) if len(rows) > limit else None
    return SessionDetail.model_validate(
        {**row, "generations": page, "total_generations": row["generation_count"], "next_cursor": next_cursor}
    )


def _page_query(session_id: str, key: tuple[str, str] | None, limit: int, *, forward: bool = False) -> pw.ModelSelect:
    query = GenerationRow.select().where(GenerationRow.session_id == session_id)
    position = pw.Tuple(GenerationRow.created_at, GenerationRow.id)
    if key is not None:
        # A row-value comparison lets SQLite seek in the (session_id, created_at, id) index.
        query = query.where(position > pw.Tuple(*key) if forward else position < pw.Tuple(*key))
    if forward:
        return query.order_by(GenerationRow.created_at.asc(), GenerationRow.id.asc()).limit(limit)
    return query.order_by(GenerationRow.created_at.desc(), GenerationRow.id.desc()).limit(limit)


def encode_cursor(created_at: datetime, generation_id: str) -> str:
    raw = json.dumps([values.format_timestamp(created_at), generation_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    """The ``(created_at text, id)`` key inside a cursor from ``encode_cursor``."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, generation_id = json.loads(raw)
        if not isinstance(created_at, str) or not isinstance(generation_id, str):
            raise ValueError
        return values.format_timestamp(values.parse_timestamp(created_at)), generation_id
    except (binascii.Error, ValueError, TypeError, DatabaseError, UnicodeDecodeError):
        raise UsageError(f"invalid page cursor {cursor!r}") from None


def find_session(ref: str) -> Session:
    """A session by id, else by exact title."""
    with read_transaction():
        row = _session_query().where(SessionRow.id == ref).dicts().get_or_none()
        if row is not None:
            return Session.model_validate(row)
        rows = list(_session_query().where(SessionRow.title == ref).order_by(SessionRow.created_at).dicts())
    if not rows:
        raise NotFoundError(f"session {ref!r} not found (no such id or title)", details={"ref": ref})
    if len(rows) > 1:
        ids = ", ".join(row["id"] for row in rows)
        raise ConflictError(f"{len(rows)} sessions are titled {ref!r}; use an id: {ids}", details={"ref": ref})
    return Session.model_validate(rows[0])


def get_session_summary(session_id: str) -> Session:
    """A session without its generations."""
    with read_transaction():
        row = _session_query().where(SessionRow.id == session_id).dicts().get_or_none()
    if row is None:
        raise NotFoundError(f"session {session_id!r} not found", details={"id": session_id})
    return Session.model_validate(row)


def create_session(
    title: str | None = None, workflow_id: str | None = None, *, profile_id: str | None = None
) -> Session:
    now = values.utcnow()
    title = default_title(now) if title is None else require_text(title, "session title")
    profile = profile_id or DEFAULT_PROFILE_ID
    session_id = values.new_id()
    with write_transaction():
        get_row(ProfileRow, profile, "profile")
        if workflow_id is not None:
            get_row(WorkflowRow, workflow_id, "workflow")
        SessionRow.insert(
            id=session_id,
            profile_id=profile,
            title=title,
            current_workflow_id=workflow_id,
            last_parameters={},
            draft={},
            generation_count=0,
            completed_count=0,
            failed_count=0,
            created_at=now,
            updated_at=now,
        ).execute()
        return get_session_summary(session_id)


def default_title(now: datetime) -> str:
    return f"Session {now.astimezone():%Y-%m-%d %H:%M}"


def update_session(
    session_id: str,
    *,
    title: str = UNSET,
    current_workflow_id: str | None = UNSET,
    last_parameters: dict[str, Any] = UNSET,
    draft: dict[str, Any] = UNSET,
) -> Session:
    """Change only the given fields. A draft alone does not count as activity (``updated_at``)."""
    columns: dict[str, Any] = {}
    if title is not UNSET:
        columns["title"] = require_text(title, "session title")
    if last_parameters is not UNSET:
        params = validate(GenerationParameters, require_dict(last_parameters, "last_parameters"), "last_parameters")
        columns["last_parameters"] = params.model_dump(mode="json")
    if draft is not UNSET:
        columns["draft"] = require_dict(draft, "draft")
    with write_transaction():
        get_row(SessionRow, session_id, "session")
        if current_workflow_id is not UNSET:
            if current_workflow_id is not None:
                get_row(WorkflowRow, current_workflow_id, "workflow")
            columns["current_workflow_id"] = current_workflow_id
        if set(columns) - {"draft"}:
            columns["updated_at"] = values.utcnow()
        if columns:
            SessionRow.update(**columns).where(SessionRow.id == session_id).execute()
        return get_session_summary(session_id)


def delete_session(session_id: str, *, data_dir: Path, progress: Callable[[int, int], None] | None = None) -> int:
    """Delete a session, its generations (by cascade) and its outputs folder; return how many generations went.

    ``progress(done, total)`` counts the generations' folders as they are removed: it is
    first called with 0 once the rows are gone (the files, removed after, take longest:
    about 17 s for 100,000 generations here).
    """
    with write_transaction():
        get_row(SessionRow, session_id, "session")
        removed = GenerationRow.select().where(GenerationRow.session_id == session_id).count()
        SessionRow.delete().where(SessionRow.id == session_id).execute()
    _remove_outputs(Path(data_dir), session_id, progress or (lambda _done, _total: None))
    return removed


#: ``progress`` of ``delete_session`` is told about this many steps at most.
PROGRESS_STEPS = 200


def _remove_outputs(data_dir: Path, session_id: str, progress: Callable[[int, int], None]) -> None:
    if Path(session_id).name != session_id or session_id in ("", ".", ".."):
        progress(0, 0)
        return  # not a plain name: it cannot be one of our folders
    folder = data_dir / "outputs" / session_id
    try:
        if folder.is_symlink():
            folder.unlink()
        if folder.is_symlink() or not folder.is_dir():
            progress(0, 0)
            return
        entries = list(os.scandir(folder))
        total = len(entries)
        step = max(1, -(-total // PROGRESS_STEPS))  # rounded up: at most PROGRESS_STEPS calls
        progress(0, total)
        for done, entry in enumerate(entries, 1):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            if done % step == 0 or done == total:
                progress(done, total)
        folder.rmdir()
    except OSError as exc:
        raise SftuiError(f"session {session_id} deleted, but its outputs folder {folder} remains: {exc}") from exc
