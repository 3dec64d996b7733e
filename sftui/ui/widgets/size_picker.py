"""Image size: a preset list plus free width and height."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Label, Select

from sftui.errors import ParameterError
from sftui.ui.text import inert_content
from sftui.ui.widgets.compact_select import CompactSelect
from sftui.ui.widgets.number_input import Number, NumberInput

# EmptyLatentImage's bounds, used until the workflow's own definitions arrive.
DEFAULT_SIZE_LIMITS = (16, 16384)


def preset_value(width: int, height: int) -> str:
    return f"{width}x{height}"


class SizePicker(Horizontal):
    """A preset Select (SDXL and SD1.5 sizes from the server options) and width × height Inputs.

    Picking a preset fills both numbers; typing numbers that match a preset selects it,
    any other size shows "Custom".
    """

    def __init__(
        self,
        width: int | None = None,
        height: int | None = None,
        *,
        presets: Sequence[dict[str, Any]] = (),
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._presets = [dict(p) for p in presets]
        self._width = NumberInput(
            width, label="Width", integer=True, minimum=DEFAULT_SIZE_LIMITS[0], maximum=DEFAULT_SIZE_LIMITS[1],
            placeholder="width", id="size-width", tooltip="Image width in pixels",
        )
        self._height = NumberInput(
            height, label="Height", integer=True, minimum=DEFAULT_SIZE_LIMITS[0], maximum=DEFAULT_SIZE_LIMITS[1],
            placeholder="height", id="size-height", tooltip="Image height in pixels",
        )
        self._preset = CompactSelect(
            self._options(), prompt="Custom", compact=True, id="size-preset",
            value=self._match(width, height), tooltip="Size presets (SDXL and SD1.5 optimal sizes)",
        )

    def compose(self) -> ComposeResult:
        yield self._preset
        yield self._width
        yield Label("×", classes="size-times")
        yield self._height

    def _options(self) -> list[tuple[Any, str]]:
        return [
            (inert_content(f"{p['width']}×{p['height']} {p.get('label', '')}".strip(), single_line=True), preset_value(p["width"], p["height"]))
            for p in self._presets
        ]

    def _match(self, width: Any, height: Any) -> Any:
        for p in self._presets:
            if (p["width"], p["height"]) == (width, height):
                return preset_value(width, height)
        return Select.NULL

    @property
    def width_input(self) -> NumberInput:
        return self._width

    @property
    def height_input(self) -> NumberInput:
        return self._height

    def dimensions(self) -> tuple[int, int]:
        """(width, height); ParameterError naming the refused one."""
        return int(self._width.number()), int(self._height.number())  # type: ignore[arg-type]

    def set_size(self, width: int | None, height: int | None) -> None:
        if width is not None:
            self._width.set_number(width)
        if height is not None:
            self._height.set_number(height)
        self._sync_preset()

    def set_presets(self, presets: Sequence[dict[str, Any]]) -> None:
        self._presets = [dict(p) for p in presets]
        if self._preset.is_mounted:
            with self.prevent(Select.Changed):
                self._preset.set_options(self._options())
        self._sync_preset()

    def set_limits(self, width: tuple[Number | None, Number | None], height: tuple[Number | None, Number | None]) -> None:
        self._width.set_limits(*width)
        self._height.set_limits(*height)

    def _numbers(self) -> tuple[Any, Any]:
        values = []
        for box in (self._width, self._height):
            try:
                values.append(box.number())
            except ParameterError:
                values.append(None)
        return values[0], values[1]

    def _sync_preset(self) -> None:
        match = self._match(*self._numbers())
        if self._preset.value != match:
            with self.prevent(Select.Changed):
                self._preset.value = match

    @on(Select.Changed, "#size-preset")
    def _preset_chosen(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is Select.NULL:
            return
        width, height = (int(part) for part in str(event.value).split("x"))
        if self._numbers() != (width, height):
            self._width.set_number(width)
            self._height.set_number(height)

    @on(Input.Changed)
    def _numbers_typed(self) -> None:
        self._sync_preset()
