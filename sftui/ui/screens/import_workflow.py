"""Import a workflow: read pasted JSON, a file or a PNG, preview what was found, then save it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Footer, Input, Label, Static, TextArea
from textual.worker import Worker, WorkerState

from sftui.db import Workflow, create_workflow
from sftui.errors import SftuiError
from sftui.ui.text import inert, inert_content
from sftui.ui.widgets.workflow_preview import WorkflowPreview
from sftui.workflows.formats import LoadedWorkflow, load_workflow, load_workflow_file
from sftui.workflows.importer import ImportPreview, needs_object_info, prepare_import

PASTED_SOURCE = "<pasted text>"


def looks_like_path(text: str) -> bool:
    """One line that is not JSON: treat it as a file name (checked for existence in the worker)."""
    text = text.strip()
    return bool(text) and "\n" not in text and text[0] not in "{[" and len(text) < 4096


def read_source(text: str, *, from_path_field: bool) -> tuple[LoadedWorkflow, str]:
    """Load ``text`` as a file (JSON, PNG or infotext: told apart by content) or as pasted text.

    The path field holds a path unless it holds JSON; pasted text is a path only
    when it is one line naming an existing file.
    """
    stripped = text.strip()
    if looks_like_path(stripped):
        path = Path(stripped).expanduser()
        if from_path_field or path.is_file():
            return load_workflow_file(path), str(path)
    return load_workflow(text, source=PASTED_SOURCE), PASTED_SOURCE


class ImportWorkflowScreen(ModalScreen[Workflow | None]):
    """Paste JSON or give a path (enter / F5 reads it), review the preview, name it, ctrl+s saves.

    Node definitions come from ``object_info_loader`` (async, once); they are required
    only to convert a UI-format graph. Nothing is stored until Save succeeds.
    """

    BINDING_GROUP_TITLE = "Import workflow"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "preview", "Read", id="import.preview", tooltip="Read the path or pasted text and show what would be imported"),
        Binding("ctrl+s", "save", "Save", id="import.save", tooltip="Save the previewed workflow"),
        Binding("escape", "cancel", "Cancel", id="import.cancel", tooltip="Close without importing"),
    ]

    @dataclass
    class _Loaded(Message):
        token: int
        loaded: LoadedWorkflow
        source: str

    @dataclass
    class _InfoReady(Message):
        token: int
        loaded: LoadedWorkflow
        source: str
        object_info: dict | None
        problem: str | None

    @dataclass
    class _Prepared(Message):
        token: int
        preview: ImportPreview

    @dataclass
    class _Failed(Message):
        token: int
        error: str

    @dataclass
    class _Saved(Message):
        workflow: Workflow

    @dataclass
    class _SaveFailed(Message):
        error: str

    def __init__(self, *, server_url: str, object_info_loader: Callable[[], Awaitable[dict]]) -> None:
        super().__init__(classes="sftui-modal import-modal")
        self.server_url = server_url
        self.object_info_loader = object_info_loader
        self.preview: ImportPreview | None = None
        self._object_info: dict | None = None
        self._token = 0
        self._last_edited = "path"
        self._name_edited = False
        self._saving = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog"):
            yield Label("Import workflow", classes="dialog-title")
            yield Label("File or PNG path (enter reads it):", classes="dialog-label")
            yield Input(placeholder="~/Downloads/workflow.json or ~/Pictures/ComfyUI_00001_.png", id="import-path", compact=True)
            yield Label("…or paste API/UI JSON or A1111 text here, then F5:", classes="dialog-label")
            yield TextArea(id="import-paste", tab_behavior="focus", soft_wrap=True, compact=True)
            yield Static(inert_content(f"Node definitions come from {self.server_url}.", single_line=True), id="import-status")
            with VerticalScroll(id="import-preview"):
                yield WorkflowPreview(id="workflow-preview")
            with Horizontal(classes="import-save-row"):
                yield Label("Name ", classes="dialog-label")
                yield Input(placeholder="workflow name", id="import-name", compact=True)
                yield Checkbox("Set as default", id="import-default", compact=True)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Read (F5)", id="import-read", compact=True)
                yield Button("Cancel", id="import-cancel", compact=True)
                yield Button("Save (ctrl+s)", id="import-save", variant="primary", compact=True, disabled=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#import-path", Input).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save":
            return self.preview is not None and not self._saving
        return True

    # -- status ------------------------------------------------------------------
    def _status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#import-status", Static)
        status.update(inert_content(text, single_line=True))
        status.set_class(error, "-error")

    def _fail(self, text: str) -> None:
        self._status(f"✗ {text}", error=True)
        self._set_preview(None)

    def _set_preview(self, preview: ImportPreview | None) -> None:
        self.preview = preview
        self.query_one("#import-save", Button).disabled = preview is None
        self.refresh_bindings()

    # -- reading ---------------------------------------------------------------------
    def action_preview(self) -> None:
        path = self.query_one("#import-path", Input).value
        pasted = self.query_one("#import-paste", TextArea).text
        order = [(pasted, False), (path, True)] if self._last_edited == "paste" else [(path, True), (pasted, False)]
        text, from_path = next(((t, p) for t, p in order if t.strip()), ("", False))
        if not text:
            self._fail("nothing to read: give a file or PNG path, or paste a workflow")
            return
        self._token += 1
        self._set_preview(None)
        self.query_one(WorkflowPreview).clear("Reading…")
        self._status("Reading…")
        self._read(self._token, text, from_path)

    @work(thread=True, exclusive=True, group="import-read", exit_on_error=False)
    def _read(self, token: int, text: str, from_path: bool) -> None:
        try:
            loaded, source = read_source(text, from_path_field=from_path)
        except SftuiError as exc:
            self.post_message(self._Failed(token, exc.message))
            return
        self.post_message(self._Loaded(token, loaded, source))

    @on(_Loaded)
    def _loaded(self, message: _Loaded) -> None:
        if message.token != self._token:
            return
        needed = needs_object_info(message.loaded)
        if self._object_info is None and needed:
            self._status(f"Fetching node definitions from {self.server_url}…")
        self._fetch_object_info(message.token, message.loaded, message.source)

    @work(exclusive=True, group="import-info", exit_on_error=False)
    async def _fetch_object_info(self, token: int, loaded: LoadedWorkflow, source: str) -> None:
        info, problem = self._object_info, None
        if info is None:
            try:
                info = await self.object_info_loader()
            except SftuiError as exc:
                problem = exc.message
        self.post_message(self._InfoReady(token, loaded, source, info, problem))

    @on(_InfoReady)
    def _info_ready(self, message: _InfoReady) -> None:
        if message.token != self._token:
            return
        if message.object_info is not None:
            self._object_info = message.object_info
        elif needs_object_info(message.loaded):
            self._fail(
                f"converting a UI-format workflow needs the node definitions of {self.server_url}, "
                f"which are unavailable ({message.problem or 'no answer'}); start the server, or import the API format"
            )
            return
        self._status("Checking the workflow…")
        self._prepare(message.token, message.loaded, message.object_info, message.source)

    @work(thread=True, exclusive=True, group="import-prepare", exit_on_error=False)
    def _prepare(self, token: int, loaded: LoadedWorkflow, object_info: dict | None, source: str) -> None:
        try:
            preview = prepare_import(loaded, object_info, source=source)
        except SftuiError as exc:
            self.post_message(self._Failed(token, exc.message))
            return
        self.post_message(self._Prepared(token, preview))

    @on(_Prepared)
    def _prepared(self, message: _Prepared) -> None:
        if message.token != self._token:
            return
        preview = message.preview
        self.query_one(WorkflowPreview).show(preview)
        name = self.query_one("#import-name", Input)
        if not self._name_edited or not name.value.strip():
            with self.prevent(Input.Changed):
                name.value = preview.suggested_name
            self._name_edited = False
        self._set_preview(preview)
        count = len(preview.warnings)
        warned = f" · {count} warning{'s' if count != 1 else ''}" if count else ""
        self._status(f"✓ {preview.detected}{warned} · check below, then ctrl+s saves")

    @on(_Failed)
    def _failed(self, message: _Failed) -> None:
        if message.token == self._token:
            self._fail(message.error)
            self.query_one(WorkflowPreview).clear("Nothing to import.")

    # -- saving ----------------------------------------------------------------------
    def action_save(self) -> None:
        if self.preview is None or self._saving:
            return
        name = self.query_one("#import-name", Input).value.strip()
        if not name:
            self._status("✗ give the workflow a name", error=True)
            self.query_one("#import-name", Input).focus()
            return
        self._saving = True
        self.refresh_bindings()
        self._status("Saving…")
        kwargs = self.preview.create_kwargs(name=name, is_default=self.query_one("#import-default", Checkbox).value)
        self._save(kwargs)

    @work(thread=True, exclusive=True, group="import-save", exit_on_error=False)
    def _save(self, kwargs: dict[str, Any]) -> None:
        try:
            workflow = create_workflow(**kwargs)
        except SftuiError as exc:
            self.post_message(self._SaveFailed(f"not saved: {exc.message}"))
            return
        self.post_message(self._Saved(workflow))

    @on(_Saved)
    def _saved(self, message: _Saved) -> None:
        self.dismiss(message.workflow)

    @on(_SaveFailed)
    def _save_failed(self, message: _SaveFailed) -> None:
        self._saving = False
        self.refresh_bindings()
        self._status(f"✗ {message.error}", error=True)

    def action_cancel(self) -> None:
        self.dismiss(None)

    # -- events ----------------------------------------------------------------------
    @on(Input.Submitted, "#import-path")
    @on(Button.Pressed, "#import-read")
    def _read_requested(self) -> None:
        self.action_preview()

    @on(Input.Submitted, "#import-name")
    @on(Button.Pressed, "#import-save")
    def _save_requested(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#import-cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    @on(Input.Changed, "#import-path")
    @on(TextArea.Changed, "#import-paste")
    def _source_edited(self, event: Input.Changed | TextArea.Changed) -> None:
        self._last_edited = "paste" if isinstance(event, TextArea.Changed) else "path"
        if self.preview is not None:
            self._set_preview(None)
            self._status("The input changed: press F5 (or enter in the path) to read it again")

    @on(Input.Changed, "#import-name")
    def _name_typed(self) -> None:
        self._name_edited = True

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.group.startswith("import-"):
            self._saving = False
            self.refresh_bindings()
            self._fail(f"unexpected error: {inert(str(event.worker.error), single_line=True)}")
