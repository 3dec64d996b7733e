"""Ask for one line of text: a new session's title, a rename, a path to save to."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static

from sftui.ui.text import inert_content


class TextPromptScreen(ModalScreen[str | None]):
    """One labelled Input; enter returns its text (stripped), esc returns None.

    An empty answer is accepted only when ``allow_empty`` (default: when ``initial``
    is empty, e.g. "New session (optional title)"); otherwise it is refused inline.
    """

    BINDING_GROUP_TITLE = "Prompt"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="prompt.cancel", tooltip="Close without changing anything"),
    ]

    def __init__(
        self,
        title: str,
        label: str,
        *,
        initial: str = "",
        placeholder: str = "",
        allow_empty: bool | None = None,
    ) -> None:
        super().__init__(classes="sftui-modal prompt-modal")
        self.title_text = title
        self.label_text = label
        self.initial = initial
        self.placeholder = placeholder
        self.allow_empty = (initial == "") if allow_empty is None else allow_empty

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(inert_content(self.title_text, single_line=True), classes="dialog-title")
            yield Label(inert_content(self.label_text, single_line=True), classes="dialog-label")
            yield Input(self.initial, placeholder=self.placeholder, id="prompt-input", select_on_focus=False)
            yield Static("", id="prompt-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("OK", id="ok", variant="primary", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        box = self.query_one("#prompt-input", Input)
        box.focus()
        box.cursor_position = len(box.value)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#prompt-input")
    @on(Button.Pressed, "#ok")
    def _submit(self) -> None:
        text = self.query_one("#prompt-input", Input).value.strip()
        if not text and not self.allow_empty:
            error = self.query_one("#prompt-error", Static)
            error.update(inert_content(f"{self.label_text.rstrip(':')} cannot be empty", single_line=True))
            error.add_class("-shown")
            return
        self.dismiss(text)

    @on(Button.Pressed, "#cancel")
    def _cancelled(self) -> None:
        self.dismiss(None)

    @on(Input.Changed, "#prompt-input")
    def _typing(self) -> None:
        self.query_one("#prompt-error", Static).remove_class("-shown")
