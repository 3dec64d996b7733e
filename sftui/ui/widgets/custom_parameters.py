"""A workflow's custom parameters (everything extraction found besides the standard ones), by node."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Checkbox, Collapsible, Input, Static

from sftui.errors import ParameterError
from sftui.ui.text import inert, inert_content
from sftui.ui.widgets.choice_select import ChoiceSelect
from sftui.ui.widgets.number_input import FixedWidthInput, NumberInput
from sftui.ui.widgets.parameter_field import ParameterField

# Past this many nodes the groups start collapsed so the panel stays short.
EXPAND_UP_TO_GROUPS = 3
# Parameter keys that change with the workflow's values, not with what its controls are.
VALUE_KEYS = frozenset({"value", "default", "targets"})


def describe(param: dict[str, Any]) -> str:
    """The field's name in errors: label plus node id (titles are not unique)."""
    return f"{param.get('label') or param.get('field')} (node {param.get('nodeId')})"


def _tooltip(param: dict[str, Any]) -> str:
    bounds = ""
    if param.get("min") is not None or param.get("max") is not None:
        bounds = f"; range {param.get('min', '…')} to {param.get('max', '…')}"
    return inert(f"{param.get('class_type') or 'node'} input '{param.get('field')}' of node {param.get('nodeId')}{bounds}", single_line=True)


def _is_integer(param: dict[str, Any]) -> bool:
    if param.get("input_type") in ("INT", "FLOAT"):
        return param["input_type"] == "INT"
    value = param.get("value")
    return param.get("type") == "seed" or (isinstance(value, int) and not isinstance(value, bool))


class _Control:
    """The widget editing one custom parameter, and how to read and write it."""

    def __init__(self, param: dict[str, Any], value: Any) -> None:
        self.param = param
        self.key: str = param["key"]
        self.name = describe(param)
        kind = param.get("type")
        tooltip = _tooltip(param)
        self.widget: Widget
        if kind in ("number", "seed"):
            self.widget = NumberInput(
                value, label=self.name, integer=_is_integer(param), minimum=param.get("min"), maximum=param.get("max"),
                tooltip=tooltip, classes="custom-control",
            )
        elif kind == "select":
            self.widget = ChoiceSelect(param.get("options") or [], value, label=self.name, allow_blank=False, tooltip=tooltip, classes="custom-control")
        elif kind == "boolean":
            self.widget = Checkbox("on", bool(value), compact=True, tooltip=tooltip, classes="custom-control")
        else:
            self.widget = FixedWidthInput("" if value is None else str(value), compact=True, tooltip=tooltip, classes="custom-control")

    def read(self) -> Any:
        widget = self.widget
        if isinstance(widget, NumberInput):
            return widget.number()
        if isinstance(widget, ChoiceSelect):
            if widget.selection is None:
                raise ParameterError(f"{self.name}: choose a value")
            return widget.selection
        if isinstance(widget, Checkbox):
            return widget.value
        return widget.value  # type: ignore[attr-defined]

    def write(self, value: Any) -> None:
        widget = self.widget
        if isinstance(widget, NumberInput):
            widget.set_number(value)
        elif isinstance(widget, ChoiceSelect):
            widget.set_value(value)
        elif isinstance(widget, Checkbox):
            widget.value = bool(value)
        else:
            widget.value = "" if value is None else str(value)  # type: ignore[attr-defined]

    def reset(self, param: dict[str, Any], value: Any) -> None:
        """Take ``param`` (same definition, another value) and show ``value`` as a new control would."""
        self.param = param
        widget = self.widget
        if isinstance(widget, ChoiceSelect) and value is None and widget.choices:
            value = widget.choices[0]  # a new select without a value starts on the first choice
        self.write(value)


def _value_for(param: dict[str, Any], values: dict[str, Any]) -> Any:
    """``param``'s value with ``values`` over it; None does not blank a choice (as ``set_values``)."""
    value = values.get(param["key"])
    if value is None and (param["key"] not in values or param.get("type") == "select"):
        return param.get("value")
    return value


def _signature(param: dict[str, Any]) -> dict[str, Any]:
    """What the control of ``param`` is built from: everything but its value."""
    return {**{k: v for k, v in param.items() if k not in VALUE_KEYS}, "integer": _is_integer(param)}


class _Section:
    """One node's collapsible group and its controls."""

    def __init__(self, params: list[dict[str, Any]], values: dict[str, Any], collapsed: bool) -> None:
        self.signature = [_signature(p) for p in params]
        self.controls = [_Control(p, _value_for(p, values)) for p in params]
        first = params[0]
        title = f"{first.get('group') or first.get('class_type')} · node {first.get('nodeId')}"
        fields = [ParameterField(str(c.param.get("field")), c.widget) for c in self.controls]
        self.widget = Collapsible(*fields, title=inert_content(title, single_line=True), collapsed=collapsed)  # type: ignore[arg-type]
        self.fields = fields

    def reset(self, params: list[dict[str, Any]], values: dict[str, Any], collapsed: bool) -> None:
        for control, field, param in zip(self.controls, self.fields, params):
            control.reset(param, _value_for(param, values))
            if not isinstance(control.widget, Input):
                # A choice refused by collect() was about the old value; an Input's error follows
                # its text (validated again when the text changes).
                field.set_error(None, source=control.widget)
        self.widget.collapsed = collapsed


class CustomParameters(Vertical):
    """One Collapsible per node holding its custom parameters, each with the control its type needs.

    A workflow shown again (opening another session with it) keeps its widgets and only
    changes their values; another workflow keeps the node groups it has in common.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._controls: dict[str, _Control] = {}
        self._sections: list[_Section] = []
        self._heading = Static("Workflow parameters", classes="panel-heading")
        self._heading.display = False

    def compose(self) -> ComposeResult:
        yield self._heading
        yield from (section.widget for section in self._sections)

    @property
    def keys(self) -> list[str]:
        return list(self._controls)

    def control_for(self, key: str) -> Widget | None:
        control = self._controls.get(key)
        return control.widget if control else None

    def set_parameters(self, params: Sequence[dict[str, Any]], values: dict[str, Any] | None = None) -> None:
        """Show a workflow's parameters; ``values`` override the workflow's own values by key."""
        values = values or {}
        groups: dict[str, list[dict[str, Any]]] = {}
        for param in params:
            if param.get("key"):
                groups.setdefault(str(param.get("nodeId")), []).append(param)
        collapsed = len(groups) > EXPAND_UP_TO_GROUPS
        unused = list(self._sections)
        sections = []
        for group in groups.values():
            signature = [_signature(p) for p in group]
            section = next((s for s in unused if s.signature == signature), None)
            if section is None:
                section = _Section(group, values, collapsed)
            else:
                unused.remove(section)
                section.reset(group, values, collapsed)
            sections.append(section)
        self._sections = sections
        self._controls = {c.key: c for section in sections for c in section.controls}
        self._heading.display = bool(sections)
        if self.is_mounted:
            self._place(unused)

    def _place(self, unused: list[_Section]) -> None:
        """Remove the groups no longer shown, mount the new ones, keep the workflow's order."""
        for section in unused:
            section.widget.remove()
        anchor: Widget = self._heading
        for section in self._sections:
            widget = section.widget
            if widget.parent is None:
                self.mount(widget, after=anchor)
            elif self.children.index(widget) != self.children.index(anchor) + 1:
                self.move_child(widget, after=anchor)
            anchor = widget

    def read(self, key: str) -> Any:
        """One custom value; ParameterError naming it when refused."""
        return self._controls[key].read()

    def values(self) -> dict[str, Any]:
        """Every custom value keyed ``"<nodeId>.<field>"``; ParameterError naming the first refused one."""
        return {key: control.read() for key, control in self._controls.items()}

    def readable_values(self) -> dict[str, Any]:
        """The values that are currently valid (refused ones are left out)."""
        out = {}
        for key, control in self._controls.items():
            try:
                out[key] = control.read()
            except ParameterError:
                continue
        return out

    def set_values(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            control = self._controls.get(key)
            if control is not None:
                control.write(value)
