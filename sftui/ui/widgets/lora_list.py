"""The LoRA chain of the parameter panel: add, remove, and set both strengths."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Label, Static

from sftui.errors import ParameterError
from sftui.ui.widgets.choice_select import ChoiceSelect
from sftui.ui.widgets.number_input import NumberInput

# LoraLoader declares strength_model/strength_clip as FLOAT in -100..100.
STRENGTH_LIMIT = 100.0


class _LoraRow(Horizontal):
    """One LoraLoader: file, model strength, clip strength, remove."""

    def __init__(self, position: int, config: dict[str, Any], choices: Sequence[str]) -> None:
        super().__init__(classes="lora-row")
        self.name_select = ChoiceSelect(
            choices, config.get("name"), label="", allow_blank=True, prompt="(choose a LoRA)",
            classes="lora-name", tooltip="LoRA file (from the server's loras folder)",
        )
        self.model = NumberInput(
            config.get("strength_model", 1.0), label="", integer=False,
            minimum=-STRENGTH_LIMIT, maximum=STRENGTH_LIMIT, placeholder="model", classes="lora-strength",
            tooltip="Strength on the model (UNet), -100 to 100; 1.0 is full strength",
        )
        self.clip = NumberInput(
            config.get("strength_clip", 1.0), label="", integer=False,
            minimum=-STRENGTH_LIMIT, maximum=STRENGTH_LIMIT, placeholder="clip", classes="lora-strength",
            tooltip="Strength on the text encoder (CLIP), -100 to 100",
        )
        self.remove_button = Button("✕", classes="lora-remove", compact=True)
        self.set_position(position)

    def compose(self) -> ComposeResult:
        yield self.name_select
        yield self.model
        yield self.clip
        yield self.remove_button

    def set_position(self, position: int) -> None:
        """Name the row by its place in the chain (errors and tooltips say "LoRA 2")."""
        self.where = where = f"LoRA {position}"
        self.name_select.label = f"{where} file"
        self.model.label = f"{where} model strength"
        self.clip.label = f"{where} clip strength"
        self.remove_button.tooltip = f"Remove {where}"

    def set_config(self, config: dict[str, Any]) -> None:
        """Show another LoRA in this row (values only: nothing is mounted)."""
        self.name_select.set_value(config.get("name"))
        self.model.set_number(config.get("strength_model", 1.0))
        self.clip.set_number(config.get("strength_clip", 1.0))

    def config(self) -> dict[str, Any]:
        name = self.name_select.selection
        if name is None:
            raise ParameterError(f"{self.where}: choose a LoRA file or remove the row")
        return {"name": name, "strength_model": float(self.model.number()), "strength_clip": float(self.clip.number())}  # type: ignore[arg-type]


class LoraList(Vertical):
    """LoRAs applied after the model loader, in order (the ``loras`` parameter)."""

    @dataclass
    class Changed(Message):
        """A LoRA row was added or removed (edits inside rows arrive as Input/Select changes)."""

        lora_list: LoraList

        @property
        def control(self) -> LoraList:
            return self.lora_list

    def __init__(self, loras: Sequence[dict[str, Any]] = (), *, choices: Sequence[str] = (), id: str | None = None) -> None:
        super().__init__(id=id)
        self._choices = list(choices)
        self._rows: list[_LoraRow] = [_LoraRow(i + 1, dict(c), self._choices) for i, c in enumerate(loras)]
        #: Rows no longer in the chain, hidden after the shown ones: sessions with more or fewer
        #: LoRAs take them back instead of building (and reflowing) new widgets.
        self._spare: list[_LoraRow] = []

    def compose(self) -> ComposeResult:
        yield Static("none", classes="lora-empty")
        with Horizontal(classes="lora-header"):
            yield Label("file", classes="lora-name")
            yield Label("model", classes="lora-strength")
            yield Label("clip", classes="lora-strength")
            yield Label("", classes="lora-remove")
        yield from self._rows
        yield Button("+ Add LoRA", id="lora-add", compact=True, tooltip="Add a LoRA after the model loader")

    def on_mount(self) -> None:
        self._refresh_state()

    def loras(self) -> list[dict[str, Any]]:
        """The chain as ``{name, strength_model, strength_clip}``; ParameterError naming the row."""
        return [row.config() for row in self._rows]

    def set_loras(self, loras: Sequence[dict[str, Any]]) -> None:
        """Show ``loras``: rows already there take the new values; rows are added or hidden only for the difference."""
        configs = [dict(c) for c in loras]
        while len(self._rows) > len(configs):
            row = self._rows.pop()
            row.display = False
            self._spare.append(row)
        for row, config in zip(self._rows, configs):
            row.set_config(config)
        for config in configs[len(self._rows):]:
            self._take_row(config)
        self._refresh_state()

    def set_choices(self, choices: Sequence[str]) -> None:
        self._choices = list(choices)
        for row in (*self._rows, *self._spare):
            row.name_select.set_choices(self._choices)
        self._refresh_state()

    def add(self) -> None:
        row = self._take_row({"name": self._choices[0] if self._choices else None})
        self._refresh_state()
        row.name_select.focus()
        self.post_message(self.Changed(self))

    def _take_row(self, config: dict[str, Any]) -> _LoraRow:
        """The next row of the chain: a hidden spare shown again, else a new one mounted."""
        position = len(self._rows) + 1
        if self._spare:
            row = self._spare.pop()
            row.set_position(position)
            row.set_config(config)
            row.display = True
        else:
            row = _LoraRow(position, config, self._choices)
            if self.is_mounted:
                # After the shown rows, before the hidden spares (none are left here).
                self.mount(row, before="#lora-add")
        self._rows.append(row)
        return row

    def _refresh_state(self) -> None:
        if not self.is_mounted:
            return
        self.query_one(".lora-empty", Static).display = not self._rows
        self.query_one(".lora-header").display = bool(self._rows)
        add = self.query_one("#lora-add", Button)
        add.disabled = not self._choices
        add.tooltip = "Add a LoRA after the model loader" if self._choices else "The server lists no LoRA files"

    @on(Button.Pressed, "#lora-add")
    def _add_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.add()

    @on(Button.Pressed, ".lora-remove")
    def _remove_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        row = next((r for r in self._rows if event.button in r.children), None)
        if row is None:
            return
        index = self._rows.index(row)
        self._rows.remove(row)
        row.remove()
        self._refresh_state()
        # Keep the keyboard user in the list: the next row's remove, else Add.
        target = self._rows[min(index, len(self._rows) - 1)].query_one(".lora-remove") if self._rows else self.query_one("#lora-add")
        if not target.disabled:
            target.focus()
        self.post_message(self.Changed(self))
