"""On-disk cache of ``GET /object_info``, one file per server URL.

The document is large (~0.5 MB for a bare install, tens of MB with many node
packs) and changes only when the server's nodes or model folders change, so it is
read from disk until the caller asks for a refresh: planning does when the cached
copy misses something, and a prompt the server rejects drops it (``forget_object_info``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_FORMAT = 1


def cache_path(cache_dir: Path, server_url: str) -> Path:
    digest = hashlib.sha256(server_url.encode("utf-8")).hexdigest()[:20]
    return cache_dir / f"object_info-{digest}.json"


def load_object_info(cache_dir: Path, server_url: str) -> dict[str, Any] | None:
    """The cached document, or ``None`` when absent, unreadable or for another server."""
    path = cache_path(cache_dir, server_url)
    try:
        with path.open("rb") as fh:
            doc = json.load(fh)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable object_info cache %s: %s", path, exc)
        return None
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT or doc.get("server") != server_url:
        return None
    data = doc.get("object_info")
    return data if isinstance(data, dict) else None


def store_object_info(cache_dir: Path, server_url: str, object_info: dict[str, Any]) -> Path | None:
    """Write atomically (temp file + rename) so a crash never leaves half a cache."""
    path = cache_path(cache_dir, server_url)
    doc = {"format": _FORMAT, "server": server_url, "fetched_at": time.time(), "object_info": object_info}
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, separators=(",", ":"))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        # A read-only cache dir costs a re-download next time, nothing more.
        log.warning("could not write object_info cache %s: %s", path, exc)
        return None
    return path


def forget_object_info(cache_dir: Path, server_url: str) -> None:
    """Drop the cached document, so the next read fetches it from the server."""
    path = cache_path(cache_dir, server_url)
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("could not remove object_info cache %s: %s", path, exc)
