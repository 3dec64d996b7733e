from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.comfy.replay import TERMINAL, Part, ReplayServer, load_part

MakeReplay = Callable[..., Awaitable[tuple[ReplayServer, str]]]


@pytest.fixture
def part(reference_dir: Path) -> Callable[..., Part]:
    def load(name: str, **kwargs: Any) -> Part:
        return load_part(reference_dir / f"ws_transcript_{name}.jsonl", **kwargs)

    return load


@pytest.fixture
def ref_json(reference_dir: Path) -> Callable[[str], Any]:
    return lambda name: json.loads((reference_dir / name).read_text())


@pytest.fixture
async def replay() -> AsyncIterator[MakeReplay]:
    servers: list[ReplayServer] = []

    async def make(parts: list[Part], **kwargs: Any) -> tuple[ReplayServer, str]:
        server = ReplayServer(parts, **kwargs)
        url = await server.start()
        servers.append(server)
        return server, url

    yield make
    for server in servers:
        await server.close()
        assert not server.errors, server.errors


def history_from_frames(parts: list[Part], prompt_id: str) -> dict[str, Any]:
    """A history entry assembled from a transcript, for captures that did not save one."""
    prompt: dict[str, Any] = {}
    for entry in (p for part in parts for p in part.posts):
        if entry["path"] == "/prompt" and entry["response"].get("prompt_id") == prompt_id:
            prompt = entry["request"]["prompt"]
    messages: list[list[Any]] = []
    outputs: dict[str, Any] = {}
    for step in (s for part in parts for s in part.steps if s.text is not None):
        frame = json.loads(step.text or "{}")
        data = frame["data"]
        if data.get("prompt_id") != prompt_id:
            continue
        if frame["type"] in ("execution_start", "execution_cached", *TERMINAL):
            messages.append([frame["type"], data])
        elif frame["type"] == "executed":
            outputs[data["node"]] = data["output"]
    success = messages[-1][0] == "execution_success"
    return {
        "prompt": [0, prompt_id, prompt, {}, []],
        "outputs": outputs,
        "status": {"status_str": "success" if success else "error", "completed": success, "messages": messages},
        "meta": {},
    }
