"""The parameter panel (§6.3 ParameterPanel): standard settings, LoRAs and a workflow's custom inputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Select

from sftui.errors import ParameterError
from sftui.generation.service import MAX_COUNT
from sftui.ui.widgets.choice_select import ChoiceSelect
from sftui.ui.widgets.custom_parameters import CustomParameters
from sftui.ui.widgets.lora_list import LoraList
from sftui.ui.widgets.number_input import NumberInput
from sftui.ui.widgets.parameter_field import ParameterField
from sftui.ui.widgets.seed_input import RANDOM, SeedInput
from sftui.ui.widgets.size_picker import DEFAULT_SIZE_LIMITS, SizePicker

# Shown when no workflow says otherwise: the built-in text-to-image workflow's values.
DEFAULTS: dict[str, Any] = {
    "width": 1024, "height": 1024, "batch_size": 1, "count": 1, "steps": 20, "cfg_scale": 7.0,
    "sampler_name": "euler", "scheduler": "normal", "seed": RANDOM, "loras": [],
}
# The rows shown when the workflow's parameters are unknown (nothing extracted yet).
DEFAULT_ROWS = frozenset({"size", "batch_size", "steps", "cfg_scale", "sampler_name", "scheduler", "seed", "checkpoint_name", "loras"})
# Fallback bounds (ComfyUI's KSampler / EmptyLatentImage) until the workflow's definitions say otherwise.
DEFAULT_LIMITS: dict[str, tuple[Any, Any]] = {"batch_size": (1, 4096), "steps": (1, 10000), "cfg_scale": (0.0, 100.0), "denoise": (0.0, 1.0)}
# option list in build_options() -> the select it fills
OPTION_SOURCES = {"sampler_name": "samplers", "scheduler": "schedulers", "checkpoint_name": "checkpoints", "vae_name": "vaes"}
SELECT_LABELS = {"sampler_name": "Sampler", "scheduler": "Scheduler", "checkpoint_name": "Checkpoint", "vae_name": "VAE"}
NUMBER_ROWS = {"batch_size": ("Batch size", True), "count": ("Batch count", True), "steps": ("Steps", True), "cfg_scale": ("CFG", False), "denoise": ("Denoise", False)}
# Fields side by side on one line (stacked when the panel is narrow).
LINES = (("size",), ("batch_size", "count"), ("steps", "cfg_scale"), ("sampler_name", "scheduler"), ("seed",),
         ("checkpoint_name",), ("vae_name", "denoise"), ("loras",))
ROW_ORDER = tuple(key for line in LINES for key in line)
# Keys that load() leaves alone when their value is None.
NUMBER_KEYS = frozenset({"width", "height", *NUMBER_ROWS})
TOOLTIPS = {
    "batch_size": "Images per generation, made together in one batch (uses more memory)",
    "count": f"How many generations to queue, one after another (1 to {MAX_COUNT})",
    "steps": "Sampling steps",
    "cfg_scale": "Classifier-free guidance: how strongly the prompt steers the image",
    "denoise": "How much of the latent is replaced (1.0 = all of it)",
}


def _over(own: dict[str, Any], loaded: dict[str, Any]) -> dict[str, Any]:
    """The values ``load(loaded)`` leaves after the workflow's ``own`` were shown: ``load`` skips
    empty numbers and a ``loras`` that is not a list, and keeps every other key it is given."""
    merged = dict(own)
    for key, value in loaded.items():
        if value is None and key in NUMBER_KEYS:
            continue
        if key == "loras" and not isinstance(value, list):
            continue
        merged[key] = value
    return merged


class ParameterPanel(Widget):
    """Generation settings: size, batch, steps, CFG, sampler, scheduler, seed, checkpoint, LoRAs,
    then the selected workflow's custom parameters grouped by node.

    Set ``options`` (``build_options``) and ``workflow_parameters`` (``extract_parameters``);
    ``load()`` restores stored parameters, ``collect()`` reads them back for generation, and
    ``show_workflow()`` does the first two at once. Showing a workflow again (another session)
    only changes values: no widget is mounted or removed for the same parameter definitions.
    """

    BINDING_GROUP_TITLE = "Parameters"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "randomize_seed", "Random seed", id="parameters.randomize_seed",
                tooltip="Put a new random seed in the seed field (-1 means random per image)"),
    ]

    options: reactive[dict[str, Any]] = reactive(dict, always_update=True)
    """The server's choices, shaped like ``sftui.workflows.options.build_options``."""
    workflow_parameters: reactive[list[dict[str, Any]]] = reactive(list, always_update=True)
    """The selected workflow's parameters (``extract_parameters``); setting it shows the workflow's values."""
    values: reactive[dict[str, Any]] = reactive(dict, always_update=True)
    """The parameters as last shown (refused fields left out); assigning it loads them."""

    @dataclass
    class Changed(Message):
        """The user changed a setting; ``values`` are the currently valid parameters."""

        panel: ParameterPanel
        values: dict[str, Any]

        @property
        def control(self) -> ParameterPanel:
            return self.panel

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        d = DEFAULTS
        self.size_picker = SizePicker(d["width"], d["height"], id="size-picker")
        self.numbers = {
            key: NumberInput(d.get(key), label=label, integer=integer, minimum=DEFAULT_LIMITS.get(key, (1, None))[0],
                             maximum=DEFAULT_LIMITS.get(key, (None, None))[1], id=f"param-{key}", tooltip=TOOLTIPS[key])
            for key, (label, integer) in NUMBER_ROWS.items()
        }
        self.numbers["count"].maximum = MAX_COUNT
        self.selects = {
            key: ChoiceSelect([], d.get(key), label=label, id=f"param-{key}", tooltip=f"{label} (choices from the server)")
            for key, label in SELECT_LABELS.items()
        }
        self.seed_input = SeedInput(d["seed"], id="seed-input")
        self.lora_list = LoraList(id="lora-list")
        self.custom = CustomParameters(id="custom-parameters")
        self._rows = set(DEFAULT_ROWS)
        self._fields: dict[str, ParameterField] = {}
        self._lines: list[tuple[Widget, tuple[str, ...]]] = []

    # -- layout ------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with VerticalScroll(id="parameters-scroll"):
            for line in LINES:
                if len(line) == 1:
                    yield self._field(line[0])
                    continue
                with Horizontal(classes="parameter-line") as container:
                    self._lines.append((container, line))
                    for key in line:
                        yield self._field(key)
            yield self.custom

    def _field(self, key: str) -> ParameterField:
        if key == "size":
            field = ParameterField("Size", self.size_picker, id="row-size")
        elif key in self.numbers:
            field = ParameterField(NUMBER_ROWS[key][0], self.numbers[key], id=f"row-{key}")
        elif key in self.selects:
            field = ParameterField(SELECT_LABELS[key], self.selects[key], id=f"row-{key}")
        elif key == "seed":
            field = ParameterField("Seed", self.seed_input, id="row-seed")
        else:
            field = ParameterField("LoRAs", self.lora_list, id="row-loras")
        self._fields[key] = field
        return field

    def on_mount(self) -> None:
        self._show_rows()
        self.set_reactive(ParameterPanel.values, self._snapshot())

    def on_resize(self, event: events.Resize) -> None:
        # Two fields per line need about 60 cells; below that, one per line.
        self.set_class(event.size.width < 60, "-narrow")

    def _show_rows(self) -> None:
        if not self.is_mounted:
            return
        shown = {key for key in ROW_ORDER if key in self._rows or key == "count"}
        for key, field in self._fields.items():
            field.display = key in shown
        for line, keys in self._lines:
            line.display = not shown.isdisjoint(keys)

    # -- reactives -----------------------------------------------------------------
    def watch_options(self, options: dict[str, Any]) -> None:
        workflow = self._standard_params()
        for key, select in self.selects.items():
            from_workflow = (workflow.get(key) or {}).get("options")
            select.set_choices(from_workflow or options.get(OPTION_SOURCES[key]) or [])
        self.lora_list.set_choices(options.get("loras") or [])
        dimensions = options.get("dimensions") or {}
        self.size_picker.set_presets([*dimensions.get("sdxl_optimal", []), *dimensions.get("sd15", [])])
        self._rebaseline()

    def watch_workflow_parameters(self, params: list[dict[str, Any]]) -> None:
        self._show_workflow(params, {})

    def _show_workflow(self, params: list[dict[str, Any]], overrides: dict[str, Any]) -> None:
        standard = self._standard_params()
        self._rows = self._rows_for(standard) if params else set(DEFAULT_ROWS)
        self._show_rows()
        for key, box in self.numbers.items():
            if key in standard:
                p = standard[key]
                box.set_limits(p.get("min", DEFAULT_LIMITS[key][0]), p.get("max", DEFAULT_LIMITS[key][1]))
        width, height = standard.get("width", {}), standard.get("height", {})
        self.size_picker.set_limits(
            (width.get("min", DEFAULT_SIZE_LIMITS[0]), width.get("max", DEFAULT_SIZE_LIMITS[1])),
            (height.get("min", DEFAULT_SIZE_LIMITS[0]), height.get("max", DEFAULT_SIZE_LIMITS[1])),
        )
        if "seed" in standard:
            self.seed_input.set_maximum(standard["seed"].get("max"))
        for key, select in self.selects.items():
            if standard.get(key, {}).get("options"):
                select.set_choices(standard[key]["options"])
        # The workflow's own values become the form's values; the seed stays as the user left it.
        own = {k: p.get("value") for k, p in standard.items() if k != "seed"}
        self._apply_standard(_over(own, overrides))
        self.custom.set_parameters([p for p in params if not p.get("standard")], {k: v for k, v in overrides.items() if "." in k})
        self._rebaseline()

    def watch_values(self, values: dict[str, Any]) -> None:
        # Only external assignment gets here: internal updates use set_reactive.
        if values != self._snapshot():
            self.load(values)

    # -- public API ----------------------------------------------------------------
    def show_workflow(self, params: list[dict[str, Any]], parameters: dict[str, Any]) -> None:
        """``workflow_parameters = params`` then ``load(parameters)``, in one pass: a field is
        written once, so a LoRA row or a "(not on server)" choice is not taken away and put back."""
        self.set_reactive(ParameterPanel.workflow_parameters, params)
        self._show_workflow(params, parameters)

    def load(self, parameters: dict[str, Any]) -> None:
        """Show stored parameters (Reuse Settings, a session's last ones): standard keys,
        ``loras``, ``count`` and custom ``"<nodeId>.<field>"`` keys; absent keys keep their value."""
        self._apply_standard(parameters)
        self.custom.set_values({k: v for k, v in parameters.items() if "." in k})
        self._rebaseline()

    def collect(self) -> dict[str, Any]:
        """Every shown parameter, typed; ParameterError naming the first refused field (which gets focus)."""
        out: dict[str, Any] = {}
        readers = self._readers()
        for key, (read, widget) in readers.items():
            try:
                value = read()
            except ParameterError as exc:
                self._report(widget, exc)
                raise
            if value is not None:
                out[key] = value
        width_height = out.pop("size", None)
        if width_height is not None:
            out["width"], out["height"] = width_height
        return out

    def randomize_seed(self) -> int:
        """Roll a concrete random seed into the seed field and return it."""
        seed = self.seed_input.randomize()
        return seed

    def action_randomize_seed(self) -> None:
        self.randomize_seed()

    # -- internals -----------------------------------------------------------------
    def _standard_params(self) -> dict[str, dict[str, Any]]:
        return {p["key"]: p for p in self.workflow_parameters if p.get("standard") and p.get("key")}

    @staticmethod
    def _rows_for(standard: dict[str, Any]) -> set[str]:
        rows = {key for key in standard if key in ROW_ORDER}
        if "width" in standard or "height" in standard:
            rows.add("size")
        return rows

    def _apply_standard(self, parameters: dict[str, Any]) -> None:
        if "width" in parameters or "height" in parameters:
            self.size_picker.set_size(parameters.get("width"), parameters.get("height"))
        for key, box in self.numbers.items():
            if parameters.get(key) is not None:
                box.set_number(parameters[key])
        for key, select in self.selects.items():
            if key in parameters:
                select.set_value(parameters[key])
        if "seed" in parameters:
            self.seed_input.set_seed(parameters["seed"])
        if isinstance(parameters.get("loras"), list):
            self.lora_list.set_loras([l if isinstance(l, dict) else dict(l) for l in parameters["loras"]])

    def _readers(self) -> dict[str, tuple[Any, Widget]]:
        readers: dict[str, tuple[Any, Widget]] = {}
        for key in ROW_ORDER:
            if key not in self._rows and key != "count":
                continue
            if key == "size":
                readers[key] = (self.size_picker.dimensions, self.size_picker)
            elif key in self.numbers:
                readers[key] = (self.numbers[key].number, self.numbers[key])
            elif key in self.selects:
                readers[key] = (lambda s=self.selects[key]: s.selection, self.selects[key])
            elif key == "seed":
                readers[key] = (self.seed_input.seed, self.seed_input.input)
            elif key == "loras":
                readers[key] = (self.lora_list.loras, self.lora_list)
        for key in self.custom.keys:
            control = self.custom.control_for(key)
            readers[key] = (lambda k=key: self.custom.read(k), control)  # type: ignore[assignment]
        return readers

    def _report(self, widget: Widget, error: ParameterError) -> None:
        field = next((a for a in widget.ancestors_with_self if isinstance(a, ParameterField)), None)
        if field is not None:
            field.set_error(error.message, source=widget)
        inside = [*widget.query("Input.-invalid"), *widget.query("Input, Select")]
        focus_target = widget if widget.focusable else next(iter(inside), None)
        if focus_target is not None and self.is_mounted:
            focus_target.focus()

    def _snapshot(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, (read, _widget) in self._readers().items():
            try:
                value = read()
            except ParameterError:
                continue
            if value is None:
                continue
            if key == "size":
                out["width"], out["height"] = value
            else:
                out[key] = value
        return out

    def _rebaseline(self) -> None:
        self.set_reactive(ParameterPanel.values, self._snapshot())

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    @on(LoraList.Changed)
    def _edited(self, event: Message) -> None:
        snapshot = self._snapshot()
        if snapshot != self.values:
            self.set_reactive(ParameterPanel.values, snapshot)
            self.post_message(self.Changed(self, snapshot))
