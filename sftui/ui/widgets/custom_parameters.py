"""A workflow's custom parameters (everything extraction found besides the standard ones), by node."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widget import Widget
from textual.widgets import Checkbox, Collapsible, Input, Static

from sftui.errors import ParameterError
from sftui.ui.text import inert, inert_content
from sftui.ui.widgets.choice_select import ChoiceSelect
from sftui.ui.widgets.number_input import NumberInput
from sftui.ui.widgets.parameter_field import ParameterField

# Past this many nodes the groups start collapsed so the panel stays short.
EXPAND_UP_TO_GROUPS = 3


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
            self.widget = Input("" if value is None else str(value), compact=True, tooltip=tooltip, classes="custom-control")

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


class CustomParameters(Vertical):
    """One Collapsible per node holding its custom parameters, each with the control its type needs."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._controls: dict[str, _Control] = {}
        self._pending: list[Widget] = []

    def compose(self) -> ComposeResult:
        yield from self._pending
        self._pending = []

    @property
    def keys(self) -> list[str]:
        return list(self._controls)

    def control_for(self, key: str) -> Widget | None:
        control = self._controls.get(key)
        return control.widget if control else None

    def set_parameters(self, params: Sequence[dict[str, Any]], values: dict[str, Any] | None = None) -> None:
        """Rebuild for a workflow; ``values`` override the workflow's own values by key."""
        values = values or {}
        self._controls = {p["key"]: _Control(p, values.get(p["key"], p.get("value"))) for p in params if p.get("key")}
        groups: dict[str, list[_Control]] = {}
        for control in self._controls.values():
            groups.setdefault(str(control.param.get("nodeId")), []).append(control)
        if self.is_mounted:
            self.remove_children()
        self._pending = []
        if not groups:
            return
        collapsed = len(groups) > EXPAND_UP_TO_GROUPS
        sections = []
        for node_id, controls in groups.items():
            title = f"{controls[0].param.get('group') or controls[0].param.get('class_type')} · node {node_id}"
            fields = [ParameterField(str(c.param.get("field")), c.widget) for c in controls]
            sections.append(Collapsible(Grid(*fields, classes="custom-grid"), title=inert_content(title, single_line=True), collapsed=collapsed))  # type: ignore[arg-type]
        widgets = [Static("Workflow parameters", classes="panel-heading"), *sections]
        if self.is_mounted:
            self.mount_all(widgets)
        else:
            self._pending = widgets

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
