"""Execution order: ComfyUI's "topological dissolve" with its UX-friendly pick.

The order matters to clients that compare transcripts: ComfyUI runs an output
node as soon as it is ready, then prefers nodes one or two links upstream of an
output, and otherwise takes the first ready node in the order nodes were
discovered by a depth-first walk from the outputs.
"""

from __future__ import annotations

from typing import Any, Callable

from sftui.comfy.simulator.catalog import Catalog


def is_link(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], (int, float))
        and not isinstance(value[1], bool)
    )


class DependencyCycleError(Exception):
    pass


class ExecutionList:
    def __init__(self, prompt: dict[str, Any], catalog: Catalog, is_cached: Callable[[str], bool]) -> None:
        self.prompt = prompt
        self.catalog = catalog
        self.is_cached = is_cached
        self.pending: dict[str, bool] = {}
        self.block_count: dict[str, int] = {}
        self.blocking: dict[str, dict[str, dict[Any, bool]]] = {}
        self.staged: str | None = None

    def add_node(self, node_id: str) -> None:
        stack = [node_id]
        links: list[tuple[str, Any, str]] = []
        while stack:
            current = stack.pop()
            if current in self.pending:
                continue
            self.pending[current] = True
            self.block_count[current] = 0
            self.blocking[current] = {}
            for value in self.prompt[current]["inputs"].values():
                # Lazy inputs count as strong links: the simulated nodes always need them.
                if is_link(value) and not self.is_cached(value[0]):
                    stack.append(value[0])
                    links.append((value[0], value[1], current))
        for source, socket, target in links:
            self._add_strong_link(source, socket, target)

    def _add_strong_link(self, source: str, socket: Any, target: str) -> None:
        if self.is_cached(source):
            return
        self.add_node(source)
        if target not in self.blocking[source]:
            self.blocking[source][target] = {}
            self.block_count[target] += 1
        self.blocking[source][target][socket] = True

    def is_empty(self) -> bool:
        return not self.pending

    def stage(self) -> str:
        """The next node to run; raises ``DependencyCycleError`` if none can run."""
        ready = [node_id for node_id in self.pending if self.block_count[node_id] == 0]
        if not ready:
            raise DependencyCycleError(self._cycle()[0])
        self.staged = self._pick(ready)
        return self.staged

    def complete(self) -> None:
        assert self.staged is not None
        node_id, self.staged = self.staged, None
        del self.pending[node_id]
        for blocked in self.blocking[node_id]:
            self.block_count[blocked] -= 1
        del self.blocking[node_id]

    def _is_output(self, node_id: str) -> bool:
        return self.catalog.is_output(self.prompt[node_id]["class_type"])

    def _pick(self, ready: list[str]) -> str:
        for node_id in ready:
            class_type = self.prompt[node_id]["class_type"]
            if self.catalog.is_output(class_type) or self.catalog.is_async(class_type):
                return node_id
        for node_id in ready:
            if any(self._is_output(b) for b in self.blocking[node_id]):
                return node_id
        for node_id in ready:
            for blocked in self.blocking[node_id]:
                if any(self._is_output(b) for b in self.blocking[blocked]):
                    return node_id
        return ready[0]

    def _cycle(self) -> list[str]:
        blocked_by: dict[str, set[str]] = {node_id: set() for node_id in self.pending}
        for source, targets in self.blocking.items():
            for target in targets:
                blocked_by[target].add(source)
        while True:
            free = [node_id for node_id, sources in blocked_by.items() if not sources]
            if not free:
                return list(blocked_by) or [""]
            for node_id in free:
                del blocked_by[node_id]
                for sources in blocked_by.values():
                    sources.discard(node_id)
