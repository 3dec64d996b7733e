"""``sftui dev …``: developer tools (``dev seed``)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sftui import config as cfg
from sftui.cli.context import Context
from sftui.cli.output import emit_json, success
from sftui.errors import UsageError


def seed(args: argparse.Namespace) -> int:
    from sftui.devtools import SeedOptions, seed_database

    ctx = Context(args)
    if args.sessions < 1:
        raise UsageError("--sessions must be at least 1")
    if args.generations < 0:
        raise UsageError("--generations must be 0 or more")
    options = SeedOptions(
        db_path=ctx.db_path,
        sizes=(args.generations,) * args.sessions,
        rng_seed=args.rng_seed,
        cache_dir=cfg.cache_dir(),
    )
    with _progress_bar() as progress:
        report = seed_database(options, progress)
    data = report.to_dict()
    if ctx.as_json:
        emit_json(success(data))
        return 0
    print(
        f"seeded {report.sessions} session(s), {report.generations} generation(s) "
        f"({report.completed} completed, {report.failed} failed), {report.output_files} output file(s), "
        f"{report.thumbnails} thumbnail(s) into {report.db_path} in {report.elapsed_seconds:.1f}s"
    )
    return 0


class _progress_bar:
    """A ``rich.progress`` bar on stderr, called as ``progress(done, total)``."""

    def __enter__(self) -> Any:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._progress = Progress(
            TextColumn("seeding"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
            console=Console(file=sys.stderr), transient=True,
        )
        self._progress.__enter__()
        self._task = self._progress.add_task("seed", total=None)
        return self

    def __call__(self, done: int, total: int) -> None:
        self._progress.update(self._task, completed=done, total=total)

    def __exit__(self, *exc: Any) -> None:
        self._progress.__exit__(*exc)
