"""Which client ids belong to a live sftui process.

Every running ``GenerationRunner`` holds an OS file lock named after its client id
for as long as it runs. The kernel drops the lock when the process dies, even by
SIGKILL, so "is this lock held?" tells start-up reconciliation whether the owner of
an unfinished generation is still following it (leave it alone) or is gone (take it
over). Lock files live in ``<data dir>/leases/``; ``sweep_orphans`` removes dead ones.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from pathlib import Path
from typing import IO

from sftui.errors import ConflictError

log = logging.getLogger(__name__)

_SAFE = re.compile(r"[^A-Za-z0-9._-]")

try:
    import fcntl

    def _try_lock(fh: IO[bytes]) -> bool:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

except ImportError:  # pragma: no cover - Windows
    import msvcrt

    def _try_lock(fh: IO[bytes]) -> bool:
        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True


def leases_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "leases"


def lease_path(data_dir: Path, client_id: str) -> Path:
    return leases_dir(data_dir) / (_SAFE.sub("_", client_id)[:100] + ".lock")


# Leases this process holds, so checking our own client id never opens a second lock.
_held: dict[Path, "ClientLease"] = {}
_held_lock = threading.Lock()


class ClientLease:
    """Holds the lock of one client id; re-entrant within the process."""

    def __init__(self, data_dir: Path, client_id: str) -> None:
        self.path = lease_path(data_dir, client_id)
        self._fh: IO[bytes] | None = None
        self._depth = 0

    @classmethod
    def acquire(cls, data_dir: Path, client_id: str) -> "ClientLease":
        path = lease_path(data_dir, client_id)
        with _held_lock:
            lease = _held.get(path)
            if lease is None:
                lease = cls(data_dir, client_id)
                lease._open()
                _held[path] = lease
            lease._depth += 1
            return lease

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+b")  # noqa: SIM115 - kept open for the lease's life
        if not _try_lock(fh):
            fh.close()
            raise ConflictError(f"another sftui process already uses client id lease {self.path}")
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()).encode())
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        with _held_lock:
            self._depth -= 1
            if self._depth > 0:
                return
            _held.pop(self.path, None)
            fh, self._fh = self._fh, None
        if fh is not None:
            # Unlink while still locked: nobody can lock a name we are about to drop.
            try:
                self.path.unlink(missing_ok=True)
            except OSError as exc:
                log.debug("could not remove lease %s: %s", self.path, exc)
            fh.close()


def lease_alive(data_dir: Path, client_id: str | None) -> bool:
    """True while a process (this one included) holds the lease of ``client_id``."""
    if not client_id:
        return False
    path = lease_path(data_dir, client_id)
    with _held_lock:
        if path in _held:
            return True
    try:
        fh = open(path, "rb")  # noqa: SIM115
    except FileNotFoundError:
        return False
    except OSError as exc:
        log.warning("cannot check lease %s (%s); assuming its owner is alive", path, exc)
        return True
    with fh:
        # Locking it ourselves would succeed only if nobody holds it; the lock goes with the close.
        return not _try_lock(fh)


def _lock_files(data_dir: Path) -> list[Path]:
    folder = leases_dir(data_dir)
    if not folder.is_dir():
        return []
    with _held_lock:
        ours = set(_held)
    return [path for path in folder.glob("*.lock") if path not in ours]


def any_dead_lease(data_dir: Path) -> bool:
    """Whether a lock file outlived its process: the sign that a sftui process died."""
    for path in _lock_files(data_dir):
        try:
            with open(path, "rb") as fh:
                if _try_lock(fh):
                    return True
        except FileNotFoundError:
            continue  # released meanwhile
        except OSError as exc:
            log.debug("cannot check lease %s: %s", path, exc)
            return True  # cannot tell: let the sweep look
    return False


def remove_dead_leases(data_dir: Path) -> int:
    """Delete lock files whose owner is gone; returns how many."""
    removed = 0
    for path in _lock_files(data_dir):
        try:
            with open(path, "rb") as fh:
                if not _try_lock(fh):
                    continue
                path.unlink(missing_ok=True)
                removed += 1
        except OSError as exc:
            log.debug("could not sweep lease %s: %s", path, exc)
    return removed
