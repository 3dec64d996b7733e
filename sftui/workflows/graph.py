"""Graph helpers for API-format prompts: links, consumers, types, upstream walks.

An API prompt is ``{node_id: {"class_type": str, "inputs": {...}, "_meta": {...}}}``;
an input whose value is a two-element list ``[source_id, output_slot]`` is a link.

Link types come from the server's object_info when the caller has it, else
from a built-in copy of the core node definitions (``data/core_nodes.json``,
types only), else from the input's name. The built-in copy is never used to
validate values: only the server knows its model lists and ranges.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable, Iterator

from sftui.errors import WorkflowError
from sftui.workflows.nodedefs import InputDef, NodeDef, NodeDefs

Link = tuple[str, int]

# Used only when neither object_info nor the built-in definitions know a node.
_NAME_TYPES = {
    "model": "MODEL",
    "clip": "CLIP",
    "vae": "VAE",
    "positive": "CONDITIONING",
    "negative": "CONDITIONING",
    "conditioning": "CONDITIONING",
    "latent_image": "LATENT",
    "samples": "LATENT",
    "latent": "LATENT",
    "noise": "NOISE",
    "guider": "GUIDER",
    "sampler": "SAMPLER",
    "sigmas": "SIGMAS",
}


@lru_cache(maxsize=1)
def _builtin_raw() -> dict[str, Any]:
    text = resources.files("sftui.workflows").joinpath("data/core_nodes.json").read_text("utf-8")
    return json.loads(text)


def builtin_defs() -> NodeDefs:
    return _builtin_defs()


@lru_cache(maxsize=1)
def _builtin_defs() -> NodeDefs:
    return NodeDefs(_builtin_raw())


def as_link(value: Any) -> Link | None:
    """``[id, slot]`` as ``(str(id), slot)``; ComfyUI treats such a list as a link."""
    if (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], (str, int))
        and not isinstance(value[0], bool)
        and isinstance(value[1], int)
        and not isinstance(value[1], bool)
    ):
        return str(value[0]), value[1]
    return None


def check_prompt(prompt: Any) -> None:
    """Raise ``WorkflowError`` unless ``prompt`` has the API-prompt shape."""
    if not isinstance(prompt, dict):
        raise WorkflowError(f"an API prompt must be a JSON object of nodes, not {type(prompt).__name__}")
    if "nodes" in prompt and "links" in prompt:
        raise WorkflowError("this is a UI-format workflow; convert it to an API prompt first")
    for node_id, node in prompt.items():
        if not isinstance(node_id, str):
            raise WorkflowError(f"node id {node_id!r}: node ids must be strings")
        if not isinstance(node, dict):
            raise WorkflowError(f"node {node_id}: must be an object, not {type(node).__name__}")
        if not isinstance(node.get("class_type"), str) or not node["class_type"]:
            raise WorkflowError(f"node {node_id}: missing class_type")
        if not isinstance(node.get("inputs", {}), dict):
            raise WorkflowError(f"node {node_id} ({node['class_type']}): inputs must be an object")


def fresh_copy(prompt: dict[str, Any]) -> dict[str, Any]:
    check_prompt(prompt)
    try:
        out = copy.deepcopy(prompt)
    except RecursionError:
        raise WorkflowError("the API prompt nests JSON too deeply to be a workflow") from None
    for node in out.values():
        node.setdefault("inputs", {})
    return out


class Graph:
    """Read-mostly view of an API prompt with type lookups and a consumer index.

    Call :meth:`reindex` after changing links.
    """

    def __init__(self, prompt: dict[str, Any], object_info: dict[str, Any] | None = None) -> None:
        self.prompt = prompt
        self.server = NodeDefs(object_info) if isinstance(object_info, dict) else None
        self._consumers: dict[Link, list[tuple[str, str]]] = {}
        self.reindex()

    def reindex(self) -> None:
        self._consumers = {}
        for node_id in self.prompt:
            for name, value in self.inputs(node_id).items():
                link = as_link(value)
                if link is not None and link[0] in self.prompt:
                    self._consumers.setdefault(link, []).append((node_id, name))

    # -- nodes ---------------------------------------------------------------
    def class_of(self, node_id: str) -> str:
        return str(self.prompt[node_id].get("class_type", ""))

    def inputs(self, node_id: str) -> dict[str, Any]:
        inputs = self.prompt[node_id].get("inputs")
        return inputs if isinstance(inputs, dict) else {}

    def title(self, node_id: str) -> str:
        meta = self.prompt[node_id].get("_meta")
        title = meta.get("title") if isinstance(meta, dict) else None
        return title if isinstance(title, str) and title else self.class_of(node_id)

    def describe(self, node_id: str) -> str:
        return f"node {node_id} ({self.class_of(node_id)})"

    def node_def(self, node_id: str) -> NodeDef | None:
        class_type = self.class_of(node_id)
        found = self.server.get(class_type) if self.server is not None else None
        return found or builtin_defs().get(class_type)

    def server_input(self, node_id: str, name: str) -> InputDef | None:
        if self.server is None:
            return None
        node = self.server.get(self.class_of(node_id))
        return node.inputs.get(name) if node is not None else None

    def widget_value(self, node_id: str, name: str) -> tuple[bool, Any]:
        """(present, value) for a non-link input."""
        inputs = self.inputs(node_id)
        if name not in inputs or as_link(inputs[name]) is not None:
            return False, None
        return True, inputs[name]

    # -- links and types -----------------------------------------------------
    def link(self, node_id: str, name: str) -> Link | None:
        link = as_link(self.inputs(node_id).get(name))
        return link if link is not None and link[0] in self.prompt else None

    def output_type(self, link: Link) -> str | None:
        node = self.node_def(link[0])
        if node is None or not 0 <= link[1] < len(node.outputs):
            return None
        return node.outputs[link[1]]

    def output_name(self, link: Link) -> str | None:
        node = self.node_def(link[0])
        if node is None or not 0 <= link[1] < len(node.output_names):
            return None
        return node.output_names[link[1]]

    def input_type(self, node_id: str, name: str) -> str | None:
        """The type carried by a linked input (source output first, then the input's declaration)."""
        link = self.link(node_id, name)
        if link is None:
            return None
        found = self.output_type(link)
        if found and found != "*":
            return found
        node = self.node_def(node_id)
        declared = node.inputs.get(name) if node is not None else None
        if declared is not None and declared.kind == "LINK" and declared.link_types[0] != "*":
            return declared.link_types[0]
        return _NAME_TYPES.get(name)

    def linked_inputs(self, node_id: str, type_name: str) -> list[str]:
        return [n for n in self.inputs(node_id) if self.link(node_id, n) and self.input_type(node_id, n) == type_name]

    def consumers(self, node_id: str, slot: int | None = None) -> list[tuple[str, str]]:
        """(consumer_id, input_name) pairs reading node_id's output (one slot or all)."""
        if slot is not None:
            return list(self._consumers.get((node_id, slot), ()))
        return [c for (src, _), found in sorted(self._consumers.items()) if src == node_id for c in found]

    def output_slot(self, node_id: str, type_name: str) -> int | None:
        node = self.node_def(node_id)
        if node is not None and type_name in node.outputs:
            return node.outputs.index(type_name)
        used = {slot for (src, slot) in self._consumers if src == node_id and self.output_type((src, slot)) == type_name}
        return min(used) if used else None

    # -- walks ---------------------------------------------------------------
    def upstream_path(self, node_id: str, name: str, type_name: str) -> list[str]:
        """Nodes met following one chain of ``type_name`` links upstream from an input.

        At each node the input of the same name is preferred, else the first
        input of that type; the last element is the chain's source.
        """
        path: list[str] = []
        link = self.link(node_id, name)
        while link is not None and link[0] not in path:
            current = link[0]
            path.append(current)
            candidates = self.linked_inputs(current, type_name)
            nxt = name if name in candidates else (candidates[0] if candidates else None)
            link = self.link(current, nxt) if nxt else None
        return path

    def upstream_all(self, starts: Iterable[Link], type_name: str) -> list[str]:
        """Every node reached from ``starts`` through ``type_name`` links, sources last-visited order kept."""
        seen: list[str] = []
        stack = [link[0] for link in starts]
        while stack:
            current = stack.pop()
            if current in seen or current not in self.prompt:
                continue
            seen.append(current)
            for name in reversed(self.linked_inputs(current, type_name)):
                stack.append(self.link(current, name)[0])  # type: ignore[index]
        return seen

    def sources(self, starts: Iterable[Link], type_name: str) -> list[str]:
        """The nodes with no ``type_name`` input that feed ``starts``."""
        return [n for n in self.upstream_all(starts, type_name) if not self.linked_inputs(n, type_name)]

    def input_links(self, node_id: str, type_name: str) -> Iterator[Link]:
        for name in self.linked_inputs(node_id, type_name):
            yield self.link(node_id, name)  # type: ignore[misc]

    def new_id(self) -> str:
        numeric = [int(n) for n in self.prompt if n.isascii() and n.isdigit() and len(n) < 16]
        candidate = max(numeric, default=0) + 1
        while str(candidate) in self.prompt:
            candidate += 1
        return str(candidate)
