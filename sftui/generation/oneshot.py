"""``sftui generate``'s path: one runner for one request, with start-up housekeeping (reconcile, sweep)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Callable

from sftui.generation.events import EventSink
from sftui.generation.runner import GenerationRunner
from sftui.generation.service import GenerateRequest

log = logging.getLogger(__name__)


async def generate(
    request: GenerateRequest,
    *,
    db_path: Path,
    client: Any,
    sink: EventSink | None = None,
    on_reconcile: Callable[[Any], None] | None = None,
    on_submitted: Callable[[], None] | None = None,
) -> tuple[list[Any], list[str]]:
    """Submit and wait for every generation of one request (the CLI's path).

    Planning comes first, so a bad request or a dead server fails before the socket
    opens and before any row exists. Then what earlier runs left unfinished is
    reconciled (``on_reconcile`` gets the report; there is none when no row was
    unfinished), and its still-running generations are awaited too. ``on_submitted``
    is called once every generation is stored and posted, before the wait. The sweep
    of orphaned output folders runs while the server works (it never touches the
    folders of generations a live process follows, ours included).
    """
    from sftui.db import any_unfinished_generations

    runner = GenerationRunner(db_path=db_path, client=client, sink=sink)
    plan = await runner.planner.plan(request)
    async with runner:
        report = await runner.reconcile() if await asyncio.to_thread(any_unfinished_generations) else None
        if report is not None and on_reconcile is not None:
            on_reconcile(report)
        rows, warnings = await runner.submit_plan(plan, request.session)
        if on_submitted is not None:
            on_submitted()
        try:
            await _sweep(runner.data_dir)
            final = await runner.wait([row.id for row in rows])
            # Left over from an earlier run but ours now: see them to their end too.
            await runner.wait([gen.id for gen in report.adopt] if report is not None else [])
        except BaseException:
            own = [row.id for row in rows]
            await asyncio.shield(asyncio.wait_for(runner.cancel_all(own), timeout=10))
            raise
    final.sort(key=lambda g: g.batch_index)
    return final, warnings


async def _sweep(data_dir: Path) -> None:
    """Remove orphaned outputs; housekeeping, so a failure is logged and the generations go on.

    After reconciling: what it failed has no files any more; what it follows is ours, so kept.
    """
    from sftui.generation.sweep import sweep_needed, sweep_orphans

    try:
        await asyncio.to_thread(lambda: sweep_orphans(data_dir, thorough=sweep_needed(data_dir)))
    except Exception:
        log.exception("the sweep of orphaned outputs failed")
