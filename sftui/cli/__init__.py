"""Headless commands. Nothing here imports Textual, and heavy modules load per command.

``sftui --help`` must stay fast (it is benchmarked), so this module imports only
argparse (the grammar is in ``parser``); each handler is named as ``"module:function"``
and imported when it runs.
"""

from __future__ import annotations

import argparse
import atexit
import gc
import importlib
import os
import sys
from typing import Callable

from sftui.cli import gcpause
from sftui.cli.parser import Handler, build_parser, parse

__all__ = ["build_parser", "end_process", "resolve_handler", "run"]


def resolve_handler(name: Handler) -> Callable[[argparse.Namespace], int | None]:
    module, func = name.split(":")
    return getattr(importlib.import_module(module), func)


def _at_exit() -> None:
    """Close the database, then spare the interpreter its final garbage collection.

    At exit CPython collects every object still alive (~60 ms after a ``generate``,
    which holds pydantic, httpx and peewee). Nothing needs that: the process ends and
    the OS takes the memory back. Freezing moves every object out of the collector's
    reach; objects still get their reference-counted teardown. The database is closed
    first and explicitly, so its WAL checkpoint never depends on the collector.
    """
    db = sys.modules.get("sftui.db.connection")
    if db is not None:
        db.close_database()
    gc.freeze()


_exit_hook = False
_GENERATE = "sftui.cli.cmd_generate:generate"


def end_process(code: int) -> None:
    """End a process that ran one headless command, without the interpreter's teardown.

    After the exit hooks, CPython still deallocates every module and object one by one
    (~10 ms after a ``generate``, which holds pydantic, httpx and peewee; the collector's
    pass is already spared by ``_at_exit``). Nothing needs that: so the hooks run here
    (ours closes the database, logging's flushes the log, any caller's runs as usual),
    stdout and stderr are flushed, and the process ends with ``code``.

    Returns, leaving the ordinary exit to Python, whenever that could differ: the TUI
    ran (no hook registered), another thread is still alive (the interpreter would
    wait for it), or a flush fails (Python reports that and exits 120).
    """
    threading = sys.modules.get("threading")  # not imported: no other thread was started by it
    if not _exit_hook or (threading is not None and threading.active_count() > 1):
        return
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(code & 0xFF)


def run(argv: list[str]) -> int:
    global _exit_hook
    # Start-up (parsing, then generate's imports before the handler runs) without the
    # collector: see gcpause. generate resumes it once its prompts are posted; any other
    # command gets it back as soon as it is known.
    gcpause.pause()
    try:
        args = parse(argv)
        handler = getattr(args, "handler", None)
        if handler != _GENERATE:
            gcpause.restore()
        if handler is None:
            handler = "sftui.cli.cmd_misc:tui"
        elif not _exit_hook:
            # Headless commands only: the TUI's worker threads may still use the database at exit.
            atexit.register(_at_exit)
            _exit_hook = True
        from sftui.cli.errors import guarded
        from sftui.config import log_path
        from sftui.logs import setup_logging

        setup_logging(log_path())
        return guarded(lambda: resolve_handler(handler)(args), as_json=bool(getattr(args, "json", False)))
    finally:
        gcpause.restore()
