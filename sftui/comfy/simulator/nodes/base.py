"""What a simulated node sees and returns, and the registry of node implementations."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Protocol

from sftui.comfy.simulator.catalog import Catalog


class Interrupted(Exception):
    """ComfyUI's InterruptProcessingException."""


class Services(Protocol):
    """The executor's side of a running node."""

    output_dir: Path
    temp_dir: Path
    input_dir: Path
    step_delay: float

    def check_interrupt(self) -> None: ...

    async def report_progress(self, node_id: str, value: int | float, total: int | float, preview: tuple[str, bytes] | None) -> None: ...


@dataclass
class NodeContext:
    node_id: str
    class_type: str
    catalog: Catalog
    services: Services
    state: dict[str, Any] = field(default_factory=dict)
    """Kept per node id across prompts, like ComfyUI's node objects (PreviewImage's temp prefix)."""

    def output_types(self) -> tuple[Any, ...]:
        return self.catalog.output_types(self.class_type)


@dataclass
class NodeResult:
    outputs: tuple[Any, ...] = ()
    ui: dict[str, Any] | None = None


NodeFn = Callable[[NodeContext, dict[str, Any]], "NodeResult | Awaitable[NodeResult]"]
REGISTRY: dict[str, NodeFn] = {}


def node(*class_types: str) -> Callable[[NodeFn], NodeFn]:
    def register(fn: NodeFn) -> NodeFn:
        for class_type in class_types:
            REGISTRY[class_type] = fn
        return fn

    return register


def first_of(inputs: dict[str, Any], kind: type) -> Any:
    """The first input value of a Python type, in input order."""
    return next((v for v in inputs.values() if isinstance(v, kind)), None)


def int_input(inputs: dict[str, Any], name: str, default: int) -> int:
    value = inputs.get(name)
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default
