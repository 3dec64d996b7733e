"""Remove what a crash can leave in the outputs folder, never what a live process uses.

An orphan is:

- a ``*.part`` file (a download cut short) of a generation that no live process is
  following — ``.part`` files are never outputs, only ``os.replace`` makes one;
- a generation folder ``outputs/<session>/<generation>/`` without a generation row
  (the session was deleted and the process died before removing the folder), and a
  session folder without a session row;
- a file in the folder of a finished generation that its row does not list (a failed
  generation lists none: its partial downloads go);
- a lease file of a dead process.

Folders of unfinished generations keep their complete files: reconciliation
downloads over them. Only plain names directly under ``outputs/`` are considered,
and symlinks are unlinked, never followed.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sftui.generation.lease import lease_alive, remove_dead_leases

log = logging.getLogger(__name__)

_CHUNK = 500


@dataclass
class SweepReport:
    removed: list[str] = field(default_factory=list)
    leases: int = 0
    dry_run: bool = False

    def __bool__(self) -> bool:
        return bool(self.removed or self.leases)


def sweep_orphans(data_dir: Path, *, dry_run: bool = False) -> SweepReport:
    """Needs the database of ``data_dir`` open (``open_database``).

    ``dry_run`` only lists what would go (``sftui doctor``); dead leases are not counted then.
    """
    data_dir = Path(data_dir)
    report = SweepReport(leases=0 if dry_run else remove_dead_leases(data_dir), dry_run=dry_run)
    outputs = data_dir / "outputs"
    if not outputs.is_dir() or outputs.is_symlink():
        return report
    sessions = list(outputs.iterdir())
    known_sessions = _existing_sessions([p.name for p in sessions])
    for session_dir in sessions:
        if session_dir.name not in known_sessions or not _plain_dir(session_dir):
            _remove(session_dir, data_dir, report)
            continue
        folders = list(session_dir.iterdir())
        rows = _generations([p.name for p in folders])
        for folder in folders:
            row = rows.get(folder.name)
            if row is None or row["session_id"] != session_dir.name or not _plain_dir(folder):
                _remove(folder, data_dir, report)
            else:
                _sweep_generation(folder, row, data_dir, report)
    if report.removed and not dry_run:
        log.info("removed %d orphaned output item(s): %s", len(report.removed), ", ".join(report.removed[:10]))
    return report


def _sweep_generation(folder: Path, row: dict[str, Any], data_dir: Path, report: SweepReport) -> None:
    unfinished = row["status"] in ("pending", "running")
    if unfinished and lease_alive(data_dir, row["client_id"]):
        return  # its owner may be writing right now
    listed = {str(item.get("path")) for item in row["output_files"] or [] if isinstance(item, dict)}
    for path in list(folder.iterdir()):
        relative = path.relative_to(data_dir).as_posix()
        partial = path.name.endswith(".part")
        if partial or path.is_symlink() or not path.is_file():
            _remove(path, data_dir, report)
        elif not unfinished and relative not in listed:
            _remove(path, data_dir, report)
    if not unfinished and not any(_kept(p, data_dir, report) for p in folder.iterdir()):
        _remove(folder, data_dir, report)


def _kept(path: Path, data_dir: Path, report: SweepReport) -> bool:
    # In a dry run nothing is gone, so "removed" is what the report already lists.
    return path.relative_to(data_dir).as_posix() not in report.removed


def _plain_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def _remove(path: Path, data_dir: Path, report: SweepReport) -> None:
    if report.dry_run:
        report.removed.append(path.relative_to(data_dir).as_posix())
        return
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not remove orphan %s: %s", path, exc)
        return
    report.removed.append(path.relative_to(data_dir).as_posix())


def _existing_sessions(ids: list[str]) -> set[str]:
    from sftui.db.common import read_transaction
    from sftui.db.models import SessionRow

    found: set[str] = set()
    with read_transaction():
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            found.update(row.id for row in SessionRow.select(SessionRow.id).where(SessionRow.id.in_(chunk)))
    return found


def _generations(ids: list[str]) -> dict[str, dict[str, Any]]:
    from sftui.db.common import read_transaction
    from sftui.db.models import GenerationRow

    columns = (GenerationRow.id, GenerationRow.session_id, GenerationRow.status, GenerationRow.output_files, GenerationRow.client_id)
    found: dict[str, dict[str, Any]] = {}
    with read_transaction():
        for start in range(0, len(ids), _CHUNK):
            query = GenerationRow.select(*columns).where(GenerationRow.id.in_(ids[start : start + _CHUNK]))
            found.update({row["id"]: row for row in query.dicts()})
    return found
