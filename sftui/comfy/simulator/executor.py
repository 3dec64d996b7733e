"""Runs one prompt the way ComfyUI's PromptExecutor does, frame for frame.

Per node: ``progress_state`` (running), ``executing``, the work (which may
report ``progress`` + previews), ``executed`` if it has UI output, then
``progress_state`` (finished). Cached nodes are skipped except output nodes,
which replay their ``executed``. Without a ``client_id`` none of the
per-prompt messages are sent, but ``progress_state``, ``progress`` and
previews are then broadcast (their sid is the missing client id: everyone).
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import logging
import time
import traceback
from pathlib import Path
from typing import Any

from sftui.comfy.simulator import caching
from sftui.comfy.simulator.catalog import Catalog
from sftui.comfy.simulator.config import SimulatorConfig
from sftui.comfy.simulator.graph import DependencyCycleError, ExecutionList, is_link
from sftui.comfy.simulator.hub import Hub, preview_frame, preview_frame_with_metadata
from sftui.comfy.simulator.nodes import Interrupted, NodeContext, NodeResult, implementation
from sftui.comfy.simulator.progress import ProgressRegistry
from sftui.comfy.simulator.validation import type_name

log = logging.getLogger(__name__)

# IS_CHANGED of core nodes: these re-run on every prompt.
_ALWAYS_CHANGED = {"SaveImageWebsocket", "Webcam"}
_FILE_INPUTS = {"LoadImage": "image", "LoadImageMask": "image"}


class SimulatedFailure(RuntimeError):
    """Raised by nodes whose class is in ``fail_class_types``."""


def _now_ms() -> int:
    return int(time.time() * 1000)


def _format_value(value: Any) -> Any:
    if value is None or isinstance(value, (int, float, bool, str)):
        return value
    return str(value)


class PromptExecutor:
    def __init__(self, hub: Hub, catalog: Catalog, config: SimulatorConfig, dirs: dict[str, Path]) -> None:
        self.hub = hub
        self.catalog = catalog
        self.config = config
        self.output_dir, self.temp_dir, self.input_dir = dirs["output"], dirs["temp"], dirs["input"]
        self.step_delay = config.step_delay
        self.outputs = caching.NodeCache()
        self.ui = caching.NodeCache()
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}
        self.client_id: str | None = None
        self.last_node_id: str | None = None
        self.interrupt_flag = False
        self.success = True
        self.status_messages: list[list[Any]] = []
        self.history_result: dict[str, Any] = {}
        self._prompt_id = ""
        self._progress: ProgressRegistry | None = None

    # -- the Services protocol seen by nodes --------------------------------------------------
    def check_interrupt(self) -> None:
        if self.interrupt_flag:
            self.interrupt_flag = False
            raise Interrupted()

    async def report_progress(self, node_id: str, value: int | float, total: int | float, preview: tuple[str, bytes] | None) -> None:
        """ComfyUI's progress hook: interrupt check, progress_state, then progress and the preview."""
        self.check_interrupt()
        assert self._progress is not None
        self._progress.update(node_id, value, total)
        message = {"value": value, "max": total, "prompt_id": self._prompt_id, "node": node_id}
        if preview is not None and self.hub.supports_metadata(self.client_id):
            meta = {"node_id": node_id, "prompt_id": self._prompt_id, "display_node_id": node_id, "parent_node_id": None, "real_node_id": node_id}
            self.hub.send_sync("preview", preview_frame_with_metadata(preview[0], preview[1], meta), self.client_id)
            self.hub.send_sync("progress", message, self.client_id)
        else:
            self.hub.send_sync("progress", message, self.client_id)
            if preview is not None:
                self.hub.send_sync("preview", preview_frame(preview[0], preview[1]), self.client_id)

    def request_interrupt(self) -> None:
        self.interrupt_flag = True

    def reset_caches(self) -> None:
        self.outputs.clear()
        self.ui.clear()
        self.objects.clear()

    # -- messages -------------------------------------------------------------------------------
    def _send(self, event: str, data: dict[str, Any]) -> None:
        if self.client_id is not None:
            self.hub.send_sync(event, data, self.client_id)

    def _add_message(self, event: str, data: dict[str, Any], broadcast: bool) -> None:
        data = {**data, "timestamp": _now_ms()}
        self.status_messages.append([event, data])
        if self.client_id is not None or broadcast:
            self.hub.send_sync(event, data, self.client_id)

    # -- caching ----------------------------------------------------------------------------------
    def _changed(self, prompt: dict[str, Any], node_id: str) -> Any:
        class_type = prompt[node_id]["class_type"]
        if class_type in _ALWAYS_CHANGED:
            return caching.not_cacheable()
        name = _FILE_INPUTS.get(class_type)
        if name is None:
            return False
        path = self.input_dir / str(prompt[node_id]["inputs"].get(name, "")).removesuffix(" [input]")
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else caching.not_cacheable()

    def _with_id(self, class_type: str) -> bool:
        return "UNIQUE_ID" in self.catalog.hidden(class_type).values()

    def _set_prompt(self, prompt: dict[str, Any]) -> None:
        changed: dict[str, Any] = {}

        def probe(node_id: str) -> Any:
            if node_id not in changed:
                changed[node_id] = self._changed(prompt, node_id)
            return changed[node_id]

        keys = {n: caching.signature(prompt, n, probe, self._with_id) for n in prompt}
        self.outputs.set_prompt(keys)
        self.ui.set_prompt(keys)
        live = {(n, prompt[n]["class_type"]) for n in prompt}
        self.objects = {k: v for k, v in self.objects.items() if k in live}

    # -- running ----------------------------------------------------------------------------------
    async def execute(self, prompt: dict[str, Any], prompt_id: str, extra_data: dict[str, Any], outputs: list[str]) -> None:
        self.interrupt_flag = False
        self.client_id = extra_data.get("client_id") if "client_id" in extra_data else None
        self.status_messages = []
        self.history_result = {"outputs": {}, "meta": {}}
        self._prompt_id = prompt_id
        self._add_message("execution_start", {"prompt_id": prompt_id}, broadcast=False)
        self._progress = ProgressRegistry(prompt_id, lambda event, data: self.hub.send_sync(event, data, self.client_id))
        self._set_prompt(prompt)
        cached = [n for n in prompt if self.outputs.get(n) is not None]
        self._add_message("execution_cached", {"nodes": cached, "prompt_id": prompt_id}, broadcast=False)
        executed: set[str] = set()
        current_outputs = self.outputs.node_ids()
        execution = ExecutionList(prompt, self.catalog, lambda n: self.outputs.get(n) is not None)
        for node_id in outputs:
            execution.add_node(node_id)
        self.success = True
        while not execution.is_empty():
            try:
                node_id = execution.stage()
            except DependencyCycleError as cycle:
                error = {"node_id": str(cycle), "exception_message": "Dependency cycle detected", "exception_type": "graph.DependencyCycleError", "traceback": [], "current_inputs": []}
                self._handle_error(prompt, current_outputs, executed, error, cycle)
                self.success = False
                break
            error, exc = await self._execute_node(prompt, node_id, extra_data, executed)
            if error is not None:
                self.success = False
                self._handle_error(prompt, current_outputs, executed, error, exc)
                break
            execution.complete()
        else:
            self._add_message("execution_success", {"prompt_id": prompt_id}, broadcast=False)
        ui_outputs, meta = {}, {}
        for node_id in self.ui.node_ids():
            found = self.ui.get(node_id)
            if found is not None:
                ui_outputs[node_id], meta[node_id] = found["output"], found["meta"]
        self.history_result = {"outputs": ui_outputs, "meta": meta}
        self.last_node_id = None

    def _handle_error(self, prompt: dict[str, Any], current_outputs: list[str], executed: set[str], error: dict[str, Any], exc: BaseException | None) -> None:
        node_id = error["node_id"]
        message: dict[str, Any] = {"prompt_id": self._prompt_id, "node_id": node_id, "node_type": prompt[node_id]["class_type"], "executed": list(executed)}
        if isinstance(exc, Interrupted):
            self._add_message("execution_interrupted", message, broadcast=True)
            return
        message.update(
            exception_message=error["exception_message"],
            exception_type=error["exception_type"],
            traceback=error["traceback"],
            current_inputs=error["current_inputs"],
            current_outputs=list(current_outputs),
        )
        self._add_message("execution_error", message, broadcast=False)

    def _input_data(self, prompt: dict[str, Any], node_id: str, extra_data: dict[str, Any]) -> dict[str, Any]:
        node = prompt[node_id]
        class_type = node["class_type"]
        data: dict[str, Any] = {}
        for name, value in node["inputs"].items():
            _, category, _ = self.catalog.input_info(class_type, name)
            if is_link(value):
                produced = self.outputs.get(value[0])
                data[name] = produced[int(value[1])] if produced is not None and value[1] < len(produced) else None
            elif category is not None:
                data[name] = value
        for name, kind in self.catalog.hidden(class_type).items():
            hidden = {"PROMPT": prompt, "EXTRA_PNGINFO": extra_data.get("extra_pnginfo"), "UNIQUE_ID": node_id}
            if kind in hidden:
                data[name] = hidden[kind]
        return data

    async def _execute_node(self, prompt: dict[str, Any], node_id: str, extra_data: dict[str, Any], executed: set[str]) -> tuple[dict[str, Any] | None, BaseException | None]:
        assert self._progress is not None
        class_type = prompt[node_id]["class_type"]
        if self.outputs.get(node_id) is not None:
            cached_ui = self.ui.get(node_id) or {}
            self._send("executed", {"node": node_id, "display_node": node_id, "output": cached_ui.get("output"), "prompt_id": self._prompt_id})
            self._progress.finish(node_id)
            return None, None
        self._progress.start(node_id)
        inputs = self._input_data(prompt, node_id, extra_data)
        if self.client_id is not None:
            self.last_node_id = node_id
        self._send("executing", {"node": node_id, "display_node": node_id, "prompt_id": self._prompt_id})
        try:
            result = await self._run(node_id, class_type, inputs)
        except Interrupted as exc:
            log.info("simulator: processing interrupted")
            return {"node_id": node_id}, exc
        except Exception as exc:
            log.info("simulator: node %s (%s) failed: %s", node_id, class_type, exc)
            return {
                "node_id": node_id,
                "exception_message": f"{exc}\n",
                "exception_type": type_name(exc),
                "traceback": traceback.format_tb(exc.__traceback__),
                "current_inputs": {name: [_format_value(value)] for name, value in inputs.items()},
            }, exc
        if result.ui:
            meta = {"node_id": node_id, "display_node": node_id, "parent_node": None, "real_node_id": node_id}
            self.ui.set(node_id, {"meta": meta, "output": result.ui})
            self._send("executed", {"node": node_id, "display_node": node_id, "output": result.ui, "prompt_id": self._prompt_id})
        self.outputs.set(node_id, result.outputs)
        self._progress.finish(node_id)
        executed.add(node_id)
        return None, None

    async def _run(self, node_id: str, class_type: str, inputs: dict[str, Any]) -> NodeResult:
        self.check_interrupt()
        if class_type in self.config.fail_class_types:
            raise SimulatedFailure(f"Simulated failure of {class_type} node {node_id} (fail_class_types)")
        fn = implementation(class_type)
        ctx = NodeContext(node_id, class_type, self.catalog, self, self.objects.setdefault((node_id, class_type), {}))
        if inspect.iscoroutinefunction(fn):
            return await fn(ctx, inputs)  # type: ignore[no-any-return]
        await asyncio.sleep(self.config.node_delay)
        return await asyncio.to_thread(fn, ctx, inputs)  # type: ignore[arg-type,return-value]
