"""The generation service's running half: store → submit → track → persist → outputs.

One ``GenerationRunner`` owns one client and one WebSocket for many generations. The
TUI keeps one open for its lifetime; ``generate()`` (the CLI) opens one per call.

Each generation is driven by one task from its row to its end. What happens when the
server no longer knows a prompt (the rules, also applied at start-up by ``reconcile``):

1. The server knows it: ``/history`` gives completed (outputs downloaded), failed with
   the server's error, or failed "interrupted"; in ``/queue`` it is followed on.
2. Unknown, and it had started (we saw ``execution_start`` or any later event, so the
   row is ``running``): failed with ``LOST_MESSAGE``, ``error_details.retryable``.
3. Unknown, never started, its prompt id is a first submission, and the socket dropped
   since it was posted (a restart is the likely cause): posted again, exactly once,
   from the stored snapshot under a derived id (see ``submission``).
4. Unknown, never started, already a resubmission: failed with ``LOST_MESSAGE``, retryable.
5. Unknown, never started, the socket never dropped: someone deleted it from the shared
   queue, so it is not forced back: failed with ``DROPPED_MESSAGE``, retryable.
A cancelled generation is never resubmitted. ``retry()`` reposts a failed one's snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from pathlib import Path
from typing import Any, Callable

from sftui.comfy.httpio import display_url
from sftui.errors import ConflictError, NotFoundError, SftuiError
from sftui.generation import events as ev
from sftui.generation.events import EventSink
from sftui.generation.lease import ClientLease
from sftui.generation.rows import fail_quietly, session_for
from sftui.generation.service import GenerateRequest, GenerationPlanner, Plan, PreparedGeneration
from sftui.generation.submission import (
    is_resubmission,
    new_prompt_id,
    post_generation,
    resubmission_id,
    snapshot_of,
    withdraw,
)
from sftui.generation.tracking import emit_final, finish, follow, lost_failure

log = logging.getLogger(__name__)

CANCELLED = "cancelled by the user"
#: Posts that surely never reached the server are tried again this often (TUI mode).
UNDELIVERED_ATTEMPTS = 5


class GenerationRunner:
    def __init__(
        self,
        *,
        db_path: Path,
        client: Any,
        sink: EventSink | None = None,
        on_connection: Callable[[Any], None] | None = None,
        rng: random.Random | None = None,
        require_connection: bool = True,
        backoff: Any = None,
        adopt_poll: float = 1.0,
    ) -> None:
        self.db_path = Path(db_path)
        self.data_dir = self.db_path.parent
        self.client = client
        self.sink: EventSink = sink or (lambda _e: None)
        self.on_connection = on_connection
        self.planner = GenerationPlanner(client=client, rng=rng)
        #: The CLI wants a clear error when the server is down (and fails what it cannot
        #: post); the TUI starts anyway, stores generations and posts them once connected.
        self.require_connection = require_connection
        self.backoff = backoff
        #: Prompts posted by another (dead) process report to nobody's socket: poll them.
        self.adopt_poll = adopt_poll
        self._watcher: Any = None
        self._lease: ClientLease | None = None
        self._tasks: dict[str, asyncio.Task] = {}
        self._prompt_ids: dict[str, str] = {}
        #: Disconnects counted when each prompt was posted (-1: unknown, e.g. adopted); rule 3 vs 5.
        self._posted_at: dict[str, int] = {}
        self._polled: set[str] = set()
        self._cancelling: set[str] = set()
        self._background: list[asyncio.Task] = []
        self._post_lock = asyncio.Lock()
        self._state_changed = asyncio.Event()
        self._disconnects = 0

    async def __aenter__(self) -> "GenerationRunner":
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    async def start(self) -> None:
        from sftui.comfy.tracker import ComfyWatcher

        # Held before any row carries our client id, so reconciliation elsewhere leaves them be.
        self._lease = await asyncio.to_thread(ClientLease.acquire, self.data_dir, self.client.client_id)
        kwargs = {"backoff": self.backoff} if self.backoff is not None else {}
        watcher = ComfyWatcher(self.client, require_connection=self.require_connection, **kwargs)
        try:
            await watcher.__aenter__()
        except BaseException:
            self._lease.release()
            self._lease = None
            raise
        self._watcher = watcher
        self._background = [asyncio.create_task(self._follow_connection()), asyncio.create_task(self._poll_adopted())]

    async def stop(self) -> None:
        """Stop following; generations still on the server stay unfinished, for reconciliation."""
        tasks = [*self._tasks.values(), *self._background]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._watcher is not None:
            await self._watcher.__aexit__(None, None, None)
            self._watcher = None
        if self._lease is not None:
            self._lease.release()
            self._lease = None

    @property
    def connected(self) -> bool:
        return self._watcher is not None and self._watcher.state.status == "connected"

    @property
    def active(self) -> list[str]:
        return [gid for gid, task in self._tasks.items() if not task.done()]

    async def _follow_connection(self) -> None:
        was_connected = False
        async for state in self._watcher.connection_events():
            if was_connected and state.status != "connected":
                self._disconnects += 1
            was_connected = state.status == "connected"
            self._state_changed.set()
            if self.on_connection is not None:
                try:
                    self.on_connection(state)
                except Exception:  # a listener's bug must not stop posting on reconnect
                    log.exception("the connection listener failed")

    async def _wait_connected(self) -> None:
        while True:
            self._state_changed.clear()
            if self.connected:
                return
            await self._state_changed.wait()

    async def _poll_adopted(self) -> None:
        while True:
            await asyncio.sleep(self.adopt_poll)
            if self._polled and self.connected:
                try:
                    await self._watcher.refresh(list(self._polled))
                except Exception:
                    log.exception("polling adopted prompts failed")

    # -- submitting -----------------------------------------------------------
    async def submit(self, request: GenerateRequest) -> tuple[list[Any], list[str]]:
        """Plan (nothing stored if that fails), then store and submit each generation.

        Returns the rows as they are after submission (pending, or failed when the server
        rejected them; pending without a prompt id while disconnected) and the warnings.
        Progress and the end arrive through ``sink``.
        """
        return await self.submit_plan(await self.planner.plan(request), request.session)

    async def submit_plan(self, plan: Plan, session_ref: str | None) -> tuple[list[Any], list[str]]:
        session = await asyncio.to_thread(session_for, session_ref)
        rows = []
        for item in plan.items:
            rows.append(await self._store_and_submit(session.id, plan, item))
        return rows, plan.warnings

    async def _store_and_submit(self, session_id: str, plan: Plan, item: PreparedGeneration) -> Any:
        from sftui.db import create_generation

        gen = await asyncio.to_thread(
            lambda: create_generation(
                session_id=session_id,
                prompt_text=plan.prompt_text,
                negative_prompt=plan.negative_prompt,
                parameters=item.parameters,
                workflow_json_snapshot=json.dumps(item.prompt, ensure_ascii=False),
                workflow_id=plan.workflow.workflow_id,
                workflow_ui_snapshot=json.dumps(plan.workflow.ui_graph, ensure_ascii=False) if plan.workflow.ui_graph else None,
                batch_index=item.batch_index,
                server_url=display_url(self.client.base_url),
                client_id=self.client.client_id,
            )
        )
        return await self._launch(gen)

    async def _launch(self, gen: Any) -> Any:
        """Drive a pending row without a prompt id; returns it after its first post when connected."""
        from sftui.db import get_generation

        posted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._start_driving(gen, posted)
        if not self.connected and not self.require_connection:
            self.sink(ev.queued(gen))
            return gen
        await asyncio.shield(posted)
        return await asyncio.to_thread(get_generation, gen.id)

    def adopt(self, generation: Any) -> None:
        """Follow a generation another process posted (from ``reconcile``) to its end."""
        if generation.id in self._tasks and not self._tasks[generation.id].done():
            return
        if not generation.prompt_id:
            raise ConflictError(f"generation {generation.id} has no prompt id to follow")
        self._polled.add(generation.prompt_id)
        self._start_driving(generation, None)

    def _start_driving(self, gen: Any, posted: asyncio.Future | None) -> None:
        task = asyncio.create_task(self._drive(gen, posted=posted))
        self._tasks[gen.id] = task

        def forget(done: asyncio.Task) -> None:
            # A long TUI session drives thousands; keep only what still runs.
            if self._tasks.get(gen.id) is done:
                del self._tasks[gen.id]
                prompt_id = self._prompt_ids.pop(gen.id, None)
                self._posted_at.pop(prompt_id or "", None)

        task.add_done_callback(forget)

    async def retry(self, generation_id: str) -> Any:
        """Post a failed generation again: its stored snapshot, unchanged (same seed)."""
        from sftui.db import get_generation, requeue_generation

        gen = await asyncio.to_thread(get_generation, generation_id)
        snapshot_of(gen)  # refuse before changing anything
        if gen.status != "failed":
            raise ConflictError(f"generation {generation_id} is {gen.status}; only a failed generation can be retried")
        requeued = await asyncio.to_thread(requeue_generation, generation_id)
        if requeued is None:
            raise ConflictError(f"generation {generation_id} changed while it was being retried")
        return await self._launch(requeued)

    # -- driving one generation -------------------------------------------------
    async def _drive(self, gen: Any, *, posted: asyncio.Future | None) -> None:
        from sftui.db import get_generation

        try:
            prompt = snapshot_of(gen)
            if gen.prompt_id is None:
                handle = await self._post(gen, expected=None, prompt_id=new_prompt_id())
                if handle is not None:
                    self.sink(ev.queued(await asyncio.to_thread(get_generation, gen.id)))
            else:
                handle = self._track(gen.id, gen.prompt_id, fresh=False)
            if posted is not None and not posted.done():
                posted.set_result(None)
            while handle is not None:
                outcome = await follow(gen, handle, prompt, self.sink)
                self._polled.discard(outcome.prompt_id)
                if gen.id in self._cancelling and outcome.status in ("lost", "interrupted"):
                    break
                if outcome.status != "lost":
                    await finish(gen, outcome, self.client, self.data_dir)
                    break
                handle = await self._after_lost(gen, outcome.prompt_id)
        except SftuiError as exc:
            await fail_quietly(gen.id, exc.message)
        except Exception as exc:  # a bug must not leave the row running forever
            log.exception("generation %s: following it failed", gen.id)
            await fail_quietly(gen.id, f"sftui could not follow this generation: {type(exc).__name__}: {exc}")
        finally:
            if posted is not None and not posted.done():
                posted.set_result(None)
        if gen.id not in self._cancelling:
            await emit_final(gen.id, self.sink)

    def _track(self, gen_id: str, prompt_id: str, *, fresh: bool) -> Any:
        old = self._prompt_ids.get(gen_id)
        if old is not None:
            self._posted_at.pop(old, None)
        self._prompt_ids[gen_id] = prompt_id
        self._posted_at[prompt_id] = self._disconnects if fresh else -1
        return self._watcher.track(prompt_id)

    async def _post(self, gen: Any, *, expected: str | None, prompt_id: str) -> Any:
        """Post in submission order once connected; the handle to follow, or None if it ended."""
        from sftui.db import fail_generation

        for attempt in range(1, UNDELIVERED_ATTEMPTS + 1):
            async with self._post_lock:
                await self._wait_connected()
                result = await post_generation(gen, self.client, expected=expected, prompt_id=prompt_id)
            if result.status == "queued":
                return self._track(gen.id, result.prompt_id, fresh=True)
            if result.status in ("rejected", "superseded"):
                return None
            assert result.error is not None
            if self.require_connection or attempt == UNDELIVERED_ATTEMPTS:
                await asyncio.to_thread(lambda: fail_generation(gen.id, error=result.error.message, error_details={"code": result.error.code}))
                return None
            if result.status == "uncertain":
                # It may have arrived: ask the server (now, and again after each reconnect).
                handle = self._track(gen.id, prompt_id, fresh=False)
                self._spawn(self._watcher.refresh([prompt_id]))
                return handle
            expected = prompt_id  # our claim stands; the same id goes again
            log.info("post of generation %s did not reach the server (%s); retrying", gen.id, result.error.message)
            await asyncio.sleep(min(5.0, 0.25 * 2**attempt))
        return None

    async def _after_lost(self, gen: Any, lost_id: str) -> Any:
        from sftui.db import fail_generation, get_generation

        row = await asyncio.to_thread(get_generation, gen.id)
        if row.status != "pending" or row.prompt_id != lost_id:
            if row.status == "running" and row.prompt_id == lost_id:
                error, details = lost_failure()
                await asyncio.to_thread(lambda: fail_generation(gen.id, error=error, error_details=details))
            return None  # rule 2, or another process moved it on
        dropped = self._posted_at.get(lost_id, -1) == self._disconnects
        if is_resubmission(lost_id) or dropped:
            error, details = lost_failure(dropped=dropped and not is_resubmission(lost_id))
            await asyncio.to_thread(lambda: fail_generation(gen.id, error=error, error_details=details))
            return None
        new_id = resubmission_id(gen.id, lost_id)
        log.info("generation %s: the server lost prompt %s before it started; posting it again as %s", gen.id, lost_id, new_id)
        return await self._post(row, expected=lost_id, prompt_id=new_id)

    # -- waiting and cancelling -------------------------------------------------
    async def wait(self, generation_ids: list[str]) -> list[Any]:
        from sftui.db import get_generation

        tasks = [self._tasks[gid] for gid in generation_ids if gid in self._tasks]
        await asyncio.gather(*tasks, return_exceptions=True)
        return [await asyncio.to_thread(get_generation, gid) for gid in generation_ids]

    async def cancel(self, generation_id: str) -> None:
        """Targeted interrupt if it runs, queue delete if it waits; the row ends failed ("cancelled")."""
        from sftui.db import fail_generation, get_generation

        task = self._tasks.get(generation_id)
        if task is None or task.done():
            raise NotFoundError(f"generation {generation_id} is not running in this session")
        self._cancelling.add(generation_id)
        try:
            prompt_id = self._prompt_ids.get(generation_id) or (await asyncio.to_thread(get_generation, generation_id)).prompt_id
            if prompt_id and self.connected:
                await withdraw(self.client, prompt_id)
                # A deleted prompt never reports back: asking now ends it at once.
                await self._watcher.refresh([prompt_id])
                with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                    # An interrupt lands at the next step.
                    await asyncio.wait_for(asyncio.shield(task), timeout=3)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            row = await asyncio.to_thread(get_generation, generation_id)
            if row.status in ("pending", "running") and row.prompt_id not in (None, prompt_id) and self.connected:
                await withdraw(self.client, row.prompt_id)  # posted while we were cancelling
            await asyncio.to_thread(lambda: fail_generation(generation_id, error=CANCELLED))
            await emit_final(generation_id, self.sink)
        finally:
            self._cancelling.discard(generation_id)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._background.append(task)
        task.add_done_callback(lambda t: self._background.remove(t) if t in self._background else None)

    async def cancel_all(self, generation_ids: list[str] | None = None) -> None:
        wanted = self.active if generation_ids is None else [gid for gid in generation_ids if gid in self.active]
        for gid in wanted:
            try:
                await self.cancel(gid)
            except SftuiError as exc:
                log.warning("could not cancel %s: %s", gid, exc)

    async def refresh(self) -> None:
        """Ask the server now how every followed prompt stands (the watcher also does this by itself)."""
        if self._watcher is not None:
            await self._watcher.refresh()

    # -- start-up -------------------------------------------------------------------
    async def reconcile(self) -> Any:
        """Settle what earlier (dead) processes left unfinished; follow what still runs."""
        from sftui.generation.reconcile import reconcile_unfinished

        report = await reconcile_unfinished(self.db_path, self.client, sink=self.sink)
        for gen in report.adopt:
            self.adopt(gen)
        return report
