"""ComfyUI's classic node cache: outputs keyed by an input signature, dumped ASAP.

A node's signature covers its class, its constant inputs and, recursively, the
signatures of its ancestors (not their ids), so an identical resubmission is
fully cached (pitfall 4). Only the entries used by the current prompt survive
the next prompt, as with ComfyUI's default cache.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from sftui.comfy.simulator.graph import is_link

ChangeProbe = Callable[[str], Any]


class _NotCacheable:
    """A signature part that never equals anything, as ComfyUI's NaN does."""

    def __eq__(self, other: object) -> bool:
        return False

    def __hash__(self) -> int:
        return id(self)


def _immediate(prompt: dict[str, Any], node_id: str, order: dict[str, int], probe: ChangeProbe, with_id: Callable[[str], bool]) -> Any:
    node = prompt.get(node_id)
    if node is None:
        return _NotCacheable()
    changed = probe(node_id)
    if isinstance(changed, _NotCacheable):
        return changed
    parts: list[Any] = [node["class_type"], changed]
    if with_id(node["class_type"]):
        parts.append(node_id)
    for key in sorted(node["inputs"]):
        value = node["inputs"][key]
        parts.append([key, ["ANCESTOR", order[value[0]], value[1]]] if is_link(value) else [key, value])
    return json.dumps(parts, sort_keys=True, default=repr)


def _ancestry(prompt: dict[str, Any], node_id: str, ancestors: list[str], order: dict[str, int]) -> None:
    node = prompt.get(node_id)
    if node is None:
        return
    for key in sorted(node["inputs"]):
        value = node["inputs"][key]
        if is_link(value) and value[0] not in order:
            ancestors.append(value[0])
            order[value[0]] = len(ancestors) - 1
            _ancestry(prompt, value[0], ancestors, order)


def signature(prompt: dict[str, Any], node_id: str, probe: ChangeProbe, with_id: Callable[[str], bool]) -> Any:
    ancestors: list[str] = []
    order: dict[str, int] = {}
    _ancestry(prompt, node_id, ancestors, order)
    parts = [_immediate(prompt, n, order, probe, with_id) for n in [node_id, *ancestors]]
    if any(isinstance(p, _NotCacheable) for p in parts):
        return _NotCacheable()
    return "\n".join(parts)


def not_cacheable() -> Any:
    return _NotCacheable()


class NodeCache:
    """One of ComfyUI's caches (outputs, ui): a dict keyed by the current prompt's signatures."""

    def __init__(self) -> None:
        self._data: dict[Any, Any] = {}
        self._keys: dict[str, Any] = {}

    def set_prompt(self, keys: dict[str, Any]) -> None:
        self._keys = keys
        used = set(k for k in keys.values() if not isinstance(k, _NotCacheable))
        self._data = {k: v for k, v in self._data.items() if k in used}

    def node_ids(self) -> list[str]:
        return list(self._keys)

    def get(self, node_id: str) -> Any:
        key = self._keys.get(node_id)
        if key is None or isinstance(key, _NotCacheable):
            return None
        return self._data.get(key)

    def set(self, node_id: str, value: Any) -> None:
        key = self._keys.get(node_id)
        if key is not None and not isinstance(key, _NotCacheable):
            self._data[key] = value

    def clear(self) -> None:
        self._data.clear()
