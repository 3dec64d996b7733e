"""A UI graph (root plus subgraph definitions) read into plain objects.

Reading is forgiving (ids as ints, floats or strings; links as arrays or
objects; missing fields) because graphs come from many frontend versions.
Like ComfyUI's frontend on load, node ids inside subgraph definitions that
collide with root ids (or an earlier definition's) are renumbered from
``last_node_id`` upwards; that is where API ids such as ``"41:53"`` come from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sftui.errors import WorkflowError
from sftui.workflows.convert_widgets import Widget, assign_values, build_widgets, widgets_from_names
from sftui.workflows.nodedefs import NodeDef, NodeDefs

SUBGRAPH_INPUT = "-10"
SUBGRAPH_OUTPUT = "-20"
VIRTUAL_TYPES = frozenset({"Reroute", "PrimitiveNode", "Note", "MarkdownNote"})


@dataclass
class Slot:
    name: str
    type: str | None
    link: Any = None
    widget: str | None = None
    links: list = field(default_factory=list)


@dataclass
class Link:
    id: Any
    origin: str
    origin_slot: int
    target: str
    target_slot: int


@dataclass
class Promoted:
    holder: Widget
    source: Widget


@dataclass
class Node:
    key: str
    type: str
    mode: int
    title: str | None
    inputs: list[Slot]
    outputs: list[Slot]
    values: Any
    properties: dict
    widgets: list[Widget] = field(default_factory=list)
    subgraph: Graph | None = None
    promoted: dict[int, Promoted] = field(default_factory=dict)

    @property
    def is_virtual(self) -> bool:
        return self.subgraph is not None or self.type in VIRTUAL_TYPES


@dataclass
class Graph:
    id: str | None
    name: str
    nodes: dict[str, Node]
    links: dict[Any, Link]
    inputs: list[Slot] = field(default_factory=list)
    outputs: list[Slot] = field(default_factory=list)


def node_key(value: Any) -> str | None:
    """Node ids as the frontend prints them (``String(id)``)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str) and value:
        return value
    return None


def link_key(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, (int, str)) else None


def _int(value: Any, default: int = 0) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return default
    return default


def slot_type(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def read_links(raw: Any) -> dict[Any, Link]:
    items = raw.values() if isinstance(raw, dict) else raw if isinstance(raw, list) else []
    links: dict[Any, Link] = {}
    for item in items:
        if isinstance(item, list) and len(item) >= 5:
            lid, origin, oslot, target, tslot = item[:5]
        elif isinstance(item, dict):
            lid, origin, oslot = item.get("id"), item.get("origin_id"), item.get("origin_slot")
            target, tslot = item.get("target_id"), item.get("target_slot")
        else:
            continue
        key, okey, tkey = link_key(lid), node_key(origin), node_key(target)
        if key is not None and okey is not None and tkey is not None:
            links.setdefault(key, Link(key, okey, _int(oslot, -1), tkey, _int(tslot, -1)))
    return links


def _slots(raw: Any, *, outputs: bool) -> list[Slot]:
    slots = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, dict):
            item = {}
        widget = item.get("widget")
        widget_name = widget.get("name") if isinstance(widget, dict) and isinstance(widget.get("name"), str) else None
        if outputs:
            links = item.get("links")
            slots.append(Slot(str(item.get("name") or ""), slot_type(item.get("type")), links=links if isinstance(links, list) else []))
        else:
            slots.append(Slot(str(item.get("name") or ""), slot_type(item.get("type")), link_key(item.get("link")), widget_name))
    return slots


def read_node(raw: Any) -> Node | None:
    if not isinstance(raw, dict):
        return None
    key = node_key(raw.get("id"))
    if key is None or not isinstance(raw.get("type"), str):
        return None
    properties = raw.get("properties") if isinstance(raw.get("properties"), dict) else {}
    return Node(
        key=key,
        type=raw["type"],
        mode=_int(raw.get("mode"), 0),
        title=raw.get("title") if isinstance(raw.get("title"), str) else None,
        inputs=_slots(raw.get("inputs"), outputs=False),
        outputs=_slots(raw.get("outputs"), outputs=True),
        values=raw.get("widgets_values"),
        properties=properties,
    )


def _node_problem(raw: Any) -> str | None:
    if not isinstance(raw, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(raw), "a number")
        return f"is {kind}, not a node object"
    if node_key(raw.get("id")) is None:
        return f"has no usable id ({raw.get('id')!r:.40})"
    if not isinstance(raw.get("type"), str):
        return f"(id {node_key(raw.get('id'))}) has no node type"
    return None


def _check_links_present(raw: dict, where: str) -> None:
    """A graph whose inputs use links but that lacks ``links`` was cut short; say so, not "input missing"."""
    if "links" in raw:
        return
    for item in raw.get("nodes") if isinstance(raw.get("nodes"), list) else []:
        slots = item.get("inputs") if isinstance(item, dict) else None
        for slot in slots if isinstance(slots, list) else []:
            if isinstance(slot, dict) and slot.get("link") is not None:
                raise WorkflowError(
                    f'{where} has no "links" list, but node {node_key(item.get("id"))} input {str(slot.get("name"))!r} '
                    f"uses link {slot['link']!r:.20}; the file is incomplete"
                )


def read_graph(raw: dict, *, graph_id: str | None, name: str) -> Graph:
    where = "the UI graph" if graph_id is None else f"subgraph {name!r}"
    _check_links_present(raw, where)
    nodes: dict[str, Node] = {}
    for index, item in enumerate(raw.get("nodes") if isinstance(raw.get("nodes"), list) else []):
        # The browser cannot load such an entry either; dropping it silently would only
        # surface later as a confusing "required input is missing" on its neighbours.
        problem = _node_problem(item)
        if problem is not None:
            raise WorkflowError(f"{where}: nodes[{index}] {problem}")
        node = read_node(item)
        if node is not None:
            nodes.setdefault(node.key, node)
    graph = Graph(graph_id, name, nodes, read_links(raw.get("links")))
    for attr in ("inputs", "outputs"):
        for item in raw.get(attr) if isinstance(raw.get(attr), list) else []:
            item = item if isinstance(item, dict) else {}
            ids = [link_key(i) for i in item.get("linkIds") or [] if link_key(i) is not None] if isinstance(item.get("linkIds"), list) else []
            getattr(graph, attr).append(Slot(str(item.get("name") or ""), slot_type(item.get("type")), links=ids))
    return graph


def collect_definitions(root: dict) -> list[dict]:
    """Subgraph definitions, including any nested inside other definitions (first id wins)."""
    found: dict[str, dict] = {}
    stack = [root]
    while stack:
        holder = stack.pop()
        definitions = holder.get("definitions")
        subgraphs = definitions.get("subgraphs") if isinstance(definitions, dict) else None
        for sub in subgraphs if isinstance(subgraphs, list) else []:
            if isinstance(sub, dict) and isinstance(sub.get("id"), str) and sub["id"] not in found:
                found[sub["id"]] = sub
                stack.append(sub)
    return list(found.values())


def dedupe_node_ids(root: dict, root_nodes: dict[str, Node], subgraphs: list[Graph]) -> None:
    """Renumber subgraph node ids that collide, as LGraph.configure does."""
    used = set(root_nodes)
    state = root.get("state") if isinstance(root.get("state"), dict) else {}
    last = _int(state.get("lastNodeId"), _int(root.get("last_node_id"), 0))
    for graph in subgraphs:
        remap: dict[str, str] = {}
        for key in list(graph.nodes):
            if key in used:
                while True:
                    last += 1
                    if str(last) not in used:
                        break
                remap[key] = str(last)
                used.add(str(last))
            else:
                used.add(key)
                last = max(last, _int(key, last))
        if remap:
            graph.nodes = {remap.get(k, k): _renamed(n, remap.get(k, k)) for k, n in graph.nodes.items()}
            for link in graph.links.values():
                link.origin = remap.get(link.origin, link.origin)
                link.target = remap.get(link.target, link.target)


def _renamed(node: Node, key: str) -> Node:
    node.key = key
    return node


def attach_widgets(graph: Graph, defs: NodeDefs, object_info: dict) -> None:
    for node in graph.nodes.values():
        if node.is_virtual:
            continue
        node_def = defs.get(node.type)
        if node_def is None:
            node.widgets = widgets_from_names(node.values)
            continue
        node.widgets = build_widgets(node.type, node_def, object_info.get(node.type))
        assign_values(node.widgets, node.values, node_def)
