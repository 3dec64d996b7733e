"""Saving files the user asked for (JSON, images): atomic, and never overwriting by surprise.

No Textual here: the screens call these from thread workers.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from sftui.errors import ConflictError, UsageError


def resolve_target(text: str) -> Path:
    """The path a user typed (``~`` expanded, relative to the working directory)."""
    text = text.strip()
    if not text:
        raise UsageError("give a file path to save to")
    return Path(text).expanduser().resolve()


def _check_target(path: Path, overwrite: bool) -> None:
    if path.is_dir():
        raise UsageError(f"{path} is a directory; give a file name")
    if path.exists() and not overwrite:
        raise ConflictError(f"{path} already exists")
    if not path.parent.is_dir():
        raise UsageError(f"cannot save to {path}: folder {path.parent} does not exist")


def _replace_from(path: Path, fill) -> None:  # type: ignore[no-untyped-def]
    # Write next to the target, then rename: a reader never sees half a file.
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            fill(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes, *, overwrite: bool = False) -> Path:
    """Write ``data`` to ``path`` (ConflictError if it exists and not ``overwrite``)."""
    _check_target(path, overwrite)
    try:
        _replace_from(path, lambda handle: handle.write(data))
    except OSError as exc:
        raise UsageError(f"cannot save {path}: {exc.strerror or exc}") from None
    return path


def copy_atomic(source: Path, path: Path, *, overwrite: bool = False) -> Path:
    """Copy ``source`` to ``path`` with the same guarantees as ``write_atomic``."""
    if source.resolve() == path:
        raise UsageError(f"{path} is the image itself; choose another name")
    _check_target(path, overwrite)
    try:
        with source.open("rb") as reader:
            _replace_from(path, lambda handle: shutil.copyfileobj(reader, handle))
    except FileNotFoundError:
        raise UsageError(f"cannot copy {source}: it no longer exists") from None
    except OSError as exc:
        raise UsageError(f"cannot save {path}: {exc.strerror or exc}") from None
    return path


def is_remote_session() -> bool:
    """Over SSH a local viewer would open on the server, not in front of the user."""
    return bool(os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"))


def system_opener() -> list[str]:
    if sys.platform == "darwin":
        return ["open"]
    if sys.platform.startswith("win"):
        return ["explorer"]
    return ["xdg-open"]


#: A viewer still running after this long has launched (some openers stay in the foreground).
LAUNCH_GRACE = 2.0


def open_with_system_viewer(path: Path, opener: list[str] | None = None) -> None:
    """Hand ``path`` to the desktop's viewer; UsageError with the reason when that fails."""
    command = [*(opener or system_opener()), str(path)]
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True)
        except FileNotFoundError:
            raise UsageError(f"cannot open {path}: {command[0]} is not installed") from None
        except OSError as exc:
            raise UsageError(f"cannot open {path}: {exc.strerror or exc}") from None
        try:
            code = process.wait(timeout=LAUNCH_GRACE)
        except subprocess.TimeoutExpired:
            return
        if code != 0:
            errors.seek(0)
            detail = " ".join(errors.read(4096).decode("utf-8", "replace").split())[:200]
            raise UsageError(f"cannot open {path}: {command[0]} failed ({detail or f'exit status {code}'})")
