"""The main screen (§6.2): sessions, workflow, parameters, history and prompt.

It owns the open session: switching saves the draft of the one left and restores
the next one's draft, workflow and parameters. Backend events arrive as the
messages of ``sftui.ui.messages`` and are routed to the timeline and header.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import WorkerFailed

from sftui.errors import NotFoundError, ParameterError
from sftui.generation.service import GenerateRequest
from sftui.ui import messages as msg
from sftui.ui.backend import backend_of
from sftui.ui.messages import ReportWorkerErrors
from sftui.ui.screens.panel_toggles import PanelToggles
from sftui.ui.text import inert
from sftui.ui.widgets.generation_card import GenerationCard
from sftui.ui.widgets.generation_timeline import GenerationTimeline
from sftui.ui.widgets.parameter_panel import ParameterPanel
from sftui.ui.widgets.prompt_area import PromptArea
from sftui.ui.widgets.session_sidebar import SessionSidebar
from sftui.ui.widgets.steady_footer import SteadyFooter
from sftui.ui.widgets.status_header import StatusHeader
from sftui.ui.widgets.workflow_bar import WorkflowBar

log = logging.getLogger(__name__)

#: How often the open session is checked for other processes' generations.
WATCH_SECONDS = 2.0
#: Seconds a session switch may hold the screen's frames while its page is read (see _hold_frames).
HOLD_FRAMES_MAX = 0.25


class MainScreen(PanelToggles, ReportWorkerErrors, Screen[None]):
    AUTO_FOCUS = "#prompt"
    BINDING_GROUP_TITLE = "Main"
    BINDINGS = [
        Binding("ctrl+j,alt+enter", "generate", "Generate", id="main.generate", tooltip="Queue the prompt with these parameters", priority=True),
        Binding("ctrl+n", "new_session", "New", id="main.new_session", tooltip="Start a new session"),
        Binding("f2", "rename_session", "Rename", id="main.rename_session", tooltip="Rename the open session"),
        Binding("ctrl+x", "cancel", "Cancel", id="main.cancel", tooltip="Cancel the focused generation, else the running one", priority=True),
        Binding("ctrl+e", "toggle_parameters", "Parameters", id="main.toggle_parameters", tooltip="Show or hide the parameter panel", priority=True),
        Binding("ctrl+b", "toggle_sidebar", "Sessions", id="main.toggle_sidebar", tooltip="Show or hide the session list"),
        Binding("ctrl+o", "import_workflow", "Import", id="main.import_workflow", tooltip="Import a workflow (JSON, file or PNG)"),
        Binding("escape", "home", "Back", id="main.home", tooltip="Back towards the prompt; closes panels on narrow screens", show=False),
    ]

    header = getters.query_one(StatusHeader)
    sidebar = getters.query_one(SessionSidebar)
    workflow_bar = getters.query_one(WorkflowBar)
    panel = getters.query_one(ParameterPanel)
    timeline = getters.query_one(GenerationTimeline)
    prompt_area = getters.query_one(PromptArea)

    class Opened(Message):
        """The database is open; ``sessions`` holds the most recently active session, if any."""

        def __init__(self, sessions: list[Any]) -> None:
            super().__init__()
            self.sessions = sessions

    class SessionLoaded(Message):
        def __init__(self, session: Any) -> None:
            super().__init__()
            self.session = session

    class WorkflowParameters(Message):
        def __init__(self, workflow: Any | None, parameters: list[dict[str, Any]], by_user: bool) -> None:
            super().__init__()
            self.workflow = workflow
            self.parameters = parameters
            self.by_user = by_user

    def __init__(self) -> None:
        super().__init__()
        self.session_id: str | None = None
        self._restore: dict[str, Any] | None = None
        self._parameters_choice: bool | None = None
        self._sidebar_choice: bool | None = None
        self._in_flight: dict[str, str] = {}
        self._options_loaded = False
        self._shown_once = False
        self._holding: Timer | None = None
        self._changes: Any = None

    def compose(self) -> ComposeResult:
        yield StatusHeader(id="header")
        with Horizontal(id="body"):
            yield SessionSidebar(id="sidebar")
            with Vertical(id="main"):
                yield WorkflowBar(id="workflow-bar")
                yield ParameterPanel(id="parameters")
                yield GenerationTimeline(id="timeline")
                yield PromptArea(id="prompt-area")
        yield SteadyFooter()

    # -- start -----------------------------------------------------------------

    def on_mount(self) -> None:
        backend = backend_of(self)
        backend.listener = self._on_backend_event
        self.header.server_url = backend.settings.server_url
        self.header.demo = backend.settings.demo
        self._open_database()
        self.set_interval(WATCH_SECONDS, self._watch_session)

    def _on_backend_event(self, event: Any) -> None:
        message = msg.to_message(event)
        if message is not None:
            self.post_message(message)

    @work(thread=True, group="db", exit_on_error=False)
    def _open_database(self) -> None:
        backend = backend_of(self)
        backend.open()
        self.post_message(self.Opened(backend.list_sessions(limit=1)))

    @on(Opened)
    def _opened(self, event: Opened) -> None:
        self.sidebar.reload()
        self._connect()
        self.open_session(event.sessions[0].id if event.sessions else None)

    @work(group="net", exclusive=True, exit_on_error=False)
    async def _connect(self) -> None:
        await backend_of(self).connect()

    @work(group="options", exclusive=True, exit_on_error=False)
    async def _load_options(self) -> None:
        from sftui.workflows.options import build_options

        info = await backend_of(self).object_info()
        self.panel.options = build_options(info)
        self._options_loaded = True
        if self.workflow_bar.selected_id is None:
            # The built-in workflow's limits and inputs come from the node definitions: read them again.
            self._workflow_parameters(None, False)

    # -- sessions --------------------------------------------------------------

    @on(SessionSidebar.Selected)
    def _session_selected(self, event: SessionSidebar.Selected) -> None:
        self.open_session(event.session_id)
        self.prompt_area.focus_prompt()

    @on(SessionSidebar.ListChanged)
    def _sessions_listed(self, event: SessionSidebar.ListChanged) -> None:
        current = next((s for s in event.sessions if s.id == self.session_id), None)
        if current is not None:
            self.header.session_title = current.title

    def open_session(self, session_id: str | None) -> None:
        if session_id == self.session_id and self._shown_once:
            return
        self._shown_once = True
        if session_id is not None:
            self._hold_frames()
        self._save_draft(self.session_id, self.draft())
        self.session_id = session_id
        self.sidebar.active_id = session_id
        self.timeline.show_session(session_id)
        self.timeline.set_local(backend_of(self).local_requests)
        self._changes = None if session_id is None else backend_of(self).session_changes(session_id)
        if session_id is None:
            self.header.session_title = ""
            self.prompt_area.set_texts("", "")
            self.workflow_bar.select_workflow(None)
        else:
            self._load_session(session_id)

    def _hold_frames(self) -> None:
        """Draw a session switch in one frame, with its page: not first a frame of the sidebar and
        prompt changing (a full render, ~20 ms, while the page is being read)."""
        if self._holding is None:
            # What App.batch_update() wraps; held across messages here, so not as a context manager
            # (private Textual API: Textual is pinned in pyproject.toml).
            self.app._begin_batch()
            # Never longer than this, whatever happens to the page.
            self._holding = self.set_timer(HOLD_FRAMES_MAX, self._release_frames, name="session switch")

    def _release_frames(self) -> None:
        if self._holding is not None:
            self._holding.stop()
            self._holding = None
            self.app._end_batch()
        self.timeline.fill_after_frame()

    @on(GenerationTimeline.Shown)
    def _page_shown(self, event: GenerationTimeline.Shown) -> None:
        event.stop()
        self._release_frames()

    @work(thread=True, group="session", exclusive=True, exit_on_error=False)
    def _load_session(self, session_id: str) -> None:
        self.post_message(self.SessionLoaded(backend_of(self).session_summary(session_id)))

    def _watch_session(self) -> None:
        if self._changes is not None:
            self._poll_changes(self._changes)

    @work(thread=True, group="watch", exclusive=True, exit_on_error=False, description="watch the session")
    def _poll_changes(self, changes: Any) -> None:
        rows = changes.poll()
        if rows:
            self.post_message(msg.GenerationsChanged(rows))

    @on(msg.GenerationsChanged)
    def _generations_changed(self, event: msg.GenerationsChanged) -> None:
        for row in event.rows:
            # Ours are followed through the runner's events (a poll must not reset a live card).
            if row.id not in self._in_flight:
                self.timeline.upsert(row, watched=True)

    @on(SessionLoaded)
    def _session_loaded(self, event: SessionLoaded) -> None:
        session = event.session
        if session.id != self.session_id:
            return
        self.sidebar.active_session = session
        self.header.session_title = session.title
        draft = session.draft or {}
        self.prompt_area.load_draft(draft)
        saved = draft.get("parameters")
        self._restore = saved if isinstance(saved, dict) and saved else session.last_parameters.model_dump(mode="json")
        if isinstance(draft.get("parameters_open"), bool):
            self._set_parameters_choice(draft["parameters_open"])
        if self.workflow_bar.would_select(session.current_workflow_id) == self.workflow_bar.selected_id:
            # The workflow shown already: its values go in now, with this frame. The workflow is
            # still read again below (it may have been edited) and shown with the same values.
            self.panel.load(self._restore)
        self.workflow_bar.select_workflow(session.current_workflow_id)

    def draft(self) -> dict[str, Any]:
        return {**self.prompt_area.draft(), "parameters": dict(self.panel.values), "parameters_open": self._parameters_visible()}

    @work(thread=True, group="draft", exit_on_error=False)
    def _save_draft(self, session_id: str | None, draft: dict[str, Any]) -> None:
        if session_id is not None:
            backend_of(self).save_draft(session_id, draft)

    async def prepare_to_quit(self) -> None:
        """Keep the draft of the open session; stop following generations. Never keeps the app open."""
        try:
            if self.session_id is not None:
                await self._save_draft(self.session_id, self.draft()).wait()
        except WorkerFailed as failed:
            log.warning("the draft could not be saved at quit: %s", failed.error)
        await backend_of(self).stop()

    def action_new_session(self) -> None:
        self.sidebar.new_session()

    def action_rename_session(self) -> None:
        self.sidebar.rename_session(self.session_id)

    # -- workflows and parameters ----------------------------------------------------

    def action_import_workflow(self) -> None:
        self.workflow_bar.import_workflow()

    @on(WorkflowBar.Selected)
    def _workflow_selected(self, event: WorkflowBar.Selected) -> None:
        self._workflow_parameters(event.workflow, event.by_user)

    @work(thread=True, group="workflow-params", exclusive=True, exit_on_error=False)
    def _workflow_parameters(self, workflow: Any | None, by_user: bool) -> None:
        backend = backend_of(self)
        if workflow is None:
            params = backend.builtin_parameters(backend.object_info_cache)
        else:
            params = [p.model_dump(mode="json") for p in workflow.extracted_parameters]
        if by_user and self.session_id is not None:
            backend.set_session_workflow(self.session_id, workflow.id if workflow else None)
        self.post_message(self.WorkflowParameters(workflow, params, by_user))

    @on(WorkflowParameters)
    def _apply_workflow_parameters(self, event: WorkflowParameters) -> None:
        """Show the workflow's parameters; the values shown are, in order of precedence:
        what is being restored (a session's draft, Reuse Settings), else for a workflow the user
        just picked its own values and saved defaults, else what the form showed before."""
        if self._restore is not None:
            keep, self._restore = self._restore, None
        elif event.by_user:
            keep = event.workflow.default_parameters.model_dump(mode="json") if event.workflow is not None else {}
        else:
            keep = dict(self.panel.values)
        self.panel.show_workflow(event.parameters, keep)

    @on(GenerationCard.ReuseRequested)
    def _reuse(self, event: GenerationCard.ReuseRequested) -> None:
        gen = event.generation
        self.prompt_area.set_texts(gen.prompt_text, gen.negative_prompt)
        self._restore = {**gen.parameters.model_dump(mode="json"), "count": 1}
        self.workflow_bar.select_workflow(gen.workflow_id)
        self.prompt_area.focus_prompt()
        self.notify("Prompt, workflow and parameters of that generation are in the form.")

    # -- generating ------------------------------------------------------------

    def action_generate(self) -> None:
        prompt = self.prompt_area.prompt_text
        if not prompt:
            self.notify("Type a prompt first.", severity="warning")
            self.prompt_area.focus_prompt()
            return
        try:
            params = self.panel.collect()
        except ParameterError as exc:
            self.notify(exc.message, title="Parameters", severity="error", markup=False)
            return
        count = int(params.pop("count", 1) or 1)
        self._submit(prompt, self.prompt_area.negative_text, params, count, self.workflow_bar.selected_id)

    @work(group="submit", exit_on_error=False)
    async def _submit(self, prompt: str, negative: str | None, params: dict[str, Any], count: int, workflow_id: str | None) -> None:
        backend = backend_of(self)
        if self.session_id is None:
            session = await asyncio.to_thread(backend.create_session, None, workflow_id)
            # The new session takes what was typed, so opening it shows the same prompt.
            await asyncio.to_thread(backend.save_draft, session.id, self.draft())
            self.open_session(session.id)
        request = GenerateRequest(prompt_text=prompt, negative_prompt=negative, parameters=params, session=self.session_id, workflow=workflow_id, count=count)
        outcome = await backend.generate(request)
        for row in outcome.rows:
            self.post_message(msg.GenerationLoaded(row))
        for warning in outcome.warnings:
            self.notify(warning, title="Warning", severity="warning", markup=False)
        if outcome.queued_locally is not None:
            self.notify("The server is unreachable: the generation waits here and is sent when it is back.", severity="warning")
        self.sidebar.reload()
        self._update_queue()

    def action_cancel(self) -> None:
        focused = self.focused
        target = None
        if isinstance(focused, GenerationCard) and focused.generation.status in ("pending", "running"):
            target = focused.generation.id
        if target is None:
            running = [gid for gid, status in self._in_flight.items() if status == "running"]
            target = (running or list(self._in_flight) or [r.id for r in backend_of(self).local_requests] or [None])[0]
        if target is None:
            self.notify("Nothing is running.", severity="information")
            return
        self._cancel(target)

    @on(GenerationCard.RetryRequested)
    def _retry_requested(self, event: GenerationCard.RetryRequested) -> None:
        self._retry(event.generation_id)

    @work(group="retry", exit_on_error=False)
    async def _retry(self, generation_id: str) -> None:
        row = await backend_of(self).retry(generation_id)
        self._in_flight.setdefault(row.id, "pending")
        self.post_message(msg.GenerationLoaded(row))
        self._update_queue()

    @work(group="cancel", exit_on_error=False)
    async def _cancel(self, generation_id: str) -> None:
        row = await backend_of(self).cancel(generation_id)
        self._in_flight.pop(generation_id, None)
        if row is not None:
            self.post_message(msg.GenerationLoaded(row))
        self.notify("Generation cancelled.")
        self._update_queue()

    # -- backend events ---------------------------------------------------------

    @on(msg.ConnectionChanged)
    def _connection_changed(self, event: msg.ConnectionChanged) -> None:
        self.header.connection = event.view
        if event.view.status == "connected" and not self._options_loaded:
            self._load_options()

    @on(msg.GenerationQueued)
    def _queued(self, event: msg.GenerationQueued) -> None:
        self._in_flight[event.generation_id] = "pending"
        self._reload_generation(event.generation_id)

    @on(msg.GenerationStarted)
    def _started(self, event: msg.GenerationStarted) -> None:
        self._in_flight[event.generation_id] = "running"
        self.timeline.mark_running(event.generation_id)
        self._update_queue()

    @on(msg.GenerationProgress)
    def _progress(self, event: msg.GenerationProgress) -> None:
        self.timeline.show_progress(event.generation_id, event.percent, event.current_node, event.value, event.maximum)

    @on(msg.GenerationPreview)
    def _preview(self, event: msg.GenerationPreview) -> None:
        self.timeline.show_preview(event.generation_id, event.image)

    @on(msg.GenerationFinished)
    def _finished(self, event: msg.GenerationFinished) -> None:
        self._in_flight.pop(event.generation_id, None)
        self._reload_generation(event.generation_id)
        self.sidebar.reload()
        self.workflow_bar.reload()

    @work(thread=True, group="generation-row", exit_on_error=False)
    def _reload_generation(self, generation_id: str) -> None:
        try:
            row = backend_of(self).generation(generation_id)
        except NotFoundError:
            return  # its session was deleted meanwhile
        self.post_message(msg.GenerationLoaded(row))

    @on(msg.GenerationLoaded)
    def _generation_loaded(self, event: msg.GenerationLoaded) -> None:
        row = event.generation
        if row.status == "pending" and self._in_flight.get(row.id) == "running":
            row = row.model_copy(update={"status": "running"})  # "started" overtook the read
        self.timeline.upsert(row)
        self._update_queue()

    @on(msg.LocalQueueChanged)
    def _local_changed(self, event: msg.LocalQueueChanged) -> None:
        self.timeline.set_local(event.requests)
        self._update_queue()

    @on(msg.Notice)
    def _notice(self, event: msg.Notice) -> None:
        self.notify(inert(event.text, single_line=True), severity=event.severity, markup=False)  # type: ignore[arg-type]

    @on(msg.LocalRequestFailed)
    def _local_failed(self, event: msg.LocalRequestFailed) -> None:
        self.notify(f"A generation kept while offline was refused: {event.error}", severity="error", markup=False)

    def _update_queue(self) -> None:
        self.header.queue_length = len(self._in_flight) + len(backend_of(self).local_requests)
