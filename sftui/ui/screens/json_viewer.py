"""View (and optionally edit) a workflow's JSON: copy it, save it, apply validated edits."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static

from sftui.errors import SftuiError
from sftui.ui.files import write_atomic
from sftui.ui.screens.save_prompt import SaveFinished, ask_save_target, report_save
from sftui.ui.text import inert_content
from sftui.ui.widgets.json_text_area import JsonTextArea


class JsonViewerScreen(ModalScreen[str | None]):
    """A workflow's JSON in a highlighted TextArea.

    c / ctrl+c copy (the selection, else everything) to the clipboard with OSC 52, so it
    works over SSH; ctrl+s saves to a file; when ``editable``, F10 (or ctrl+enter where
    the terminal reports it) applies: ``validate(text)`` returns an error to show inline,
    or None to dismiss with the edited text. esc closes without applying (None).
    """

    BINDING_GROUP_TITLE = "JSON"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "copy", "Copy", priority=True, id="json.copy", tooltip="Copy the selection, or all of the JSON, to the clipboard"),
        Binding("c", "copy", "Copy", show=False, id="json.copy_key", tooltip="Copy all of the JSON to the clipboard"),
        Binding("ctrl+s", "save", "Save to file", id="json.save", tooltip="Write the JSON to a file (asks before overwriting)"),
        Binding("f10,ctrl+enter", "apply", "Apply", id="json.apply", tooltip="Check the edited JSON and use it"),
        Binding("escape", "close", "Close", id="json.close", tooltip="Close without applying edits"),
    ]

    def __init__(
        self,
        title: str,
        text: str,
        *,
        editable: bool = False,
        validate: Callable[[str], str | None] | None = None,
        suggested_filename: str = "workflow.json",
    ) -> None:
        super().__init__(classes="sftui-modal json-modal")
        self.title_text = title
        self.initial_text = text
        self.editable = editable
        self.validate_text = validate
        self.suggested_filename = suggested_filename

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label(inert_content(self.title_text, single_line=True), classes="dialog-title")
            yield JsonTextArea(self.initial_text, read_only=not self.editable, id="json-text")
            yield Static("", id="json-error", classes="dialog-error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(JsonTextArea).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "apply":
            return self.editable
        return True

    @property
    def current_text(self) -> str:
        return self.query_one(JsonTextArea).text

    def action_copy(self) -> None:
        area = self.query_one(JsonTextArea)
        selected = area.selected_text
        text = selected or area.text
        self.app.copy_to_clipboard(text)
        what = "selection" if selected else "JSON"
        self.notify(f"Copied the {what} to the clipboard ({len(text):,} characters)", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_apply(self) -> None:
        text = self.current_text
        problem = self.validate_text(text) if self.validate_text else None
        error = self.query_one("#json-error", Static)
        if problem:
            error.update(inert_content(problem, single_line=True))
            error.add_class("-shown")
            return
        error.remove_class("-shown")
        self.dismiss(text)

    def action_save(self) -> None:
        ask_save_target(self, title="Save JSON", suggested=Path.cwd() / self.suggested_filename, on_target=self._save_to)

    def _save_to(self, path: Path, overwrite: bool) -> None:
        self._write(path, self.current_text, overwrite)

    @work(thread=True, exclusive=True, group="json-save", exit_on_error=False)
    def _write(self, path: Path, text: str, overwrite: bool) -> None:
        try:
            write_atomic(path, text.encode("utf-8"), overwrite=overwrite)
        except SftuiError as exc:
            self.post_message(SaveFinished(path, exc.message))
            return
        self.post_message(SaveFinished(path))

    def on_save_finished(self, message: SaveFinished) -> None:
        report_save(self, message)
