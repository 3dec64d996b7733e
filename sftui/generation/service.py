"""The generation service: §5.3 "Create Generation" from request to stored outputs.

create → submit → track → persist → outputs. Every step that can fail before the
first row is written (server unreachable, bad workflow, bad parameter) fails before
it, so a rejected request leaves nothing behind; every row written ends completed or
failed, never pending or running, unless the process itself dies (start-up
reconciliation handles that).
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sftui.errors import ServerError, SftuiError, UsageError, WorkflowError
from sftui.generation import events as ev
from sftui.generation.events import EventSink
from sftui.generation.source import ResolvedWorkflow, resolve_workflow
from sftui.generation.tracking import track_generation

log = logging.getLogger(__name__)

MAX_COUNT = 1000


@dataclass
class GenerateRequest:
    prompt_text: str = ""
    negative_prompt: str | None = None
    #: Standard keys (§6.4) and custom ``"<nodeId>.<field>"`` keys.
    parameters: dict[str, Any] = field(default_factory=dict)
    session: str | None = None
    workflow: str | None = None
    workflow_json: dict | None = None
    count: int = 1


@dataclass
class PreparedGeneration:
    prompt: dict
    parameters: dict[str, Any]
    batch_index: int


@dataclass
class Plan:
    """Everything decided before the first row is written."""

    workflow: ResolvedWorkflow
    prompt_text: str
    negative_prompt: str | None
    items: list[PreparedGeneration]
    warnings: list[str]


class GenerationService:
    def __init__(self, *, db_path: Path, client: Any, rng: random.Random | None = None) -> None:
        self.db_path = Path(db_path)
        self.data_dir = self.db_path.parent
        self.client = client
        self.rng = rng or random.SystemRandom()

    # -- planning (no writes) -------------------------------------------------
    async def plan(self, request: GenerateRequest) -> Plan:
        if not 1 <= request.count <= MAX_COUNT:
            raise UsageError(f"--count must be between 1 and {MAX_COUNT}, not {request.count}")
        object_info = await self.client.get_object_info()
        workflow = await resolve_workflow(
            workflow_ref=request.workflow,
            workflow_json=request.workflow_json,
            load_object_info=self.client.get_object_info,
        )
        params = {**workflow.defaults, **request.parameters}
        if workflow.is_builtin and not params.get("checkpoint_name"):
            params["checkpoint_name"] = _first_checkpoint(object_info)
        prompt_text = request.prompt_text or workflow.prompt_text or ""
        negative = request.negative_prompt if request.negative_prompt is not None else workflow.negative_prompt
        items = self._prepare_items(workflow.api_prompt, params, prompt_text, negative, object_info, request.count)
        warnings = list(workflow.warnings)
        from sftui.workflows.validate import check_prompt

        for item in items[:1]:  # every item shares the graph; values were validated by apply
            warnings += [w.message for w in check_prompt(item.prompt, object_info, source=workflow.label)]
        return Plan(workflow, prompt_text, negative, items, warnings)

    def _prepare_items(self, api_prompt: dict, params: dict, prompt_text: str, negative: str | None, object_info: dict, count: int) -> list[PreparedGeneration]:
        from sftui.workflows.apply import apply_parameters, random_seed
        from sftui.workflows.extract import read_parameters

        base_seed = params.get("seed")
        if base_seed is None:
            base_seed = read_parameters(api_prompt).get("seed")
        elif base_seed == -1:
            base_seed = random_seed(self.rng)
        items = []
        for index in range(count):
            item_params = dict(params)
            if base_seed is not None:
                item_params["seed"] = base_seed + index
            applied = apply_parameters(
                api_prompt, item_params, prompt_text=prompt_text, negative_prompt=negative, object_info=object_info, rng=self.rng
            )
            items.append(PreparedGeneration(applied.prompt, applied.parameters, index))
        return items

    # -- running --------------------------------------------------------------
    async def generate(self, request: GenerateRequest, on_event: EventSink | None = None) -> tuple[list[Any], list[str]]:
        """Plan, store, submit and track; returns the final generations and any warnings."""
        from sftui.comfy.tracker import ComfyWatcher

        sink = on_event or (lambda _e: None)
        plan = await self.plan(request)
        session = await asyncio.to_thread(self._session_for, request.session)
        async with ComfyWatcher(self.client) as watcher:
            tracking: list[asyncio.Task] = []
            finished: list[Any] = []
            try:
                for item in plan.items:
                    gen = await self._store_and_submit(session.id, plan, item, watcher, sink, tracking)
                    if gen is not None:
                        finished.append(gen)
                results = await asyncio.gather(*tracking)
            except BaseException:
                await asyncio.shield(self._cancel_unfinished(tracking))
                raise
        ids = [g.id for g in finished] + [g.id for g in results]
        from sftui.db import get_generation

        final = [await asyncio.to_thread(get_generation, gid) for gid in ids]
        final.sort(key=lambda g: g.batch_index)
        return final, plan.warnings

    def _session_for(self, ref: str | None):
        from sftui.db import create_session, find_session, list_sessions
        from sftui.errors import NotFoundError

        if ref:
            try:
                return find_session(ref)
            except NotFoundError:
                return create_session(title=ref)
        sessions = list_sessions()
        return sessions[0] if sessions else create_session()

    async def _store_and_submit(self, session_id: str, plan: Plan, item: PreparedGeneration, watcher: Any, sink: EventSink, tracking: list) -> Any | None:
        """Insert the row, POST it, and start tracking. Returns the row if it already ended."""
        import json

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
        extra = {"sftui": {"generation_id": gen.id, "session_id": session_id}}
        if plan.workflow.ui_graph:
            extra = {"workflow": plan.workflow.ui_graph, **extra}
        try:
            queued = await self.client.queue_prompt(item.prompt, extra_pnginfo=extra)
        except SftuiError as exc:
            await self._discard_partial(exc)
            await asyncio.to_thread(lambda: fail_generation(gen.id, error=exc.message, error_details=_details(exc)))
            failed = await asyncio.to_thread(get_generation, gen.id)
            sink(ev.failed(failed))
            return failed
        handle = watcher.track(queued.prompt_id)
        await asyncio.to_thread(lambda: mark_generation_submitted(gen.id, prompt_id=queued.prompt_id))
        gen = await asyncio.to_thread(get_generation, gen.id)
        sink(ev.queued(gen))
        tracking.append(asyncio.create_task(track_generation(gen, handle, item.prompt, self.client, self.data_dir, sink)))
        return None

    async def _discard_partial(self, exc: SftuiError) -> None:
        """A 200 with node_errors queued the valid branches; sftui treats it as failed, so drop it."""
        prompt_id = exc.details.get("prompt_id") if exc.details else None
        if prompt_id:
            try:
                await self.client.delete_queued([prompt_id])
                await self.client.interrupt(prompt_id)
            except ServerError as err:
                log.warning("could not withdraw partially queued prompt %s: %s", prompt_id, err)

    async def _cancel_unfinished(self, tracking: list[asyncio.Task]) -> None:
        """Ctrl+C or a crash in the caller: withdraw our prompts and record why, bounded in time."""
        from sftui.db import fail_generation, list_unfinished_generations

        for task in tracking:
            task.cancel()
        try:
            async with asyncio.timeout(5):
                for gen in await asyncio.to_thread(list_unfinished_generations):
                    if gen.client_id != self.client.client_id:
                        continue
                    if gen.prompt_id:
                        try:
                            await self.client.delete_queued([gen.prompt_id])
                            await self.client.interrupt(gen.prompt_id)
                        except ServerError:
                            pass
                    await asyncio.to_thread(lambda g=gen: fail_generation(g.id, error="cancelled by the user"))
        except (TimeoutError, SftuiError) as exc:
            log.warning("cleanup after cancel incomplete: %s", exc)


def _first_checkpoint(object_info: dict) -> str:
    from sftui.workflows.options import build_options

    checkpoints = build_options(object_info).get("checkpoints") or []
    if not checkpoints:
        raise WorkflowError("the server lists no checkpoints (models/checkpoints is empty); pass --checkpoint NAME or add a model")
    return checkpoints[0]


def _details(exc: SftuiError) -> dict[str, Any]:
    return {"code": exc.code, **(exc.details or {})}
