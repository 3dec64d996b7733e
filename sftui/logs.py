"""A rotating log file in the data dir. Prompts stay out of it unless the user opts in.

Log lines quote what servers and files say (error bodies, frame types, file names);
the formatter escapes control characters and bidi overrides so that ``cat sftui.log``
cannot be made to run escape sequences. Prompt texts are only written when the
config says ``log_prompts = true`` (see ``prompts_logged``).
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

_configured: Path | None = None
_log_prompts = False

# Newline and tab stay (tracebacks); every other control, DEL, C1 and bidi override is escaped.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class InertFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return _UNSAFE.sub(_escape, super().format(record))


class _RotatingLog(logging.Handler):
    """A rotating file opened by the first record, not at start-up.

    ``logging.handlers`` and the open file cost a few ms that a ``sftui generate``
    would otherwise pay before its prompt is even sent; its first record comes later.
    """

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._file: logging.Handler | None = None

    def emit(self, record: logging.LogRecord) -> None:
        # Called with this handler's lock held, so the file is opened once.
        if self._file is None:
            import logging.handlers

            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = logging.handlers.RotatingFileHandler(self.path, maxBytes=2 * 2**20, backupCount=3, encoding="utf-8")
            except OSError:
                # A read-only home must not stop the app; logging is a convenience.
                self._file = logging.NullHandler()
            self._file.setFormatter(self.formatter)
        self._file.handle(record)

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        super().close()


def setup_logging(path: Path, *, level: int = logging.INFO, log_prompts: bool | None = None) -> None:
    """Log to ``path`` (rotating); ``log_prompts`` defaults to the config file's setting."""
    global _configured, _log_prompts
    _log_prompts = _config_log_prompts() if log_prompts is None else log_prompts
    if _configured == path:
        return
    handler = _RotatingLog(path)
    handler.setFormatter(InertFormatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("sftui")
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if os.environ.get("SFTUI_DEBUG") else level)
    root.propagate = False
    _configured = path


def _config_log_prompts() -> bool:
    from sftui.config import load_config
    from sftui.errors import SftuiError

    try:
        return load_config().log_prompts
    except SftuiError:
        return False  # the command itself reports a broken config file


def prompts_logged() -> bool:
    """Whether the user asked for prompt texts in the log (``log_prompts = true``)."""
    return _log_prompts
