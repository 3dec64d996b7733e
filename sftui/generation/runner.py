"""The generation service's running half: store → submit → track → persist → outputs.

One ``GenerationRunner`` owns one client and one WebSocket for many generations. The
TUI keeps one open for its lifetime; ``generate()`` (the CLI) opens one per call.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from pathlib import Path
from typing import Any, Callable

from sftui.errors import NotFoundError, ServerError, SftuiError
from sftui.generation import events as ev
from sftui.generation.events import EventSink
from sftui.generation.service import GenerateRequest, GenerationPlanner, Plan, PreparedGeneration
from sftui.generation.tracking import track_generation

log = logging.getLogger(__name__)

CANCELLED = "cancelled by the user"


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
    ) -> None:
        self.data_dir = Path(db_path).parent
        self.client = client
        self.sink: EventSink = sink or (lambda _e: None)
        self.on_connection = on_connection
        self.planner = GenerationPlanner(client=client, rng=rng)
        #: The CLI wants a clear error when the server is down; the TUI starts anyway and reconnects.
        self.require_connection = require_connection
        self._watcher: Any = None
        self._tracking: dict[str, asyncio.Task] = {}
        self._prompt_ids: dict[str, str] = {}
        self._connection_task: asyncio.Task | None = None

    async def __aenter__(self) -> "GenerationRunner":
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()

    async def start(self) -> None:
        from sftui.comfy.tracker import ComfyWatcher

        self._watcher = ComfyWatcher(self.client, require_connection=self.require_connection)
        await self._watcher.__aenter__()
        if self.on_connection is not None:
            self._connection_task = asyncio.create_task(self._forward_connection())

    async def stop(self) -> None:
        """Stop following; generations still running on the server stay as they are for reconciliation."""
        for task in [*self._tracking.values(), self._connection_task]:
            if task is not None:
                task.cancel()
        await asyncio.gather(*self._tracking.values(), return_exceptions=True)
        if self._watcher is not None:
            await self._watcher.__aexit__(None, None, None)
            self._watcher = None

    async def _forward_connection(self) -> None:
        async for state in self._watcher.connection_events():
            self.on_connection(state)

    @property
    def active(self) -> list[str]:
        return [gid for gid, task in self._tracking.items() if not task.done()]

    # -- submitting -----------------------------------------------------------
    async def submit(self, request: GenerateRequest) -> tuple[list[Any], list[str]]:
        """Plan (nothing stored if that fails), then store and submit each generation.

        Returns the rows as they are after submission (pending, or failed when the server
        rejected them) and the plan's warnings. Progress and the end arrive through ``sink``.
        """
        return await self.submit_plan(await self.planner.plan(request), request.session)

    async def submit_plan(self, plan: Plan, session_ref: str | None) -> tuple[list[Any], list[str]]:
        session = await asyncio.to_thread(_session_for, session_ref)
        rows = []
        for item in plan.items:
            rows.append(await self._store_and_submit(session.id, plan, item))
        return rows, plan.warnings

    async def _store_and_submit(self, session_id: str, plan: Plan, item: PreparedGeneration) -> Any:
        from sftui.db import create_generation, fail_generation, get_generation, mark_generation_submitted

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
                server_url=self.client.base_url,
                client_id=self.client.client_id,
            )
        )
        extra: dict[str, Any] = {"sftui": {"generation_id": gen.id, "session_id": session_id}}
        if plan.workflow.ui_graph:
            extra = {"workflow": plan.workflow.ui_graph, **extra}
        try:
            queued = await self.client.queue_prompt(item.prompt, extra_pnginfo=extra)
        except SftuiError as exc:
            await self._withdraw_partial(exc)
            await asyncio.to_thread(lambda: fail_generation(gen.id, error=exc.message, error_details={"code": exc.code, **(exc.details or {})}))
            failed = await asyncio.to_thread(get_generation, gen.id)
            self.sink(ev.failed(failed))
            return failed
        handle = self._watcher.track(queued.prompt_id)
        await asyncio.to_thread(lambda: mark_generation_submitted(gen.id, prompt_id=queued.prompt_id))
        gen = await asyncio.to_thread(get_generation, gen.id)
        self._prompt_ids[gen.id] = queued.prompt_id
        self.sink(ev.queued(gen))
        self._tracking[gen.id] = asyncio.create_task(track_generation(gen, handle, item.prompt, self.client, self.data_dir, self.sink))
        return gen

    async def _withdraw_partial(self, exc: SftuiError) -> None:
        """A 200 with node_errors queued the valid branches; sftui treats it as failed, so drop it."""
        prompt_id = (exc.details or {}).get("prompt_id")
        if prompt_id:
            try:
                await self.client.delete_queued([prompt_id])
                await self.client.interrupt(prompt_id)
            except ServerError as err:
                log.warning("could not withdraw partially queued prompt %s: %s", prompt_id, err)

    # -- waiting and cancelling -------------------------------------------------
    async def wait(self, generation_ids: list[str]) -> list[Any]:
        from sftui.db import get_generation

        tasks = [self._tracking[gid] for gid in generation_ids if gid in self._tracking]
        await asyncio.gather(*tasks, return_exceptions=True)
        return [await asyncio.to_thread(get_generation, gid) for gid in generation_ids]

    async def cancel(self, generation_id: str) -> None:
        """Targeted interrupt if it runs, queue delete if it waits; the row ends failed ("cancelled")."""
        from sftui.db import fail_generation

        prompt_id = self._prompt_ids.get(generation_id)
        if prompt_id is None:
            raise NotFoundError(f"generation {generation_id} is not running in this session")
        try:
            await self.client.delete_queued([prompt_id])
            await self.client.interrupt(prompt_id)
        except ServerError as exc:
            log.warning("cancel of %s reached the server only partly: %s", generation_id, exc)
        task = self._tracking.get(generation_id)
        if task is not None and not task.done():
            try:
                # An interrupt lands at the next step; a deleted prompt never reports back.
                await asyncio.wait_for(asyncio.shield(task), timeout=3)
            except (TimeoutError, asyncio.TimeoutError):
                task.cancel()
        await asyncio.to_thread(lambda: fail_generation(generation_id, error=CANCELLED))

    async def cancel_all(self) -> None:
        for gid in self.active:
            try:
                await self.cancel(gid)
            except SftuiError as exc:
                log.warning("could not cancel %s: %s", gid, exc)


def _session_for(ref: str | None) -> Any:
    from sftui.db import create_session, find_session, list_sessions

    if ref:
        try:
            return find_session(ref)
        except NotFoundError:
            return create_session(title=ref)
    sessions = list_sessions()
    return sessions[0] if sessions else create_session()


async def generate(request: GenerateRequest, *, db_path: Path, client: Any, sink: EventSink | None = None) -> tuple[list[Any], list[str]]:
    """Submit and wait for every generation of one request (the CLI's path).

    Planning comes first, so a bad request or a dead server fails before the socket
    opens and before any row exists.
    """
    runner = GenerationRunner(db_path=db_path, client=client, sink=sink)
    plan = await runner.planner.plan(request)
    async with runner:
        rows, warnings = await runner.submit_plan(plan, request.session)
        try:
            final = await runner.wait([row.id for row in rows])
        except BaseException:
            await asyncio.shield(asyncio.wait_for(runner.cancel_all(), timeout=10))
            raise
    final.sort(key=lambda g: g.batch_index)
    return final, warnings
