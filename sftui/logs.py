"""A rotating log file in the data dir. Prompts stay out of it unless the user opts in."""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

_configured: Path | None = None


def setup_logging(path: Path, *, level: int = logging.INFO) -> None:
    global _configured
    if _configured == path:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(path, maxBytes=2 * 2**20, backupCount=3, encoding="utf-8")
    except OSError:
        # A read-only home must not stop the app; logging is a convenience.
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("sftui")
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if os.environ.get("SFTUI_DEBUG") else level)
    root.propagate = False
    _configured = path
