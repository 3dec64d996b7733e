"""What the TUI was started with, and the header's view of the connection (no Textual)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class UISettings:
    """Everything the TUI was started with (command line over environment over config)."""

    server_url: str
    db_path: Path
    server_configured: bool = True
    demo: bool = False
    images: str = "auto"
    theme: str | None = None
    keymap: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    verify_tls: bool = True
    cache_dir: Path | None = None
    #: Whether the database was chosen explicitly (``--db``/``$SFTUI_DB``); the demo keeps it then.
    db_configured: bool = False

    @property
    def data_dir(self) -> Path:
        return self.db_path.parent


@dataclass(frozen=True)
class ConnectionView:
    """The header's view of the WebSocket: what it is doing and, when waiting, for how long."""

    status: Literal["connecting", "connected", "reconnecting", "closed"]
    retry_in: float | None = None
    error: str | None = None
    since: float = field(default_factory=time.monotonic)

    def seconds_left(self, now: float | None = None) -> float | None:
        if self.retry_in is None:
            return None
        return max(0.0, self.retry_in - ((now or time.monotonic()) - self.since))
