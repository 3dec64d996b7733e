"""Planning against cached node definitions: used as they are, and fetched anew only on a miss."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from sftui import db
from sftui.errors import ParameterError, ServerUnreachable, WorkflowError
from sftui.generation.service import GenerateRequest, GenerationPlanner
from sftui.workflows.defaults import default_workflow


class FakeClient:
    """``get_object_info`` as ``ComfyClient`` has it: a cached copy until asked to refresh."""

    def __init__(self, cached: dict | None, server: dict, *, refresh_fails: bool = False) -> None:
        self.server = server
        self.current = cached if cached is not None else server
        self.object_info_cached = cached is not None
        self.refresh_fails = refresh_fails
        self.refreshes = 0

    async def get_object_info(self, *, refresh: bool = False) -> dict[str, Any]:
        if refresh:
            self.refreshes += 1
            if self.refresh_fails:
                raise ServerUnreachable("cannot reach ComfyUI at http://127.0.0.1:1: connection refused")
            self.current, self.object_info_cached = self.server, False
        return self.current


def _with_checkpoints(info: dict, *names: str) -> dict:
    out = copy.deepcopy(info)
    out["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"] = [list(names), {}]
    return out


@pytest.fixture
def object_info(reference_dir: Path) -> dict:
    return json.loads((reference_dir / "object_info.json").read_text())


def _request(**params: Any) -> GenerateRequest:
    return GenerateRequest(prompt_text="a fox", parameters=params, workflow_json=default_workflow())


async def test_a_fresh_enough_cache_is_used_without_asking_the_server(object_info: dict) -> None:
    info = _with_checkpoints(object_info, "a.safetensors")
    client = FakeClient(info, info)
    plan = await GenerationPlanner(client=client).plan(_request(checkpoint_name="a.safetensors", seed=1))
    assert client.refreshes == 0
    assert plan.items[0].parameters["checkpoint_name"] == "a.safetensors" and plan.warnings == []


async def test_a_model_added_since_the_cache_was_written_is_found_by_one_refetch(object_info: dict) -> None:
    client = FakeClient(_with_checkpoints(object_info, "a.safetensors"), _with_checkpoints(object_info, "a.safetensors", "new.safetensors"))
    plan = await GenerationPlanner(client=client).plan(_request(checkpoint_name="new.safetensors", seed=1))
    assert client.refreshes == 1
    loader = next(n for n in plan.items[0].prompt.values() if n["class_type"] == "CheckpointLoaderSimple")
    assert loader["inputs"]["ckpt_name"] == "new.safetensors"


async def test_a_name_the_server_does_not_have_either_is_refused_after_one_refetch(object_info: dict) -> None:
    info = _with_checkpoints(object_info, "a.safetensors")
    client = FakeClient(info, info)
    with pytest.raises(ParameterError, match="missing.safetensors"):
        await GenerationPlanner(client=client).plan(_request(checkpoint_name="missing.safetensors"))
    assert client.refreshes == 1


async def test_definitions_just_fetched_are_not_fetched_again(object_info: dict) -> None:
    client = FakeClient(None, _with_checkpoints(object_info, "a.safetensors"))
    with pytest.raises(ParameterError):
        await GenerationPlanner(client=client).plan(_request(checkpoint_name="missing.safetensors"))
    assert client.refreshes == 0


async def test_warnings_from_a_cached_copy_are_checked_against_the_server(object_info: dict) -> None:
    server = _with_checkpoints(object_info, "a.safetensors")
    stale = copy.deepcopy(server)
    stale["SaveImage"]["input"]["required"]["filename_prefix"] = ["INT", {}]  # the cache disagrees with the graph
    client = FakeClient(stale, server)
    plan = await GenerationPlanner(client=client).plan(_request(checkpoint_name="a.safetensors", seed=1))
    assert client.refreshes == 1 and plan.warnings == []


async def test_an_unreachable_server_leaves_the_original_error(object_info: dict) -> None:
    info = _with_checkpoints(object_info, "a.safetensors")
    client = FakeClient(info, info, refresh_fails=True)
    with pytest.raises(ParameterError, match="missing.safetensors"):
        await GenerationPlanner(client=client).plan(_request(checkpoint_name="missing.safetensors"))
    assert client.refreshes == 1


async def test_a_workflow_that_cannot_be_read_costs_no_refetch(object_info: dict, tmp_path: Path) -> None:
    db.open_database(tmp_path / "p.db")
    try:
        client = FakeClient(_with_checkpoints(object_info, "a.safetensors"), object_info)
        with pytest.raises(WorkflowError, match="does not exist"):
            await GenerationPlanner(client=client).plan(GenerateRequest(workflow=str(tmp_path / "gone.json")))
        bad = tmp_path / "bad.json"
        bad.write_text("{not json")
        with pytest.raises(WorkflowError):
            await GenerationPlanner(client=client).plan(GenerateRequest(workflow=str(bad)))
        assert client.refreshes == 0
    finally:
        db.close_database()
