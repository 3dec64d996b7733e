"""Opening the one SQLite database the app uses.

Every thread gets its own connection (Peewee keeps them thread-local), each
set up with WAL, foreign keys and a busy timeout. Writes use
``BEGIN IMMEDIATE`` (see ``sftui.db.common.write_transaction``): a deferred
transaction that later tries to write can fail at once with "database is
locked" in WAL mode, while an immediate one waits its turn.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path

import peewee as pw

from sftui.db.migrations import run_migrations
from sftui.db.models import DEFAULT_PROFILE_ID, DEFAULT_PROFILE_NAME, database
from sftui.db.values import format_timestamp, utcnow
from sftui.errors import DatabaseError

BUSY_TIMEOUT_MS = 10_000

# busy_timeout first: switching to WAL itself needs a lock another process may hold.
PRAGMAS = (
    ("busy_timeout", BUSY_TIMEOUT_MS),
    ("journal_mode", "wal"),
    ("foreign_keys", 1),
    ("synchronous", "NORMAL"),
)


class _Connection(sqlite3.Connection):
    """A plain connection that can be weakly referenced (the C type cannot)."""


class TrackedSqliteDatabase(pw.SqliteDatabase):
    """Remembers the connections of all threads so ``close_database`` can close them.

    Connections of threads that have ended are collected with their thread,
    hence the weak set.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("factory", _Connection)
        # Only so close_all may close other threads' connections; each thread still uses its own.
        kwargs.setdefault("check_same_thread", False)
        super().__init__(*args, **kwargs)
        self._connections: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._connections_lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        conn = super()._connect()
        with self._connections_lock:
            self._connections.add(conn)
        return conn

    def _set_pragmas(self, conn: sqlite3.Connection) -> None:
        for name, value in self._pragmas:
            if name == "journal_mode":
                _switch_journal_mode(conn, value)
            else:
                conn.execute(f"PRAGMA {name} = {value}")

    def close_all(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
            self._connections.clear()
        for conn in connections:
            conn.close()
        self._state.reset()


def _switch_journal_mode(conn: sqlite3.Connection, mode: str) -> None:
    """Set the journal mode, retrying while another process holds the file.

    Switching to WAL needs an exclusive lock, and SQLite answers "database is
    locked" at once (without the busy handler) while another connection is
    switching or recovering, which happens when processes open a new file together.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        try:
            (current,) = conn.execute(f"PRAGMA journal_mode = {mode}").fetchone()
        except sqlite3.OperationalError as exc:
            contended = "locked" in str(exc) or "busy" in str(exc)
            if not contended or time.monotonic() > deadline:
                raise
        else:
            if current.lower() == mode.lower():
                return
            if time.monotonic() > deadline:
                raise sqlite3.OperationalError(f"could not switch to journal_mode={mode} (still {current})")
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


@dataclass(frozen=True)
class _Opened:
    path: Path
    db: TrackedSqliteDatabase


_lock = threading.Lock()
_opened: _Opened | None = None


def open_database(path: str | Path) -> pw.SqliteDatabase:
    """Open (creating and migrating if needed) the database at ``path`` and bind the models to it."""
    global _opened
    resolved = Path(path).expanduser().resolve()
    with _lock:
        if _opened is not None and _opened.path == resolved:
            return _opened.db
        _close_locked()
        db = TrackedSqliteDatabase(
            str(resolved),
            pragmas=PRAGMAS,
            timeout=BUSY_TIMEOUT_MS / 1000,
        )
        try:
            resolved.parent.mkdir(parents=True, exist_ok=True)
            run_migrations(db)
            _ensure_default_profile(db)
        except (pw.DatabaseError, OSError) as exc:
            db.close_all()
            raise DatabaseError(f"cannot open database {resolved}: {exc}") from exc
        except BaseException:
            db.close_all()
            raise
        database.initialize(db)
        _opened = _Opened(resolved, db)
        return db


def close_database() -> None:
    """Close every connection to the open database and unbind the models."""
    with _lock:
        _close_locked()


def current_database_path() -> Path | None:
    opened = _opened
    return None if opened is None else opened.path


def _close_locked() -> None:
    global _opened
    if _opened is None:
        return
    _opened.db.close_all()
    database.initialize(None)
    _opened = None


def _ensure_default_profile(db: pw.SqliteDatabase) -> None:
    select = "SELECT 1 FROM profiles WHERE id = ?"
    if db.execute_sql(select, (DEFAULT_PROFILE_ID,)).fetchone():
        return
    with db.atomic("IMMEDIATE"):
        db.execute_sql(
            "INSERT OR IGNORE INTO profiles (id, name, created_at) VALUES (?, ?, ?)",
            (DEFAULT_PROFILE_ID, DEFAULT_PROFILE_NAME, format_timestamp(utcnow())),
        )
