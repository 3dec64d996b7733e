"""Subgraph instances and PrimitiveNodes, resolved as ComfyUI's frontend does on load.

- A subgraph instance gets one input per subgraph input, linked from the saved
  instance inputs (matched by name and type, then by name).
- An input that feeds a widget inside the subgraph is "promoted": its value is
  the instance's saved value (``widgets_values`` lists one value per promoted
  input, older files also a slot per seed control), or else the inner widget's.
- A PrimitiveNode copies its value into every widget it feeds directly.
"""

from __future__ import annotations

from typing import Any

from sftui.errors import WorkflowError
from sftui.workflows.convert_graph import Graph, Node, Promoted, Slot, link_key
from sftui.workflows.convert_widgets import Widget


def bind_instance_inputs(node: Node, sub: Graph) -> None:
    """One input per subgraph input; links come from the saved instance inputs (by name and type, then name)."""
    saved = list(node.inputs)
    taken: set[int] = set()
    bound: list[Slot] = []
    for index, slot in enumerate(sub.inputs):
        match = None
        candidates = [index] if index < len(saved) and saved[index].name == slot.name else []
        candidates += [i for i, s in enumerate(saved) if s.name == slot.name and s.type == slot.type]
        candidates += [i for i, s in enumerate(saved) if s.name == slot.name]
        for i in candidates:
            if i not in taken:
                match = i
                break
        if match is not None:
            taken.add(match)
        link = saved[match].link if match is not None else None
        bound.append(Slot(slot.name, slot.type, link, slot.name))
    node.inputs = bound
    node.outputs = [Slot(s.name, s.type) for s in sub.outputs]


def promote_widgets(node: Node, sub: Graph) -> None:
    """Find each input's interior widget, then apply the instance's saved values."""
    for index, slot in enumerate(sub.inputs):
        source = _interior_widget(sub, slot)
        if source is not None:
            node.promoted[index] = Promoted(Widget(slot.name, source.value, has_control=source.has_control), source)
    values = node.values
    if isinstance(values, dict):
        for promoted in node.promoted.values():
            if promoted.holder.name in values:
                promoted.holder.value = values[promoted.holder.name]
    elif isinstance(values, list):
        extra_controls = len(values) > len(node.promoted)
        cursor = 0
        for index in sorted(node.promoted):
            promoted = node.promoted[index]
            if cursor < len(values):
                promoted.holder.value = values[cursor]
            cursor += 2 if extra_controls and promoted.source.has_control else 1
    for name, value in _quarantined_values(node.properties).items():
        for promoted in node.promoted.values():
            if promoted.holder.name == name:
                promoted.holder.value = value


def _interior_widget(sub: Graph, slot: Slot) -> Widget | None:
    for link_id in slot.links:
        link = sub.links.get(link_id)
        target = sub.nodes.get(link.target) if link else None
        if target is None:
            continue
        position = next((i for i, s in enumerate(target.inputs) if s.link == link_id), None)
        if position is None:
            continue
        if target.subgraph is not None:
            nested = target.promoted.get(position)
            if nested is not None:
                return nested.holder
            continue
        name = target.inputs[position].widget
        widget = next((w for w in target.widgets if w.name == name), None) if name else None
        if widget is not None:
            return widget
    return None


def _quarantined_values(properties: dict) -> dict[str, Any]:
    entries = properties.get("proxyWidgetErrorQuarantine")
    values: dict[str, Any] = {}
    # Hosts keep values of promotions that failed to migrate; the first entry for a name wins.
    for entry in entries if isinstance(entries, list) else []:
        original = entry.get("originalEntry") if isinstance(entry, dict) else None
        if isinstance(original, list) and len(original) == 2 and original[0] == "-1" and entry.get("hostValue") is not None:
            values.setdefault(str(original[1]), entry["hostValue"])
    return values


def apply_primitives(graph: Graph, warnings: list[str], label: Any) -> None:
    """PrimitiveNode.applyToGraph: copy the primitive's value into each widget it feeds directly."""
    for node in graph.nodes.values():
        if node.type != "PrimitiveNode" or not isinstance(node.values, list) or not node.values:
            continue
        if node.properties.get("Run widget replace on values"):
            warnings.append(f"{label(node)}: 'Run widget replace on values' is not supported; the value is used as written")
        link_ids = node.outputs[0].links if node.outputs else []
        for link_id in link_ids:
            link = graph.links.get(link_key(link_id))
            target = graph.nodes.get(link.target) if link else None
            if target is None or not 0 <= link.target_slot < len(target.inputs):
                continue
            _set_widget(target, target.inputs[link.target_slot].widget, node.values[0])


def _set_widget(target: Node, name: str | None, value: Any) -> None:
    if name is None:
        return
    if target.subgraph is not None:
        for promoted in target.promoted.values():
            if promoted.holder.name == name:
                promoted.holder.value = value
                return
        return
    for widget in target.widgets:
        if widget.name == name:
            widget.value = value
            return


def definition_order(graphs: dict[str, Graph]) -> list[Graph]:
    """Subgraphs with their nested subgraphs first; a subgraph that contains itself is an error."""
    order: list[Graph] = []
    state: dict[str, int] = {}
    for start in graphs:
        if state.get(start):
            continue
        stack: list[tuple[str, bool]] = [(start, False)]
        while stack:
            gid, done = stack.pop()
            if done:
                state[gid] = 2
                order.append(graphs[gid])
                continue
            if state.get(gid) == 2:
                continue
            if state.get(gid) == 1:
                raise WorkflowError(f"subgraph {graphs[gid].name!r} ({gid}) contains itself")
            state[gid] = 1
            stack.append((gid, True))
            for node in graphs[gid].nodes.values():
                if node.type in graphs:
                    if state.get(node.type) == 1:
                        raise WorkflowError(f"subgraph {graphs[node.type].name!r} ({node.type}) contains itself")
                    if not state.get(node.type):
                        stack.append((node.type, False))
    return order
