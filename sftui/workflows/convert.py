"""UI graph -> the API prompt ComfyUI's frontend POSTs for it (``app.graphToPrompt``).

The rules follow the frontend's ``executionUtil.graphToPrompt`` and
``ExecutableNodeDTO``: virtual nodes (Reroute, PrimitiveNode, Note,
MarkdownNote, subgraph instances) are never emitted; muted nodes (mode 2)
and bypassed nodes (mode 4) are skipped; a link is followed through
reroutes, bypassed nodes (to their first input of a matching type) and
subgraph boundaries to the real node that produces it; subgraph inner nodes
get ids ``"<instance>:<inner>"``. Every input is first given its widget value,
then overwritten by what its link resolves to; an input whose link resolves to
nothing keeps its widget value (or is absent), and a link to a node that is
not emitted is dropped.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from sftui.errors import ObjectInfoUnavailable, WorkflowError
from sftui.workflows.convert_graph import (
    SUBGRAPH_INPUT,
    Graph,
    Node,
    attach_widgets,
    collect_definitions,
    dedupe_node_ids,
    read_graph,
)
from sftui.workflows.convert_subgraphs import apply_primitives, bind_instance_inputs, definition_order, promote_widgets
from sftui.workflows.convert_widgets import MISSING, make_chooser, process_dynamic_prompt
from sftui.workflows.formats import LoadedWorkflow, given_api_prompt, ui_node_count
from sftui.workflows.limits import MAX_NODES, check_depth, check_node_count
from sftui.workflows.nodedefs import SafeNodeDefs, one_line, valid_connection

MODE_NEVER = 2
MODE_BYPASS = 4
NEEDS_OBJECT_INFO = (
    "converting a UI-format workflow needs the server's node definitions: connect to a server or pass --object-info PATH"
)


@dataclass
class ConversionResult:
    prompt: dict
    warnings: list[str] = field(default_factory=list)


def resolve_api_prompt(loaded: LoadedWorkflow, object_info: dict | None) -> ConversionResult:
    """The API prompt to run: the given one (copied), else the UI graph converted."""
    given = given_api_prompt(loaded)
    if given is not None:
        return ConversionResult(given, [])
    if loaded.ui_graph is None:
        raise WorkflowError(f"{loaded.detected} holds no ComfyUI workflow to run")
    if object_info is None:
        raise ObjectInfoUnavailable(NEEDS_OBJECT_INFO)
    return ui_to_api(loaded.ui_graph, object_info)


def ui_to_api(graph: dict, object_info: dict, *, rng: random.Random | None = None) -> ConversionResult:
    """Convert a UI graph; ``rng`` picks ``{a|b}`` dynamic-prompt choices (random, as in the browser)."""
    if not isinstance(graph, dict) or not isinstance(graph.get("nodes"), list):
        raise WorkflowError("a UI-format graph needs a 'nodes' list")
    if not isinstance(object_info, dict):
        raise ObjectInfoUnavailable(NEEDS_OBJECT_INFO)
    check_depth(graph, source="the UI graph")
    check_node_count(ui_node_count(graph), source="the UI graph")
    try:
        return _Converter(graph, object_info, rng).run()
    except WorkflowError as exc:
        exc.message = one_line(exc.message)
        exc.args = (exc.message,)
        raise


@dataclass(frozen=True)
class _Scope:
    graph: Graph
    path: tuple[str, ...] = ()
    parent: _Scope | None = None
    instance: Node | None = None

    def enter(self, node: Node) -> _Scope:
        assert node.subgraph is not None
        return _Scope(node.subgraph, self.path + (node.key,), self, node)

    def exec_id(self, node: Node) -> str:
        return ":".join(self.path + (node.key,))


@dataclass
class _Widget:
    value: Any


@dataclass(frozen=True)
class _Step:
    kind: str  # "in": resolve an input slot; "out": resolve an output slot
    scope: _Scope
    node: Node
    slot: int
    wanted: str | None = None


class _Converter:
    def __init__(self, raw: dict, object_info: dict, rng: random.Random | None) -> None:
        self.raw = raw
        self.object_info = object_info
        self.defs = SafeNodeDefs(object_info)
        self.warnings: list[str] = []
        self.dynamic_choices: list[str] = []
        self.rng = rng

    def run(self) -> ConversionResult:
        _reject_group_nodes(self.raw)
        root = read_graph(self.raw, graph_id=None, name="root")
        subgraphs = {d["id"]: read_graph(d, graph_id=d["id"], name=str(d.get("name") or d["id"])) for d in collect_definitions(self.raw)}
        dedupe_node_ids(self.raw, root.nodes, list(subgraphs.values()))
        for graph in [root, *subgraphs.values()]:
            for node in graph.nodes.values():
                if node.type in subgraphs:
                    node.subgraph = subgraphs[node.type]
            attach_widgets(graph, self.defs, self.object_info)
        for graph in [*definition_order(subgraphs), root]:
            for node in graph.nodes.values():
                if node.subgraph is not None:
                    bind_instance_inputs(node, node.subgraph)
                    promote_widgets(node, node.subgraph)
        for graph in [*subgraphs.values(), root]:
            apply_primitives(graph, self.warnings, self._label)
        prompt = self._emit(root)
        if self.dynamic_choices:
            self._warn(
                "dynamic prompt choices {a|b} were resolved at random, as the browser does, in: " + ", ".join(self.dynamic_choices)
            )
        return ConversionResult(prompt, [one_line(w) for w in self.warnings])

    def _warn(self, text: str) -> None:
        self.warnings.append(one_line(text))

    def _label(self, node: Node) -> str:
        return f"node {node.key} ({node.type})"

    # -- emission ---------------------------------------------------------

    def _executable(self, root: Graph) -> list[tuple[_Scope, Node]]:
        """Nodes in graph order with subgraph instances expanded (iteratively, bounded)."""
        out: list[tuple[_Scope, Node]] = []
        stack: list[tuple[_Scope, list[Node], int]] = [(_Scope(root), list(root.nodes.values()), 0)]
        visits = 0
        while stack:
            scope, nodes, index = stack.pop()
            if index >= len(nodes):
                continue
            stack.append((scope, nodes, index + 1))
            node = nodes[index]
            visits += 1
            if visits > 4 * MAX_NODES:
                # Subgraphs nested in subgraphs multiply; bound the walk, not just what it emits.
                check_node_count(visits, source="the UI graph with its subgraphs expanded")
            if node.subgraph is not None:
                # The frontend skips the inner nodes only of a muted/bypassed top-level instance.
                if scope.instance is None and node.mode in (MODE_NEVER, MODE_BYPASS):
                    continue
                inner = scope.enter(node)
                stack.append((inner, list(node.subgraph.nodes.values()), 0))
                continue
            if not node.is_virtual and node.mode not in (MODE_NEVER, MODE_BYPASS):
                out.append((scope, node))
                check_node_count(len(out), source="the UI graph with its subgraphs expanded")
        return out

    def _emit(self, root: Graph) -> dict:
        prompt: dict[str, dict] = {}
        for scope, node in self._executable(root):
            self._warn_about(scope, node)
            prompt[scope.exec_id(node)] = {
                "inputs": self._inputs(scope, node),
                "class_type": node.type,
                "_meta": {"title": self._title(node)},
            }
        for node_id, entry in prompt.items():
            for name, value in list(entry["inputs"].items()):
                if isinstance(value, list) and len(value) == 2 and value[0] not in prompt:
                    del entry["inputs"][name]
        return prompt

    def _warn_about(self, scope: _Scope, node: Node) -> None:
        where = f"node {scope.exec_id(node)} ({node.type})"
        if self.defs.get(node.type) is None:
            self._warn(f"{where}: the server has no node type {node.type!r} (a custom node that is not installed?); its widget values could not be mapped")
        for widget in node.widgets:
            if widget.frontend_only_type:
                self._warn(f"{where}: widget {widget.name!r} is filled in by the browser at queue time; using its saved value")

    def _title(self, node: Node) -> str:
        if node.title is not None:
            return node.title
        node_def = self.defs.get(node.type)
        return str(node_def.display_name) if node_def else node.type

    def _inputs(self, scope: _Scope, node: Node) -> dict:
        inputs: dict[str, Any] = {}
        for widget in node.widgets:
            if not widget.posted or widget.value is MISSING:
                continue
            value = widget.value
            if widget.dynamic_prompts and isinstance(value, str):
                value = self._dynamic(value, scope, node, widget.name)
            inputs[widget.name] = _wrap(value)
        for index, slot in enumerate(node.inputs):
            resolved = self._resolve_input(scope, node, index)
            if isinstance(resolved, _Widget):
                inputs[slot.name] = _wrap(resolved.value)
            elif resolved is not None:
                inputs[slot.name] = list(resolved)
        return inputs

    def _dynamic(self, value: str, scope: _Scope, node: Node, name: str) -> str:
        chosen = False

        def mark() -> None:
            nonlocal chosen
            chosen = True

        result = process_dynamic_prompt(value, make_chooser(self.rng, mark))
        if chosen:
            self.dynamic_choices.append(f'node {scope.exec_id(node)} "{name}"')
        return result

    # -- link resolution (ExecutableNodeDTO.resolveInput/resolveOutput) --

    def _resolve_input(self, scope: _Scope, node: Node, slot: int) -> tuple[str, int] | _Widget | None:
        """Follow one input to the node that produces it; iterative so long reroute chains cannot overflow."""
        visited: set[tuple] = set()
        step: Any = _Step("in", scope, node, slot)
        while isinstance(step, _Step):
            key = (step.kind, step.scope.path, step.node.key, step.slot)
            if key in visited:
                where = f"{step.scope.exec_id(step.node)} ({step.node.type})"
                raise WorkflowError(f"circular link through node {where}; the graph loops back on itself")
            visited.add(key)
            run = self._step_in if step.kind == "in" else self._step_out
            step = run(step.scope, step.node, step.slot, step.wanted)
        return step

    def _step_in(self, scope: _Scope, node: Node, slot: int, wanted: str | None) -> Any:
        if not 0 <= slot < len(node.inputs):
            return None
        entry = node.inputs[slot]
        if entry.link is None:
            return None
        link = scope.graph.links.get(entry.link)
        if link is None:
            self._warn(f'node {scope.exec_id(node)} ({node.type}) input "{entry.name}" refers to missing link {entry.link}; treated as unconnected')
            return None
        if scope.instance is not None and link.origin == SUBGRAPH_INPUT:
            return self._leave_subgraph(scope, link.origin_slot)
        origin = scope.graph.nodes.get(link.origin)
        if origin is None:
            self._warn(f'node {scope.exec_id(node)} ({node.type}) input "{entry.name}" is linked to missing node {link.origin}; dropped the link')
            return None
        return _Step("out", scope, origin, link.origin_slot, wanted if wanted is not None else entry.type)

    def _leave_subgraph(self, scope: _Scope, index: int) -> Any:
        instance, parent = scope.instance, scope.parent
        assert instance is not None and parent is not None
        if not 0 <= index < len(instance.inputs):
            return None
        if instance.inputs[index].link is None:
            promoted = instance.promoted.get(index)
            if promoted is None or promoted.holder.value is MISSING:
                return None
            return _Widget(promoted.holder.value)
        return _Step("in", parent, instance, index)

    def _step_out(self, scope: _Scope, node: Node, slot: int, wanted: str | None) -> Any:
        if node.mode == MODE_NEVER:
            return None
        if node.mode == MODE_BYPASS:
            index = _bypass_input(node, slot, wanted)
            return None if index < 0 else _Step("in", scope, node, index)
        if node.subgraph is not None:
            return self._enter_subgraph(scope, node, slot, wanted)
        if node.is_virtual:
            return _Step("in", scope, node, slot, wanted) if slot < len(node.inputs) else None
        return (scope.exec_id(node), slot)

    def _enter_subgraph(self, scope: _Scope, node: Node, slot: int, wanted: str | None) -> Any:
        sub = node.subgraph
        assert sub is not None
        if not 0 <= slot < len(sub.outputs):
            return None
        link = next((sub.links[i] for i in sub.outputs[slot].links if i in sub.links), None)
        if link is None:
            return None
        if link.origin == SUBGRAPH_INPUT:
            return _Step("in", scope, node, link.origin_slot)
        origin = sub.nodes.get(link.origin)
        return None if origin is None else _Step("out", scope.enter(node), origin, link.origin_slot, wanted)


def _bypass_input(node: Node, slot: int, wanted: str | None) -> int:
    """ExecutableNodeDTO#getBypassSlotIndex: which input a bypassed node passes to this output."""
    inputs = node.inputs
    if wanted in ("*", ""):
        return slot if len(inputs) > slot else 0
    if not 0 <= slot < len(node.outputs):
        return -1
    output_type = node.outputs[slot].type
    if slot < len(inputs) and valid_connection(inputs[slot].type, output_type) and valid_connection(inputs[slot].type, wanted):
        return slot
    for index, entry in enumerate(inputs):
        if entry.type == wanted:
            return index
    for index, entry in enumerate(inputs):
        if valid_connection(entry.type, output_type) and valid_connection(entry.type, wanted):
            return index
    return -1


def _wrap(value: Any) -> Any:
    # A bare list would read as a link; the frontend boxes list values.
    return {"__value__": value} if isinstance(value, list) else value


def _reject_group_nodes(raw: dict) -> None:
    extra = raw.get("extra") if isinstance(raw.get("extra"), dict) else {}
    groups = extra.get("groupNodes")
    if isinstance(groups, dict) and groups:
        prefixes = tuple(f"workflow{sep}{name}" for name in groups for sep in (">", "/"))
        used = [n.get("type") for n in raw["nodes"] if isinstance(n, dict) and isinstance(n.get("type"), str) and n["type"].startswith(prefixes)]
        if used:
            raise WorkflowError(
                f"the workflow uses legacy group node {used[0]!r}; open it in ComfyUI, convert the group node to a subgraph and save again"
            )
