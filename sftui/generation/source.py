"""Which workflow a generation runs: a saved one, a file, inline JSON, or the built-in default."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable

from sftui.errors import NotFoundError, WorkflowError

ObjectInfoLoader = Callable[[], Awaitable[dict]]


@dataclass
class ResolvedWorkflow:
    api_prompt: dict
    ui_graph: dict | None = None
    workflow_id: str | None = None
    label: str = "default workflow"
    #: Parameters the workflow brings (saved defaults, A1111 infotext), applied under the user's.
    defaults: dict[str, Any] = field(default_factory=dict)
    prompt_text: str | None = None
    negative_prompt: str | None = None
    warnings: list[str] = field(default_factory=list)
    #: True for the built-in graph, which takes the server's first checkpoint.
    is_builtin: bool = False


def looks_like_path(ref: str) -> bool:
    return Path(ref).expanduser().is_file() or ref.endswith((".json", ".png", ".txt"))


async def resolve_workflow(
    *,
    workflow_ref: str | None,
    workflow_json: dict | None,
    load_object_info: ObjectInfoLoader,
) -> ResolvedWorkflow:
    from sftui.workflows.defaults import default_workflow

    if workflow_json is not None:
        return await _from_loaded(_load_inline(workflow_json), load_object_info, label="inline workflow")
    if workflow_ref:
        saved = await asyncio.to_thread(_find_saved, workflow_ref)
        if saved is not None:
            return _from_saved(saved)
        path = Path(workflow_ref).expanduser()
        if path.is_file():
            from sftui.workflows.formats import load_workflow_file

            return await _from_loaded(load_workflow_file(path), load_object_info, label=str(path))
        if looks_like_path(workflow_ref):
            raise WorkflowError(f"workflow file {workflow_ref} does not exist")
        raise NotFoundError(f"no saved workflow with id or name {workflow_ref!r} (and no such file)")
    from sftui.db import get_default_workflow

    saved = await asyncio.to_thread(get_default_workflow)
    if saved is not None:
        return _from_saved(saved)
    return ResolvedWorkflow(api_prompt=default_workflow(), is_builtin=True)


def _find_saved(ref: str):
    from sftui.db import find_workflow

    try:
        return find_workflow(ref)
    except NotFoundError:
        return None


def _from_saved(saved: Any) -> ResolvedWorkflow:
    try:
        api_prompt = json.loads(saved.workflow_json)
        ui_graph = json.loads(saved.workflow_ui_json) if saved.workflow_ui_json else None
    except json.JSONDecodeError as exc:
        raise WorkflowError(f"saved workflow {saved.name!r} ({saved.id}) holds invalid JSON: {exc}") from None
    return ResolvedWorkflow(
        api_prompt=api_prompt,
        ui_graph=ui_graph,
        workflow_id=saved.id,
        label=f"workflow {saved.name!r}",
        defaults=dict(saved.default_parameters or {}),
    )


def _load_inline(workflow_json: dict):
    from sftui.workflows.formats import load_workflow

    return load_workflow(json.dumps(workflow_json), source="inline workflow")


async def _from_loaded(loaded: Any, load_object_info: ObjectInfoLoader, *, label: str) -> ResolvedWorkflow:
    from sftui.workflows.defaults import default_workflow
    from sftui.workflows.formats import given_api_prompt

    if loaded.source_format == "a1111":
        a1111 = loaded.a1111
        return ResolvedWorkflow(
            api_prompt=default_workflow(),
            label=f"{label} (A1111 parameters on the default workflow)",
            defaults=dict(a1111.parameters),
            prompt_text=a1111.prompt,
            negative_prompt=a1111.negative_prompt,
            warnings=list(loaded.warnings),
            is_builtin=True,
        )
    prompt, warnings = given_api_prompt(loaded), []
    if prompt is None:
        # Only a UI graph needs the converter (and its import).
        from sftui.workflows.convert import resolve_api_prompt

        result = resolve_api_prompt(loaded, await load_object_info())
        prompt, warnings = result.prompt, result.warnings
    return ResolvedWorkflow(api_prompt=prompt, ui_graph=loaded.ui_graph, label=label, warnings=[*loaded.warnings, *warnings])
