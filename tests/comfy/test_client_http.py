"""ComfyClient's plain HTTP calls against captured answers."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from sftui.comfy import cache
from sftui.comfy.client import ComfyClient
from sftui.comfy.models import HistoryEntry, OutputRef, QueueState
from sftui.comfy.tracker import ComfyWatcher
from sftui.errors import ServerError, ServerUnreachable, SftuiError, UsageError
from tests.comfy.conftest import MakeReplay

HISTORIES = {
    "model_free_history.json": ("success", ["ref_model_free_00001_.png"], 0.055),
    "execution_error_history.json": ("error", [], 0.038),
}


@pytest.mark.parametrize("name", sorted(HISTORIES))
def test_history_entries_from_the_real_server(name: str, ref_json: Any) -> None:
    (prompt_id, raw), = ref_json(name).items()
    entry = HistoryEntry.from_raw(prompt_id, raw)
    status, files, seconds = HISTORIES[name]
    assert entry.outcome_status() == status
    assert [r.filename for r in entry.output_refs()] == files
    assert entry.execution_time_s() == seconds
    assert entry.prompt and entry.number is not None and not entry.fully_cached()


def test_history_of_interrupted_and_cached_runs(ref_json: Any) -> None:
    (pid, raw), = ref_json("interrupt_run.json")["history"].items()
    interrupted = HistoryEntry.from_raw(pid, raw)
    assert interrupted.outcome_status() == "interrupted" and interrupted.status_str == "error" and interrupted.completed is False
    assert interrupted.error() is None and interrupted.output_refs() == []
    (pid, raw), = ref_json("model_free_cached_run.json")["history"].items()
    cached = HistoryEntry.from_raw(pid, raw)
    assert cached.fully_cached() and [r.type for r in cached.output_refs(include_temp=True)] == ["temp", "output"]


async def test_history_queue_and_stats(replay: MakeReplay, ref_json: Any) -> None:
    run = ref_json("ksampler_run.json")
    (pid, _), = run["history"].items()
    server, url = await replay([], history=run["history"], system_stats=ref_json("system_stats.json"), race_calls=0)
    server._terminal_sent.add(pid)
    server.running.append("r1")
    server.pending.extend(["p1", "p2"])
    async with ComfyClient(url) as client:
        assert await client.get_history("no-such-id") is None
        entry = await client.get_history(pid)
        assert entry is not None and entry.prompt_id == pid and entry.outcome_status() == "success"
        assert await client.get_queue() == QueueState(running=["r1"], pending=["p1", "p2"])
        assert (await client.system_stats())["system"]["comfyui_version"] == "0.3.64"


def test_queue_state_from_the_real_server(ref_json: Any) -> None:
    run = ref_json("queue_delete_run.json")
    pids = run["pids"]
    before = QueueState.from_raw(run["queue_before_delete"])
    assert before.running == [pids["A_running"]] and before.pending == [pids["B_pending_deleted"], pids["C_pending_kept"]]
    after = QueueState.from_raw(run["queue_after_delete"])
    assert not after.contains(pids["B_pending_deleted"]) and after.contains(pids["C_pending_kept"])
    assert QueueState.from_raw(ref_json("queue_empty.json")) == QueueState()


async def test_interrupt_and_delete_bodies(replay: MakeReplay) -> None:
    server, url = await replay([])
    async with ComfyClient(url) as client:
        await client.interrupt("p-1")
        await client.delete_queued(["p-2", "p-3"])
        await client.delete_queued([])
        with pytest.raises(UsageError, match="interrupt needs the id"):
            await client.interrupt("")
    assert [r.body for r in server.hits("POST", "/interrupt")] == [{"prompt_id": "p-1"}]
    assert [r.body for r in server.hits("POST", "/queue")] == [{"delete": ["p-2", "p-3"]}]


async def test_download_output(replay: MakeReplay, reference_dir: Path, tmp_path: Path) -> None:
    png = (reference_dir / "model_free_view_node4_output.png").read_bytes()
    server, url = await replay([], view_files={"ref_model_free_00001_.png": png})
    ref = OutputRef(node_id="4", filename="ref_model_free_00001_.png", subfolder="", type="output")
    async with ComfyClient(url) as client:
        dest = await client.download_output(ref, tmp_path / "deep" / "out.png")
        assert dest.read_bytes() == png
        assert server.hits("GET", "/view")[0].query == {"filename": ref.filename, "subfolder": "", "type": "output"}
        with pytest.raises(ServerError, match=r"cannot download missing\.png \(node 9\): .*HTTP 404"):
            await client.download_output(ref.model_copy(update={"filename": "missing.png", "node_id": "9"}), tmp_path / "m.png")
        with pytest.raises(ServerError, match="larger than"):
            await client.download_output(ref, tmp_path / "small.png", max_bytes=100)
        (tmp_path / "blocker").write_text("a file, not a directory")
        with pytest.raises(SftuiError, match="cannot write"):
            await client.download_output(ref, tmp_path / "blocker" / "x.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker", "deep"]
    assert [p.name for p in (tmp_path / "deep").iterdir()] == ["out.png"]


async def test_object_info_disk_cache(replay: MakeReplay, ref_json: Any, tmp_path: Path) -> None:
    info = ref_json("object_info.json")
    server, url = await replay([], object_info=info)
    async with ComfyClient(url, cache_dir=tmp_path) as first:
        assert await first.get_object_info() == info
        assert await first.get_object_info() == info  # memory cache
    assert len(server.hits("GET", "/object_info")) == 1
    assert [p.name for p in tmp_path.iterdir()] == [cache.cache_path(tmp_path, url).name]
    async with ComfyClient(url, cache_dir=tmp_path) as second:
        assert await second.get_object_info() == info
        assert len(server.hits("GET", "/object_info")) == 1  # read from disk, no request
        await second.get_object_info(refresh=True)
        assert len(server.hits("GET", "/object_info")) == 2
    cache.cache_path(tmp_path, url).write_text("{truncated")
    async with ComfyClient(url, cache_dir=tmp_path) as third:
        assert await third.get_object_info() == info
    assert len(server.hits("GET", "/object_info")) == 3
    assert cache.load_object_info(tmp_path, "http://other:8188") is None


@pytest.fixture
def self_signed(tmp_path: Path) -> ssl.SSLContext:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def test_tls_verification_can_be_disabled(self_signed: ssl.SSLContext, ref_json: Any) -> None:
    async def ws(request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.receive()
        return socket

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(ref_json("system_stats.json"))

    app = web.Application()
    app.router.add_get("/ws", ws)
    app.router.add_get("/system_stats", stats)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=self_signed)
    await site.start()
    url = f"https://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    try:
        async with ComfyClient(url) as strict:
            with pytest.raises(ServerUnreachable, match="TLS certificate not trusted"):
                await strict.system_stats()
        async with ComfyClient(url, verify=False) as relaxed:
            assert relaxed.ws_url.startswith("wss://")
            assert "system" in await relaxed.system_stats()
            async with ComfyWatcher(relaxed) as watcher:
                assert watcher.state.status == "connected"
    finally:
        await runner.cleanup()
