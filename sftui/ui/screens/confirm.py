"""Yes/no confirmation for destructive actions (delete a session, a workflow, overwrite a file)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Label, Static

from sftui.ui.text import inert_content


class ConfirmScreen(ModalScreen[bool]):
    """Ask before doing something that cannot be undone; dismisses with True to go ahead.

    y confirms and n/esc cancel from anywhere; enter presses the focused button. For a
    destructive action the focus starts on Cancel, so a stray enter does not delete.
    """

    BINDING_GROUP_TITLE = "Confirm"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "confirm", "Yes", id="confirm.yes", tooltip="Go ahead"),
        Binding("n", "cancel", "No", id="confirm.no", tooltip="Cancel and change nothing"),
        Binding("escape", "cancel", "Cancel", id="confirm.cancel", tooltip="Cancel and change nothing"),
        Binding("left,right", "switch_button", "Switch", show=False, id="confirm.switch", tooltip="Move between the buttons"),
    ]

    def __init__(self, title: str, message: str, *, confirm_label: str = "Delete", destructive: bool = True) -> None:
        super().__init__(classes="sftui-modal confirm-modal")
        self.title_text = title
        self.message_text = message
        self.confirm_label = confirm_label
        self.destructive = destructive

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(inert_content(self.title_text, single_line=True), classes="dialog-title")
            yield Static(inert_content(self.message_text), id="confirm-message", classes="dialog-message")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button(inert_content(self.confirm_label, single_line=True), id="confirm",
                             variant="error" if self.destructive else "primary", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#cancel" if self.destructive else "#confirm", Button).focus()

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_switch_button(self) -> None:
        self.focus_next(Button)

    @on(Button.Pressed, "#confirm")
    def _confirmed(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def _cancelled(self) -> None:
        self.dismiss(False)
