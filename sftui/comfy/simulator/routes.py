"""The JSON endpoints of ComfyUI's PromptServer.

Handlers deliberately do the same dictionary operations as ComfyUI on the raw
request JSON: whatever raises there (bad JSON, a UI graph as ``prompt``, a list
as ``prompt``) raises here too and aiohttp answers its plain-text 500.
"""

from __future__ import annotations

import ipaddress
import logging
import urllib.parse
import uuid
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from aiohttp import web

from sftui.comfy.simulator import constants
from sftui.comfy.simulator.catalog import model_files, model_folders
from sftui.comfy.simulator.files import input_images

if TYPE_CHECKING:
    from sftui.comfy.simulator.server import Simulator

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        # ComfyUI resolves the name; only "localhost" resolves to loopback without asking a DNS server.
        return host.lower() == "localhost" or host.lower().endswith(".localhost")


@web.middleware
async def origin_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    """403 when Host is loopback and Origin names another host[:port] (pitfall 8)."""
    if "Host" in request.headers and "Origin" in request.headers:
        host_domain: str | None = request.headers["Host"].lower()
        parsed = urllib.parse.urlparse(request.headers["Origin"])
        origin_domain: str | None = parsed.netloc.lower()
        host_parsed = urllib.parse.urlsplit("//" + (host_domain or ""))
        loopback = _is_loopback(host_parsed.hostname)
        if parsed.port is None:
            host_domain = host_parsed.hostname
        if host_parsed.port is None:
            origin_domain = parsed.hostname
        if loopback and host_domain and origin_domain and host_domain != origin_domain:
            log.warning("simulator: request with non matching host and origin %s != %s, returning 403", host_domain, origin_domain)
            return web.Response(status=403)
    if request.method == "OPTIONS":
        return web.Response()
    return await handler(request)


class Routes:
    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    def table(self) -> list[tuple[str, str, Handler]]:
        return [
            ("GET", "/embeddings", self.embeddings),
            ("GET", "/models", self.models),
            ("GET", "/models/{folder}", self.models_in),
            ("GET", "/extensions", self.extensions),
            ("GET", "/system_stats", self.system_stats),
            ("GET", "/features", self.features),
            ("GET", "/prompt", self.get_prompt),
            ("GET", "/object_info", self.object_info),
            ("GET", "/object_info/{node_class}", self.object_info_node),
            ("GET", "/history", self.history),
            ("GET", "/history/{prompt_id}", self.history_item),
            ("GET", "/queue", self.get_queue),
            ("POST", "/prompt", self.post_prompt),
            ("POST", "/queue", self.post_queue),
            ("POST", "/interrupt", self.interrupt),
            ("POST", "/free", self.free),
            ("POST", "/history", self.post_history),
        ]

    async def embeddings(self, request: web.Request) -> web.Response:
        return web.json_response([])

    async def models(self, request: web.Request) -> web.Response:
        return web.json_response(model_folders())

    async def models_in(self, request: web.Request) -> web.Response:
        folder = request.match_info["folder"]
        if folder not in model_folders():
            return web.Response(status=404)
        return web.json_response(model_files(folder))

    async def extensions(self, request: web.Request) -> web.Response:
        return web.json_response(list(constants.EXTENSIONS))

    async def system_stats(self, request: web.Request) -> web.Response:
        return web.json_response(constants.system_stats(self.sim.host, self.sim.port))

    async def features(self, request: web.Request) -> web.Response:
        return web.json_response(dict(constants.FEATURES))

    async def get_prompt(self, request: web.Request) -> web.Response:
        return web.json_response(self.sim.queue_info())

    def _catalog(self) -> Any:
        catalog = self.sim.catalog
        catalog.set_input_files(input_images(self.sim.dirs["input"]))
        return catalog

    async def object_info(self, request: web.Request) -> web.Response:
        return web.json_response(self._catalog().info)

    async def object_info_node(self, request: web.Request) -> web.Response:
        name = request.match_info["node_class"]
        found = self._catalog().get(name)
        return web.json_response({} if found is None else {name: found})

    async def history(self, request: web.Request) -> web.Response:
        query = request.rel_url.query
        max_items = int(query["max_items"]) if "max_items" in query else None
        offset = int(query["offset"]) if "offset" in query else -1
        return web.json_response(self.sim.queue.get_history(max_items=max_items, offset=offset))

    async def history_item(self, request: web.Request) -> web.Response:
        return web.json_response(self.sim.queue.get_history(prompt_id=request.match_info["prompt_id"]))

    async def get_queue(self, request: web.Request) -> web.Response:
        return web.json_response(self.sim.queue.snapshot())

    async def post_prompt(self, request: web.Request) -> web.Response:
        log.info("simulator: got prompt")
        json_data = await request.json()
        if "number" in json_data:
            number: Any = float(json_data["number"])
        else:
            number = self.sim.number
            if "front" in json_data and json_data["front"]:
                number = -number
            self.sim.number += 1
        if "prompt" not in json_data:
            error = {"type": "no_prompt", "message": "No prompt provided", "details": "No prompt provided", "extra_info": {}}
            return web.json_response({"error": error, "node_errors": {}}, status=400)
        prompt = json_data["prompt"]
        prompt_id = str(json_data.get("prompt_id", uuid.uuid4()))
        partial = json_data.get("partial_execution_targets") if "partial_execution_targets" in json_data else None
        self._catalog()
        valid, error, outputs, node_errors = self.sim.validator.validate_prompt(prompt, partial)
        extra_data = json_data["extra_data"] if "extra_data" in json_data else {}
        if "client_id" in json_data:
            extra_data["client_id"] = json_data["client_id"]
        if not valid:
            log.warning("simulator: invalid prompt: %s", error)
            return web.json_response({"error": error, "node_errors": node_errors}, status=400)
        self.sim.queue.put([number, prompt_id, prompt, extra_data, outputs])
        return web.json_response({"prompt_id": prompt_id, "number": number, "node_errors": node_errors})

    async def post_queue(self, request: web.Request) -> web.Response:
        json_data = await request.json()
        if "clear" in json_data and json_data["clear"]:
            self.sim.queue.wipe()
        if "delete" in json_data:
            for prompt_id in json_data["delete"]:
                self.sim.queue.delete(prompt_id)
        return web.Response(status=200)

    async def interrupt(self, request: web.Request) -> web.Response:
        try:
            json_data = await request.json()
        except ValueError:
            json_data = {}
        prompt_id = json_data.get("prompt_id")
        if not prompt_id or prompt_id in self.sim.queue.running_ids():
            self.sim.executor.request_interrupt()
        else:
            log.info("simulator: prompt %s is not running, skipping interrupt", prompt_id)
        return web.Response(status=200)

    async def free(self, request: web.Request) -> web.Response:
        json_data = await request.json()
        if json_data.get("free_memory", False):
            self.sim.request_free_memory()
        return web.Response(status=200)

    async def post_history(self, request: web.Request) -> web.Response:
        json_data = await request.json()
        if "clear" in json_data and json_data["clear"]:
            self.sim.queue.wipe_history()
        if "delete" in json_data:
            for prompt_id in json_data["delete"]:
                self.sim.queue.delete_history(prompt_id)
        return web.Response(status=200)
