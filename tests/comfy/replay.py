"""A test server that replays captured ComfyUI WebSocket transcripts.

Each WebSocket connection plays the next transcript part: the frames the real
server sent, with their relative timing compressed. Every ``POST`` the recorder
made is a gate: the replay waits there until the client under test has made
the same request (the n-th ``POST /prompt`` gate waits for the n-th prompt).
HTTP answers are the captured ones; ``/history/{id}`` answers ``{}`` until the
prompt's terminal frame was sent and then ``race_calls`` more times, as the
real server does right after ``execution_success``.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

GATE_TIMEOUT_S = 5.0
TERMINAL = ("execution_success", "execution_error", "execution_interrupted")


@dataclass
class Step:
    t_ms: float
    text: str | None = None
    data: bytes | None = None
    gate: tuple[str, str] | None = None


@dataclass
class Part:
    steps: list[Step]
    posts: list[dict[str, Any]]  # the recorder's POST entries, in order


def load_part(path: Path, *, drop: Any = None) -> Part:
    """Read a transcript; ``drop(frame_data)`` may filter out text frames."""
    steps: list[Step] = []
    posts: list[dict[str, Any]] = []
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        if entry["dir"] == "recv" and entry["kind"] == "text":
            if drop is None or not drop(entry["data"]):
                steps.append(Step(entry["t_ms"], text=json.dumps(entry["data"])))
        elif entry["dir"] == "recv":
            steps.append(Step(entry["t_ms"], data=base64.b64decode(entry["b64"])))
        elif entry["dir"] == "http" and entry["method"] == "POST":
            steps.append(Step(entry["t_ms"], gate=("POST", entry["path"])))
            posts.append(entry)
    return Part(steps, posts)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class ReplayServer:
    parts: list[Part]
    history: dict[str, dict[str, Any]] = field(default_factory=dict)
    race_calls: int = 1
    close_after: set[int] = field(default_factory=set)
    restart_on_reconnect: bool = False
    view_files: dict[str, bytes] = field(default_factory=dict)
    object_info: dict[str, Any] = field(default_factory=dict)
    system_stats: dict[str, Any] = field(default_factory=dict)
    time_scale: float = 0.01
    max_gap_s: float = 0.02

    def __post_init__(self) -> None:
        self.requests: list[Request] = []
        self.ws_connections: list[Request] = []
        self.ws_received: list[str] = []
        self.errors: list[str] = []
        self.pending: list[str] = []
        self.running: list[str] = []
        self._terminal_sent: set[str] = set()
        self._race: Counter[str] = Counter()
        self._posts = [p for part in self.parts for p in part.posts if p["path"] == "/prompt"]
        self._post_counts: Counter[tuple[str, str]] = Counter()
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self.part_done = asyncio.Event()

    async def start(self) -> str:
        app = web.Application(middlewares=[self._origin_check])
        app.router.add_get("/ws", self._ws)
        app.router.add_post("/prompt", self._prompt)
        app.router.add_get("/history/{prompt_id}", self._history)
        app.router.add_get("/queue", self._queue)
        app.router.add_post("/queue", self._queue_post)
        app.router.add_post("/interrupt", self._interrupt)
        app.router.add_get("/view", self._view)
        app.router.add_get("/object_info", self._json_doc("object_info"))
        app.router.add_get("/system_stats", self._json_doc("system_stats"))
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{port}"

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def hits(self, method: str, path: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path == path]

    # -- HTTP ------------------------------------------------------------------

    @web.middleware
    async def _origin_check(self, request: web.Request, handler: Any) -> web.StreamResponse:
        # Mirrors the real server: an Origin whose host differs from Host gets 403 everywhere.
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc != request.host:
            return web.Response(status=403)
        return await handler(request)

    async def _record(self, request: web.Request) -> Request:
        raw = await request.read()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        entry = Request(request.method, request.path, dict(request.query), dict(request.headers), body)
        self.requests.append(entry)
        if request.method == "POST":
            async with self._changed:
                self._post_counts[(request.method, request.path)] += 1
                self._changed.notify_all()
        return entry

    async def _prompt(self, request: web.Request) -> web.Response:
        await self._record(request)
        index = self._post_counts[("POST", "/prompt")] - 1
        if index >= len(self._posts):
            return web.Response(status=500, text="replay: no captured answer for this POST /prompt")
        captured = self._posts[index]
        answer = captured["response"]
        if captured["status"] == 200 and isinstance(answer, dict) and "prompt_id" in answer:
            self.pending.append(answer["prompt_id"])
        return web.json_response(answer, status=captured["status"])

    async def _history(self, request: web.Request) -> web.Response:
        await self._record(request)
        prompt_id = request.match_info["prompt_id"]
        if prompt_id not in self.history or prompt_id not in self._terminal_sent:
            return web.json_response({})
        if self._race[prompt_id] < self.race_calls:
            self._race[prompt_id] += 1
            return web.json_response({})
        return web.json_response({prompt_id: self.history[prompt_id]})

    async def _queue(self, request: web.Request) -> web.Response:
        await self._record(request)
        rows = lambda ids, start: [[start + i, pid, {}, {}, []] for i, pid in enumerate(ids)]  # noqa: E731
        return web.json_response({"queue_running": rows(self.running, 0), "queue_pending": rows(self.pending, 100)})

    async def _queue_post(self, request: web.Request) -> web.Response:
        entry = await self._record(request)
        for prompt_id in (entry.body or {}).get("delete", []):
            if prompt_id in self.pending:
                self.pending.remove(prompt_id)
        return web.Response(status=200)

    async def _interrupt(self, request: web.Request) -> web.Response:
        await self._record(request)
        return web.Response(status=200)

    async def _view(self, request: web.Request) -> web.Response:
        await self._record(request)
        data = self.view_files.get(request.query.get("filename", ""))
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="image/png")

    def _json_doc(self, name: str) -> Any:
        async def handler(request: web.Request) -> web.Response:
            await self._record(request)
            return web.json_response(getattr(self, name))

        return handler

    # -- WebSocket -------------------------------------------------------------

    async def _ws(self, request: web.Request) -> web.WebSocketResponse:
        index = len(self.ws_connections)
        self.ws_connections.append(Request("GET", "/ws", dict(request.query), dict(request.headers), None))
        if index > 0 and self.restart_on_reconnect:
            self.pending.clear()
            self.running.clear()
            self.history.clear()
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.add(ws)
        replay = asyncio.create_task(self._replay(ws, index, request.query.get("clientId", "")))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self.ws_received.append(msg.data)
        finally:
            replay.cancel()
            self._sockets.discard(ws)
        return ws

    async def _replay(self, ws: web.WebSocketResponse, index: int, client_id: str) -> None:
        if index >= len(self.parts):
            status = {"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}}, "sid": client_id}}
            await ws.send_str(json.dumps(status))
            return
        previous = None
        seen: Counter[tuple[str, str]] = Counter()
        for step in self.parts[index].steps:
            if previous is not None:
                await asyncio.sleep(min(self.max_gap_s, max(0.0, step.t_ms - previous) * self.time_scale))
            previous = step.t_ms
            if step.gate is not None:
                seen[step.gate] += 1
                if not await self._wait_gate(step.gate, seen[step.gate]):
                    return
            elif step.text is not None:
                self._note_frame(json.loads(step.text))
                await ws.send_str(step.text)
            else:
                await ws.send_bytes(step.data or b"")
        self.part_done.set()
        if index in self.close_after:
            await ws.close()

    async def _wait_gate(self, gate: tuple[str, str], count: int) -> bool:
        try:
            async with self._changed:
                await asyncio.wait_for(self._changed.wait_for(lambda: self._post_counts[gate] >= count), GATE_TIMEOUT_S)
            return True
        except TimeoutError:
            self.errors.append(f"the client never made request #{count} {gate[0]} {gate[1]}")
            return False

    def _note_frame(self, frame: dict[str, Any]) -> None:
        data = frame.get("data") or {}
        prompt_id = data.get("prompt_id")
        if frame["type"] == "execution_start" and prompt_id:
            if prompt_id in self.pending:
                self.pending.remove(prompt_id)
            self.running.append(prompt_id)
        elif frame["type"] in TERMINAL and prompt_id:
            self._terminal_sent.add(prompt_id)
        elif frame["type"] == "executing" and data.get("node") is None and prompt_id in self.running:
            self.running.remove(prompt_id)
