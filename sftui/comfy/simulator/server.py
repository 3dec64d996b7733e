"""The simulated ComfyUI server: aiohttp app, WebSocket endpoint and the prompt worker."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import tempfile
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from sftui.comfy.simulator import constants, render
from sftui.comfy.simulator.catalog import Catalog
from sftui.comfy.simulator.config import SimulatorConfig
from sftui.comfy.simulator.executor import PromptExecutor
from sftui.comfy.simulator.files import FileRoutes
from sftui.comfy.simulator.hub import Hub
from sftui.comfy.simulator.prompt_queue import PromptQueue
from sftui.comfy.simulator.routes import Routes, origin_only
from sftui.comfy.simulator.validation import PromptValidator

log = logging.getLogger(__name__)


class Simulator:
    """A fake ComfyUI 0.3.64 on one event loop; see the package docstring."""

    dirs: dict[str, Path]
    hub: Hub
    catalog: Catalog
    validator: PromptValidator
    queue: PromptQueue
    executor: PromptExecutor

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.host = "127.0.0.1"
        self.port = 0
        self.url = ""
        self._runner: web.AppRunner | None = None
        self._worker: asyncio.Task[None] | None = None
        self._scratch: Path | None = None
        self.free_memory_requested = False
        self.number = 0

    @property
    def output_dir(self) -> Path:
        return self.dirs["output"]

    def _make_dirs(self) -> None:
        self._scratch = Path(tempfile.mkdtemp(prefix="sftui-simulator-"))
        output = self.config.output_dir or self._scratch / "output"
        self.dirs = {"output": Path(output).resolve(), "temp": self._scratch / "temp", "input": self._scratch / "input"}
        for path in self.dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        # The real server ships an example.png for LoadImage.
        (self.dirs["input"] / "example.png").write_bytes(_example_png())

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._make_dirs()
        self.hub = Hub()
        self.catalog = Catalog()
        self.validator = PromptValidator(self.catalog, self.dirs["input"])
        self.queue = PromptQueue(lambda: self.hub.send_sync("status", {"status": self.queue_info()}))
        self.executor = PromptExecutor(self.hub, self.catalog, self.config, self.dirs)
        app = web.Application(middlewares=[origin_only], client_max_size=constants.MAX_UPLOAD_SIZE)
        routes = Routes(self)
        files = FileRoutes(self.dirs)
        table = routes.table() + [("GET", "/view", files.view), ("POST", "/upload/image", files.upload_image), ("GET", "/ws", self._websocket)]
        for method, path, handler in table:
            app.router.add_route(method, "/api" + path, handler)
            app.router.add_route(method, path, handler)
        # Unknown GETs fall through to ComfyUI's static frontend route: an empty 404.
        app.router.add_route("GET", "/{tail:.*}", _not_found)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self.host, self.port = host, int(self._runner.addresses[0][1])
        self.url = f"http://{host}:{self.port}"
        self.hub.start()
        self._worker = asyncio.get_running_loop().create_task(self._work())
        log.info("simulator: listening on %s", self.url)
        return self.url

    async def stop(self) -> None:
        """Drop the queue and every socket at once, like a server dying."""
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None
        if self._runner is not None:
            self.queue.clear()
            await self.hub.stop()
            await self._runner.cleanup()
            self._runner = None
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def request_free_memory(self) -> None:
        """POST /free: drop the node caches now if idle, else once the running prompt is done."""
        if self.queue.running:
            self.free_memory_requested = True
        else:
            self.executor.reset_caches()

    def queue_info(self) -> dict[str, Any]:
        return {"exec_info": {"queue_remaining": self.queue.remaining()}}

    async def _work(self) -> None:
        while True:
            item, task_id = await self.queue.get()
            number, prompt_id, prompt, extra_data, outputs = item
            try:
                await self.executor.execute(prompt, prompt_id, extra_data, outputs)
            except Exception:  # a simulator bug must not kill the worker
                log.exception("simulator: prompt %s crashed", prompt_id)
                self.executor.success = False
            if self.config.history_delay > 0:
                await asyncio.sleep(self.config.history_delay)
            succeeded = self.executor.success
            status = {"status_str": "success" if succeeded else "error", "completed": succeeded, "messages": self.executor.status_messages}
            self.queue.task_done(task_id, self.executor.history_result, status)
            if self.executor.client_id is not None:
                self.hub.send_sync("executing", {"node": None, "prompt_id": prompt_id}, self.executor.client_id)
            if self.free_memory_requested:
                self.free_memory_requested = False
                self.executor.reset_caches()

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        sid = request.rel_url.query.get("clientId", "")
        if sid:
            self.hub.sockets.pop(sid, None)
        else:
            sid = uuid.uuid4().hex
        self.hub.sockets[sid] = ws
        self.hub.flags[sid] = {}
        transport = request.transport
        if transport is not None:
            self.hub.transports.add(transport)
        try:
            await self.hub.send_now("status", {"status": self.queue_info(), "sid": sid}, sid)
            if self.executor.client_id == sid and self.executor.last_node_id is not None:
                await self.hub.send_now("executing", {"node": self.executor.last_node_id}, sid)
            first = True
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(message.data)
                    if first and data.get("type") == "feature_flags":
                        self.hub.flags[sid] = data.get("data", {})
                        await self.hub.send_now("feature_flags", dict(constants.FEATURES), sid)
                    first = False
                except (ValueError, AttributeError) as err:
                    log.warning("simulator: bad message from client %s: %s", sid, err)
        finally:
            # As in ComfyUI, this also drops a newer socket that reused the clientId.
            self.hub.sockets.pop(sid, None)
            self.hub.flags.pop(sid, None)
            if transport is not None:
                self.hub.transports.discard(transport)
        return ws


@lru_cache(maxsize=1)
def _example_png() -> bytes:
    return render.png_plain(render.render("example.png", 512, 512))


async def _not_found(request: web.Request) -> web.Response:
    return web.Response(status=404, body=b"", content_type="application/octet-stream")
