"""Start-up reconciliation: settle what a dead sftui process left unfinished.

For each pending or running generation of this database that was sent to the
client's server and whose owner (``client_id``) no longer holds its lease (see
``lease``), ownership passes to ``client`` (a compare-and-set, so two starting
processes never both take one) and then, by the rules in ``runner``:

- never posted (no prompt id): posted now;
- in ``/history``: completed with its outputs downloaded, or failed with the
  server's error, or failed "interrupted";
- in ``/queue``: left to the caller's runner (``report.adopt`` → ``runner.adopt``);
- unknown to the server: had it started, failed "lost" (retryable); if not, posted
  again once (a UUID5 prompt id says it already was: then failed "lost").

Whatever this function posts is also in ``report.adopt``. Call it while a runner on
the same client is started (it holds the client's lease), e.g. ``runner.reconcile()``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sftui.comfy.httpio import display_url
from sftui.errors import ServerError
from sftui.generation.events import EventSink
from sftui.generation.lease import ClientLease, lease_alive
from sftui.generation.submission import is_resubmission, new_prompt_id, post_generation, resubmission_id
from sftui.generation.tracking import emit_final, finish, lost_failure

log = logging.getLogger(__name__)


@dataclass
class ReconcileReport:
    completed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    submitted: list[str] = field(default_factory=list)
    resubmitted: list[str] = field(default_factory=list)
    #: Still queued or running on the server, or just (re)posted: follow with ``runner.adopt``.
    adopt: list[Any] = field(default_factory=list)
    #: Owned by a live process, or sent to another server: left alone.
    skipped: int = 0

    def summary(self) -> str:
        parts = [
            (len(self.completed), "completed"),
            (len(self.failed), "failed"),
            (len(self.adopt) - len(self.submitted) - len(self.resubmitted), "still running"),
            (len(self.submitted), "submitted"),
            (len(self.resubmitted), "resubmitted"),
        ]
        told = ", ".join(f"{n} {what}" for n, what in parts if n)
        return f"recovered generations left by an earlier run: {told}" if told else ""


async def reconcile_unfinished(db_path: Path, client: Any, *, sink: EventSink | None = None) -> ReconcileReport:
    from sftui.db import list_unfinished_generations, open_database

    data_dir = Path(db_path).parent
    sink = sink or (lambda _e: None)
    await asyncio.to_thread(open_database, db_path)
    report = ReconcileReport()
    lease = await asyncio.to_thread(ClientLease.acquire, data_dir, client.client_id)
    try:
        for gen in await asyncio.to_thread(list_unfinished_generations):
            if gen.server_url != display_url(client.base_url) or await asyncio.to_thread(lease_alive, data_dir, gen.client_id):
                report.skipped += 1
                continue
            taken = await _take_over(gen, client)
            if taken is None:
                report.skipped += 1
                continue
            await _settle(taken, client, data_dir, report, sink)
    finally:
        lease.release()
    if report.summary():
        log.info("%s", report.summary())
    return report


async def _take_over(gen: Any, client: Any) -> Any:
    from sftui.db import get_generation
    from sftui.db.generations import transfer_generation

    moved = await asyncio.to_thread(lambda: transfer_generation(gen.id, expected_client=gen.client_id, client_id=client.client_id))
    return await asyncio.to_thread(get_generation, gen.id) if moved else None


async def _settle(gen: Any, client: Any, data_dir: Path, report: ReconcileReport, sink: EventSink) -> None:
    if gen.prompt_id is None:
        await _post(gen, client, report, report.submitted, expected=None, prompt_id=new_prompt_id())
        return
    try:
        state = await _server_state(client, gen.prompt_id)
    except ServerError as exc:
        # The server cannot say now; the caller's runner follows it and asks again.
        log.warning("could not reconcile generation %s: %s", gen.id, exc.message)
        report.adopt.append(gen)
        return
    if state == "queued":
        report.adopt.append(gen)
    elif state is not None:
        await finish(gen, state, client, data_dir)
        _count(await emit_final(gen.id, sink), report)
    elif gen.status == "pending" and not is_resubmission(gen.prompt_id):
        new_id = resubmission_id(gen.id, gen.prompt_id)
        await _post(gen, client, report, report.resubmitted, expected=gen.prompt_id, prompt_id=new_id)
    else:
        from sftui.db import fail_generation

        error, details = lost_failure()
        await asyncio.to_thread(lambda: fail_generation(gen.id, error=error, error_details=details))
        _count(await emit_final(gen.id, sink), report)


async def _server_state(client: Any, prompt_id: str) -> Any:
    """A finished ``PromptOutcome``, ``"queued"``, or None when the server does not know it."""
    from sftui.comfy.prompt_state import PromptHandle, build_outcome

    for attempt in range(2):
        history = await client.get_history(prompt_id)
        if history is not None and history.outcome_status() is not None:
            return build_outcome(PromptHandle(prompt_id), history)
        if attempt == 0 and (await client.get_queue()).contains(prompt_id):
            return "queued"
        # Not queued: it may have finished between the two reads, so history once more.
    return None


async def _post(gen: Any, client: Any, report: ReconcileReport, bucket: list[str], *, expected: str | None, prompt_id: str) -> None:
    from sftui.db import get_generation

    result = await post_generation(gen, client, expected=expected, prompt_id=prompt_id)
    row = await asyncio.to_thread(get_generation, gen.id)
    if result.status == "rejected":
        report.failed.append(gen.id)
    elif result.status == "queued" or (result.status != "superseded" and row.prompt_id):
        # Queued, or maybe: the runner follows it and asks the server again on every reconnect.
        bucket.append(gen.id)
        report.adopt.append(row)


def _count(final: Any, report: ReconcileReport) -> None:
    (report.completed if final.status == "completed" else report.failed).append(final.id)
