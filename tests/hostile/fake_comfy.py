"""A small, scriptable ComfyUI on 127.0.0.1 that misbehaves on request.

It speaks just enough of the protocol for ``sftui generate``: ``/object_info``
(the simulator's catalogue), ``POST /prompt``, ``/ws`` with the usual frame
sequence, ``/history/{id}``, ``/queue`` and ``/view``. Tests change what it says:
the output names it reports, extra frames it sends mid-run, or a whole handler
(``overrides[path]``). It records every request (path, query, headers), every
socket's upgrade headers, and how many body bytes each streamed answer managed
to send before the client hung up.
"""

from __future__ import annotations

import asyncio
import io
import json
import ssl
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from PIL import Image

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Frame = str | bytes
_TIMEOUT = 10.0


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]


def small_png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (10, 200, 30)).save(out, "PNG")
    return out.getvalue()


@dataclass
class FakeComfy:
    #: Files the SaveImage node reports, in ``executed`` and in history.
    outputs: list[dict[str, Any]] = field(default_factory=lambda: [{"filename": "ComfyUI_00001_.png", "subfolder": "", "type": "output"}])
    #: Frames sent between ``executing`` and ``executed``; a callable gets the prompt id.
    frames: list[Frame | Callable[[str], Frame]] = field(default_factory=list)
    #: Replace a route's handler, keyed by path ("/object_info", "/view", ...; "/history/" = every id).
    overrides: dict[str, Handler] = field(default_factory=dict)
    #: Every HTTP request and WebSocket upgrade must carry these, else 401.
    required_headers: dict[str, str] = field(default_factory=dict)
    view_body: bytes = field(default_factory=small_png)

    def __post_init__(self) -> None:
        from sftui.comfy.simulator.catalog import Catalog

        self.object_info = Catalog().info
        self.seen: list[Seen] = []
        self.ws_upgrades: list[dict[str, str]] = []
        self.history: dict[str, Any] = {}
        self.sent_bytes: dict[str, int] = {}
        self.url = ""
        self._sockets: dict[str, web.WebSocketResponse] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle (a daemon thread with its own loop, so the CLI can run in-process) ----

    def start(self, ssl_context: ssl.SSLContext | None = None) -> str:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-comfy", daemon=True)
        self._thread.start()
        self.url = asyncio.run_coroutine_threadsafe(self._start(ssl_context), self._loop).result(_TIMEOUT)
        return self.url

    def stop(self) -> None:
        if self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(_TIMEOUT)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(_TIMEOUT)
        self._loop.close()
        self._loop = None

    async def _start(self, ssl_context: ssl.SSLContext | None) -> str:
        app = web.Application(middlewares=[self._middleware])
        for method, path, handler in (
            ("GET", "/object_info", self._object_info),
            ("GET", "/system_stats", self._system_stats),
            ("POST", "/prompt", self._post_prompt),
            ("GET", "/history/{prompt_id}", self._history),
            ("GET", "/queue", self._queue),
            ("POST", "/queue", self._ok),
            ("POST", "/interrupt", self._ok),
            ("GET", "/view", self._view),
            ("GET", "/ws", self._websocket),
        ):
            app.router.add_route(method, path, handler)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=ssl_context)
        await site.start()
        port = self._runner.addresses[0][1]
        return f"{'https' if ssl_context else 'http'}://127.0.0.1:{port}"

    async def _stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for ws in list(self._sockets.values()):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def __enter__(self) -> FakeComfy:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- plumbing --------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        self.seen.append(Seen(request.method, request.path, dict(request.query), dict(request.headers)))
        for name, value in self.required_headers.items():
            if request.headers.get(name) != value:
                return web.Response(status=401, text="401: Unauthorized")
        return await (self._override(request.path) or handler)(request)

    def _override(self, path: str) -> Handler | None:
        if path in self.overrides:
            return self.overrides[path]
        # A key ending in "/" covers a whole family: "/history/" is every /history/{id}.
        return next((h for prefix, h in self.overrides.items() if prefix.endswith("/") and path.startswith(prefix)), None)

    def requests(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _ok(self, request: web.Request) -> web.Response:
        return web.Response(status=200)

    # -- routes ----------------------------------------------------------------

    async def _object_info(self, request: web.Request) -> web.Response:
        return web.json_response(self.object_info)

    async def _system_stats(self, request: web.Request) -> web.Response:
        return web.json_response({"system": {"comfyui_version": "0.3.64", "argv": ["main.py"]}, "devices": []})

    async def _queue(self, request: web.Request) -> web.Response:
        return web.json_response({"queue_running": [], "queue_pending": []})

    async def _history(self, request: web.Request) -> web.Response:
        prompt_id = request.match_info["prompt_id"]
        entry = self.history.get(prompt_id)
        return web.json_response({prompt_id: entry} if entry is not None else {})

    async def _view(self, request: web.Request) -> web.Response:
        return web.Response(body=self.view_body, content_type="image/png")

    async def _post_prompt(self, request: web.Request) -> web.Response:
        body = await request.json()
        prompt_id = str(body.get("prompt_id") or uuid.uuid4())
        self._spawn(self._execute(prompt_id, body))
        return web.json_response({"prompt_id": prompt_id, "number": len(self.history), "node_errors": {}})

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        self.ws_upgrades.append(dict(request.headers))
        # No permessage-deflate: frame sizes on the wire are what the test says they are.
        ws = web.WebSocketResponse(compress=False)
        await ws.prepare(request)
        sid = request.query.get("clientId") or uuid.uuid4().hex
        self._sockets[sid] = ws
        await ws.send_json({"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}}, "sid": sid}})
        try:
            async for _message in ws:
                pass
        finally:
            if self._sockets.get(sid) is ws:
                del self._sockets[sid]
        return ws

    async def _execute(self, prompt_id: str, body: dict[str, Any]) -> None:
        await asyncio.sleep(0.05)
        sid = body.get("client_id", "")

        async def send(kind: str, data: dict[str, Any]) -> None:
            await self._send(sid, json.dumps({"type": kind, "data": data}))

        now = lambda: int(time.time() * 1000)  # noqa: E731
        started = now()
        await send("execution_start", {"prompt_id": prompt_id, "timestamp": started})
        await send("executing", {"node": "9", "display_node": "9", "prompt_id": prompt_id})
        for frame in self.frames:
            await self._send(sid, frame(prompt_id) if callable(frame) else frame)
        await send("executed", {"node": "9", "display_node": "9", "output": {"images": self.outputs}, "prompt_id": prompt_id})
        ended = now()
        self.history[prompt_id] = {
            "prompt": [0, prompt_id, body.get("prompt", {}), body.get("extra_data", {}), ["9"]],
            "outputs": {"9": {"images": self.outputs}},
            "status": {"status_str": "success", "completed": True, "messages": [
                ["execution_start", {"prompt_id": prompt_id, "timestamp": started}],
                ["execution_success", {"prompt_id": prompt_id, "timestamp": ended}]]},
            "meta": {},
        }  # fmt: skip
        await send("execution_success", {"prompt_id": prompt_id, "timestamp": ended})
        await send("executing", {"node": None, "prompt_id": prompt_id})

    async def _send(self, sid: str, frame: Frame) -> None:
        ws = self._sockets.get(sid)
        if ws is None or ws.closed:
            return
        try:
            if isinstance(frame, bytes):
                await ws.send_bytes(frame)
            else:
                await ws.send_str(frame)
        except (ConnectionError, RuntimeError):
            pass  # the client hung up on a frame it would not take; history still tells the end


async def stream_body(request: web.Request, total: int, *, declare: bool, record: dict[str, int], key: str, chunk: bytes = b"x" * 2**20) -> web.StreamResponse:
    """Answer with ``total`` bytes (optionally declared in Content-Length), counting what got out."""
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    if declare:
        response.content_length = total
    await response.prepare(request)
    sent = 0
    record[key] = 0
    try:
        while sent < total:
            piece = chunk[: total - sent]
            await response.write(piece)
            sent += len(piece)
            record[key] = sent
    except (ConnectionError, RuntimeError):
        return response
    return response
