"""The object_info disk cache across runs: read, not downloaded; dropped when the server disagrees."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web

from tests.conftest import run_cli
from tests.hostile.fake_comfy import FakeComfy


@pytest.fixture
def fake() -> Iterator[FakeComfy]:
    server = FakeComfy()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _set_checkpoints(fake: FakeComfy, *names: str) -> None:
    fake.object_info["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"] = [list(names), {}]


def _refuse_missing_checkpoints(fake: FakeComfy) -> None:
    """POST /prompt answers as ComfyUI does for a checkpoint it no longer has."""
    original = fake._post_prompt

    async def post(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        known = fake.object_info["CheckpointLoaderSimple"]["input"]["required"]["ckpt_name"][0]
        for node_id, node in body["prompt"].items():
            name = node["inputs"].get("ckpt_name") if node["class_type"] == "CheckpointLoaderSimple" else None
            if name is not None and name not in known:
                error = {"type": "value_not_in_list", "message": "Value not in list", "details": f"ckpt_name: '{name}' not in {known}", "extra_info": {}}
                answer = {"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": ""},
                          "node_errors": {node_id: {"errors": [error], "dependent_outputs": [], "class_type": "CheckpointLoaderSimple"}}}
                return web.json_response(answer, status=400)
        return await original(request)

    fake.overrides["/prompt"] = post


def _generate(fake: FakeComfy, db: Path):
    return run_cli("generate", "--server", fake.url, "--db", str(db), "--prompt", "x", "--json")


def _checkpoint(proc) -> str:
    data = json.loads(proc.stdout.decode().splitlines()[-1])["data"]
    (loader,) = [n for n in json.loads(data["workflow_json_snapshot"]).values() if n["class_type"] == "CheckpointLoaderSimple"]
    return loader["inputs"]["ckpt_name"]


def test_a_cached_model_list_is_reused_then_dropped_when_the_server_refuses_it(fake: FakeComfy, tmp_path: Path) -> None:
    _refuse_missing_checkpoints(fake)
    _set_checkpoints(fake, "a.safetensors", "b.safetensors")
    db = tmp_path / "c.db"
    first = _generate(fake, db)
    assert first.returncode == 0, first.stderr.decode()
    assert _checkpoint(first) == "a.safetensors" and len(fake.requests("/object_info")) == 1

    second = _generate(fake, db)
    assert second.returncode == 0 and len(fake.requests("/object_info")) == 1  # the disk cache, no download

    _set_checkpoints(fake, "b.safetensors")  # a.safetensors deleted on the server
    refused = _generate(fake, db)
    assert refused.returncode == 1 and "a.safetensors" in refused.stdout.decode()
    # The server disagreed with the cached list, so the next run asks for it.
    healed = _generate(fake, db)
    assert healed.returncode == 0, healed.stdout.decode()
    assert _checkpoint(healed) == "b.safetensors" and len(fake.requests("/object_info")) == 2


def test_a_checkpoint_added_since_the_cache_was_written_is_found(fake: FakeComfy, tmp_path: Path) -> None:
    _set_checkpoints(fake, "a.safetensors")
    db = tmp_path / "n.db"
    assert _generate(fake, db).returncode == 0
    _set_checkpoints(fake, "a.safetensors", "new.safetensors")
    proc = run_cli("generate", "--server", fake.url, "--db", str(db), "--prompt", "x", "--checkpoint", "new.safetensors", "--json")
    assert proc.returncode == 0, proc.stdout.decode() + proc.stderr.decode()
    assert _checkpoint(proc) == "new.safetensors" and len(fake.requests("/object_info")) == 2
