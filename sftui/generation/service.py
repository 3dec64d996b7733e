"""Planning a generation (§5.3 "Create Generation", the part before anything is written).

Every step that can fail before the first row is written (server unreachable, bad
workflow, bad parameter) fails here, so a rejected request leaves nothing behind.
``runner.GenerationRunner`` then stores, submits, tracks and persists.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from typing import Any

from sftui.errors import SftuiError, UsageError, WorkflowError
from sftui.generation.source import ResolvedWorkflow, resolve_workflow

log = logging.getLogger(__name__)

MAX_COUNT = 1000


@dataclass
class GenerateRequest:
    #: None = leave the workflow's own prompt text; "" = an empty prompt.
    prompt_text: str | None = None
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


class GenerationPlanner:
    def __init__(self, *, client: Any, rng: random.Random | None = None) -> None:
        self.client = client
        self.rng = rng or random.SystemRandom()

    # -- planning (no writes) -------------------------------------------------
    async def plan(self, request: GenerateRequest) -> Plan:
        """Plan against the node definitions at hand. If those came from the disk cache and
        the plan fails on them or draws warnings from them, fetch them anew and plan once
        more: a stale cached list must not refuse a model added since."""
        if not 1 <= request.count <= MAX_COUNT:
            raise UsageError(f"--count must be between 1 and {MAX_COUNT}, not {request.count}")
        consulted: list[bool] = []
        try:
            plan, checked = await self._plan(request, consulted)
        except WorkflowError:
            if not consulted or not await self._refetched():
                raise
            return (await self._plan(request, []))[0]
        if checked and await self._refetched():
            return (await self._plan(request, []))[0]
        return plan

    async def _refetched(self) -> bool:
        """Replace cached node definitions by the server's; False if they were not cached or it fails."""
        if not getattr(self.client, "object_info_cached", False):
            return False
        try:
            await self.client.get_object_info(refresh=True)
        except SftuiError as exc:
            log.info("could not refresh the cached node definitions: %s", exc.message)
            return False
        return True

    async def _plan(self, request: GenerateRequest, consulted: list[bool]) -> tuple[Plan, int]:
        """The plan, and how many of its warnings come from checking it against the node definitions.

        ``consulted`` gets an entry once node definitions are used: a failure before that
        (a missing file, bad JSON) is not theirs.
        """

        async def object_info() -> dict:
            consulted.append(True)
            return await self.client.get_object_info()

        workflow = await resolve_workflow(workflow_ref=request.workflow, workflow_json=request.workflow_json, load_object_info=object_info)
        info = await object_info()
        params = {**workflow.defaults, **request.parameters}
        if workflow.is_builtin and not params.get("checkpoint_name"):
            params["checkpoint_name"] = _first_checkpoint(info)
        prompt_text = request.prompt_text if request.prompt_text is not None else workflow.prompt_text
        negative = request.negative_prompt if request.negative_prompt is not None else workflow.negative_prompt
        items = self._prepare_items(workflow.api_prompt, params, prompt_text, negative, info, request.count)
        from sftui.workflows.validate import check_prompt

        # Every item shares the graph; values were validated by apply.
        checked = [w.message for w in check_prompt(items[0].prompt, info, source=workflow.label)]
        if prompt_text is None or negative is None:
            # Nothing given: record the workflow's own text, exactly as it will run.
            from sftui.workflows.extract import read_parameters

            found = read_parameters(items[0].prompt, info)  # the server's node definitions, as apply used
            prompt_text = found.get("prompt_text") or "" if prompt_text is None else prompt_text
            negative = found.get("negative_prompt") if negative is None else negative
        return Plan(workflow, prompt_text, negative, items, [*workflow.warnings, *checked]), len(checked)

    def _prepare_items(self, api_prompt: dict, params: dict, prompt_text: str | None, negative: str | None, object_info: dict, count: int) -> list[PreparedGeneration]:
        from sftui.workflows.apply import apply_parameters, random_seed
        from sftui.workflows.extract import read_parameters

        base_seed = params.get("seed")
        if base_seed is None:
            base_seed = read_parameters(api_prompt, object_info).get("seed")
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

def _first_checkpoint(object_info: dict) -> str:
    from sftui.workflows.options import build_options

    checkpoints = build_options(object_info).get("checkpoints") or []
    if not checkpoints:
        raise WorkflowError("the server lists no checkpoints (models/checkpoints is empty); pass --checkpoint NAME or add a model")
    return checkpoints[0]
