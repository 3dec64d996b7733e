"""The workflow selector (★ default, generation count) and its actions.

Import, Edit JSON, set default and delete live here with their workers; the
screen learns which workflow is in use from ``WorkflowBar.Selected``.
"""

from __future__ import annotations

import json
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Button, Select

from sftui.errors import SftuiError
from sftui.ui.backend import backend_of, parse_api_prompt
from sftui.ui.formatting import plural
from sftui.ui.messages import ReportWorkerErrors
from sftui.ui.text import inert
from sftui.ui.widgets.compact_select import CompactSelect

BUILTIN = "builtin"


def workflow_label(summary: Any) -> Content:
    star = "★ " if summary.is_default else ""
    return Content.assemble(
        star + inert(summary.name, single_line=True),
        (f"  {plural(summary.generation_count, 'gen')}", "$text-muted"),
    )


class WorkflowBar(ReportWorkerErrors, Horizontal):
    BINDING_GROUP_TITLE = "Workflow"

    selected_id: reactive[str | None] = reactive(None)
    """The saved workflow in use; None for the built-in default."""

    class Selected(Message):
        """The workflow in use changed; ``workflow`` is the full row, or None for the built-in one."""

        def __init__(self, bar: WorkflowBar, workflow: Any | None, by_user: bool) -> None:
            super().__init__()
            self.bar = bar
            self.workflow = workflow
            self.by_user = by_user

        @property
        def control(self) -> WorkflowBar:
            return self.bar

    class Loaded(Message):
        def __init__(self, workflows: list[Any], select: str | None, by_user: bool, announce: bool = True) -> None:
            super().__init__()
            self.workflows = workflows
            self.select = select
            self.by_user = by_user
            self.announce = announce

    class Resolved(Message):
        def __init__(self, workflow: Any | None, by_user: bool) -> None:
            super().__init__()
            self.workflow = workflow
            self.by_user = by_user

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.workflows: list[Any] = []
        self._expected: list[Any] = []
        self._shown: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        yield CompactSelect([("Built-in default", BUILTIN)], value=BUILTIN, allow_blank=False, compact=True, id="workflow-select", tooltip="Workflow used for new generations")
        yield Button("Import", id="workflow-import", compact=True, tooltip="Import a workflow: pasted JSON, a file or a PNG (ctrl+o)")
        yield Button("Edit JSON", id="workflow-edit", compact=True, tooltip="View and edit the workflow's API JSON")
        yield Button("★ Default", id="workflow-default", compact=True, tooltip="Make this workflow the default for new sessions")
        yield Button("Delete", id="workflow-delete", compact=True, tooltip="Delete this workflow (generations keep their snapshot)")

    # -- loading and selecting ------------------------------------------------------

    @work(thread=True, group="workflows", exit_on_error=False)
    def reload(self, select: str | None = None, *, keep: bool = True, by_user: bool = False, announce: bool = False) -> None:
        """Read the list (e.g. for new counts); select ``select``, else keep the current one, else the default.

        ``Selected`` is posted when the selection changes, or always with ``announce``.
        """
        backend = backend_of(self)
        workflows = backend.list_workflows()
        wanted = select if select is not None else (self.selected_id if keep else None)
        if wanted is None or not any(w.id == wanted for w in workflows):
            default = next((w for w in workflows if w.is_default), None)
            wanted = default.id if default else None
        self.post_message(self.Loaded(workflows, wanted, by_user, announce))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        event.stop()
        self.workflows = event.workflows
        options = [(workflow_label(w), w.id) for w in event.workflows]
        if not any(w.is_default for w in event.workflows):
            options.insert(0, (Content("Built-in default"), BUILTIN))
        select = self.query_one(Select)
        before = select.value
        shown = [(label.plain, value) for label, value in options]
        if shown != self._shown:
            # Opening a session lists the workflows again; the same list is not rebuilt (that reflows).
            self._shown = shown
            select.set_options(options)
        select.value = event.select or (BUILTIN if not event.workflows or options[0][1] == BUILTIN else options[0][1])
        if select.value != before:
            # Select.Changed arrives later as a message: remember it is ours, not the user's.
            self._expected.append(select.value)
        value = None if select.value == BUILTIN else str(select.value)
        if event.announce or value != self.selected_id:
            self._resolve(value, event.by_user)

    def would_select(self, workflow_id: str | None) -> str | None:
        """What ``select_workflow(workflow_id)`` selects, as far as the list read last knows."""
        if workflow_id is not None and any(w.id == workflow_id for w in self.workflows):
            return workflow_id
        return next((w.id for w in self.workflows if w.is_default), None)

    def select_workflow(self, workflow_id: str | None, *, by_user: bool = False) -> None:
        """Use ``workflow_id`` (None or unknown: the default); ``Selected`` follows in any case."""
        self.reload(workflow_id, keep=False, by_user=by_user, announce=True)

    @on(Select.Changed, "#workflow-select")
    def _changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is Select.BLANK or event.value != event.select.value:
            return  # options being replaced, or a newer value already set
        if event.value in self._expected:
            self._expected.remove(event.value)
            return
        value = None if event.value == BUILTIN else str(event.value)
        if value != self.selected_id:
            self._resolve(value, True)

    @work(thread=True, group="workflow-resolve", exclusive=True, exit_on_error=False)
    def _resolve(self, workflow_id: str | None, by_user: bool) -> None:
        workflow = backend_of(self).workflow(workflow_id) if workflow_id else None
        self.post_message(self.Resolved(workflow, by_user))

    @on(Resolved)
    def _resolved(self, event: Resolved) -> None:
        event.stop()
        self.selected_id = event.workflow.id if event.workflow is not None else None
        self.post_message(self.Selected(self, event.workflow, event.by_user))

    def _selected_summary(self) -> Any | None:
        return next((w for w in self.workflows if w.id == self.selected_id), None)

    # -- actions ---------------------------------------------------------------

    @on(Button.Pressed, "#workflow-import")
    def import_workflow(self) -> None:
        from sftui.ui.screens.import_workflow import ImportWorkflowScreen

        backend = backend_of(self)

        def imported(workflow: Any | None) -> None:
            if workflow is not None:
                self.notify(f"Workflow “{inert(workflow.name, single_line=True)}” imported.", markup=False)
                self.reload(workflow.id, by_user=True, announce=True)

        self.app.push_screen(
            ImportWorkflowScreen(server_url=backend.settings.server_url, object_info_loader=backend.object_info),
            callback=imported,
        )

    @on(Button.Pressed, "#workflow-edit")
    def edit_json(self) -> None:
        if self.selected_id is None:
            self._show_builtin_json()
            return
        self._open_editor(self.selected_id)

    @work(thread=True, group="workflow-edit", exit_on_error=False)
    def _open_editor(self, workflow_id: str) -> None:
        workflow = backend_of(self).workflow(workflow_id)
        self.app.call_from_thread(self._push_editor, workflow)

    def _push_editor(self, workflow: Any) -> None:
        from sftui.ui.screens.json_viewer import JsonViewerScreen

        def saved(text: str | None) -> None:
            if text is not None:
                self._save_json(workflow.id, text)

        self.app.push_screen(
            JsonViewerScreen(
                f"Workflow “{inert(workflow.name, single_line=True)}” (API JSON)",
                _pretty(workflow.workflow_json),
                editable=True,
                validate=self.validate_json,
                suggested_filename=f"{_file_stem(workflow.name)}.json",
            ),
            callback=saved,
        )

    def _show_builtin_json(self) -> None:
        from sftui.ui.screens.json_viewer import JsonViewerScreen
        from sftui.workflows.defaults import default_workflow

        self.notify("The built-in workflow is read-only; import a copy to edit it.", severity="information")
        self.app.push_screen(JsonViewerScreen("Built-in default workflow (API JSON)", json.dumps(default_workflow(), indent=2), suggested_filename="default_workflow.json"))

    def validate_json(self, text: str) -> str | None:
        """None when ``text`` is a usable API prompt, else the one-line reason."""
        try:
            prompt = parse_api_prompt(text)
            object_info = backend_of(self).object_info_cache
            if object_info is not None:
                from sftui.workflows.validate import check_prompt

                check_prompt(prompt, object_info, source="edited workflow")
        except SftuiError as exc:
            return exc.message
        return None

    @work(thread=True, group="workflow-edit", exit_on_error=False)
    def _save_json(self, workflow_id: str, text: str) -> None:
        backend = backend_of(self)
        backend.save_workflow_json(workflow_id, text, backend.object_info_cache)
        self.app.call_from_thread(self.notify, "Workflow JSON saved.")
        self.post_message(self.Loaded(backend.list_workflows(), workflow_id, True, announce=True))

    @on(Button.Pressed, "#workflow-default")
    def set_default(self) -> None:
        if self.selected_id is None:
            self.notify("The built-in workflow is used when no workflow is the default.", severity="information")
            return
        self._set_default(self.selected_id)

    @work(thread=True, group="workflow-edit", exit_on_error=False)
    def _set_default(self, workflow_id: str) -> None:
        backend = backend_of(self)
        workflow = backend.set_default_workflow(workflow_id)
        self.app.call_from_thread(self.notify, f"“{inert(workflow.name, single_line=True)}” is now the default workflow.", markup=False)
        self.post_message(self.Loaded(backend.list_workflows(), workflow_id, False, announce=False))

    @on(Button.Pressed, "#workflow-delete")
    def delete_workflow(self) -> None:
        from sftui.ui.screens.confirm import ConfirmScreen

        summary = self._selected_summary()
        if summary is None:
            self.notify("The built-in workflow cannot be deleted.", severity="warning")
            return
        message = (
            f"Delete the workflow “{inert(summary.name, single_line=True)}”? Its "
            f"{plural(summary.generation_count, 'generation')} keep their own snapshot of it."
        )

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._delete(summary.id)

        self.app.push_screen(ConfirmScreen("Delete workflow", message), callback=confirmed)

    @work(thread=True, group="workflow-edit", exit_on_error=False)
    def _delete(self, workflow_id: str) -> None:
        backend = backend_of(self)
        backend.delete_workflow(workflow_id)
        self.app.call_from_thread(self.notify, "Workflow deleted.")
        workflows = backend.list_workflows()
        default = next((w.id for w in workflows if w.is_default), None)
        self.post_message(self.Loaded(workflows, default, True))


def _pretty(text: str) -> str:
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except json.JSONDecodeError:
        return text


def _file_stem(name: str) -> str:
    stem = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name).strip("._")
    return stem or "workflow"
