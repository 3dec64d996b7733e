"""Where a generation's images go on disk, safe from whatever names the server sends."""

from __future__ import annotations

import logging
import re
import unicodedata
from pathlib import Path, PurePosixPath, PureWindowsPath

log = logging.getLogger(__name__)

MAX_NAME_BYTES = 200
# Controls (C0, DEL, C1) and bidi overrides/isolates: "evil\u202egnp.exe" must not pose as a PNG.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069<>:\"|?*\\\\/]")


def safe_filename(name: str, *, fallback: str) -> str:
    """A plain file name from a server-supplied one: no directories, no controls, bounded length.

    ``..``, absolute paths, NUL and huge names are never honoured; the reason is logged.
    """
    original = name
    name = PureWindowsPath(PurePosixPath(str(name)).name).name  # drop any directory part, either style
    name = unicodedata.normalize("NFC", _UNSAFE.sub("_", name)).strip(" .")
    if not name:
        log.warning("server sent an unusable output filename %r; using %s", original, fallback)
        return fallback
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:16] if dot else ""
        keep = stem if dot else name
        while len((keep + dot + ext).encode("utf-8")) > MAX_NAME_BYTES:
            keep = keep[: max(1, len(keep) - 16)]
        log.warning("server sent an output filename of %d bytes; shortened", len(original.encode("utf-8", "replace")))
        name = keep + dot + ext
    if name != original:
        log.info("output filename %r stored as %r", original, name)
    return name


def generation_dir(data_dir: Path, session_id: str, generation_id: str) -> Path:
    return data_dir / "outputs" / session_id / generation_id


def output_destinations(data_dir: Path, session_id: str, generation_id: str, filenames: list[str]) -> list[Path]:
    """One destination per output, unique within the generation, always inside its folder."""
    folder = generation_dir(data_dir, session_id, generation_id)
    taken: set[str] = set()
    out = []
    for index, raw in enumerate(filenames):
        name = safe_filename(raw, fallback=f"output_{index:03d}.png")
        if name.lower().endswith(".part"):
            name += "_"  # ".part" marks an unfinished download, which the start-up sweep removes
        stem, dot, ext = name.rpartition(".")
        candidate, n = name, 1
        while candidate.lower() in taken:
            candidate = f"{stem or name}_{n}{dot}{ext}" if dot else f"{name}_{n}"
            n += 1
        taken.add(candidate.lower())
        dest = (folder / candidate).resolve()
        if folder.resolve() not in dest.parents:  # defence in depth; safe_filename already guarantees it
            raise ValueError(f"refusing output path outside {folder}: {dest}")
        out.append(dest)
    return out
