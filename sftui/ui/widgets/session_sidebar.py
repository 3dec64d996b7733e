"""The session list: "+ New", then each session with its count and last activity.

Filled from one ``list_sessions()`` query (counters are maintained columns), in a
thread worker. Creating, renaming and deleting also live here; the screen's keys
(ctrl+n, F2) call them.
"""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import OptionList
from textual.widgets.option_list import Option, OptionDoesNotExist

from sftui.ui.backend import backend_of
from sftui.ui.formatting import session_lines
from sftui.ui.messages import ReportWorkerErrors
from sftui.ui.text import inert

NEW_SESSION = "+new"


class SessionOption(Option):
    """One session: title, then its counts and when it was last active."""

    def __init__(self, session: Any, *, active: bool) -> None:
        self.session = session
        super().__init__(self.prompt_for(session, active=active), id=session.id)

    @staticmethod
    def prompt_for(session: Any, *, active: bool) -> Content:
        count, activity = session_lines(session)
        marker = "● " if active else "  "
        return Content.assemble(
            (marker + inert(session.title, single_line=True), "bold" if active else ""),
            "\n",
            (f"  {count}", "$text-muted"),
            "\n",
            (f"  {activity}", "$text-muted"),
        )


class SessionSidebar(ReportWorkerErrors, OptionList):
    BINDING_GROUP_TITLE = "Sessions"
    BINDINGS = [
        Binding("delete", "delete_session", "Delete", id="sessions.delete", tooltip="Delete the highlighted session and its generations"),
        Binding("j", "cursor_down", "Down", id="sessions.down_vim", tooltip="Next session (vim)", show=False),
        Binding("k", "cursor_up", "Up", id="sessions.up_vim", tooltip="Previous session (vim)", show=False),
    ]

    active_id: reactive[str | None] = reactive(None)
    """The session open in the main area."""

    class Selected(Message):
        """The user picked a session (or one was created, renamed or deleted)."""

        def __init__(self, sidebar: SessionSidebar, session_id: str | None) -> None:
            super().__init__()
            self.sidebar = sidebar
            self.session_id = session_id

        @property
        def control(self) -> SessionSidebar:
            return self.sidebar

    class ListChanged(Message):
        """The list was read again (titles and counters may have changed)."""

        def __init__(self, sidebar: SessionSidebar, sessions: list[Any]) -> None:
            super().__init__()
            self.sidebar = sidebar
            self.sessions = sessions

        @property
        def control(self) -> SessionSidebar:
            return self.sidebar

    class Loaded(Message):
        def __init__(self, sessions: list[Any], select: str | None) -> None:
            super().__init__()
            self.sessions = sessions
            self.select = select

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.sessions: list[Any] = []
        self.border_title = "Sessions"

    # -- loading ---------------------------------------------------------------

    @work(thread=True, group="sessions", exit_on_error=False)
    def reload(self, select: str | None = None) -> None:
        """Read the list again; ``select`` a session afterwards (e.g. a new one)."""
        self.post_message(self.Loaded(backend_of(self).list_sessions(), select))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        event.stop()
        self.sessions = event.sessions
        self._rebuild()
        self.post_message(self.ListChanged(self, event.sessions))
        if event.select is not None:
            self.post_message(self.Selected(self, event.select))

    def _rebuild(self) -> None:
        """Refill the options; the highlight stays where the user moved it, else on the open session."""
        highlighted = self.highlighted_option.id if self.highlighted_option else None
        options: list[Option] = [Option(Content.styled("+ New session", "bold $accent"), id=NEW_SESSION)]
        options += [SessionOption(s, active=s.id == self.active_id) for s in self.sessions]
        self.set_options(options)
        keep = highlighted if self.has_focus else None
        target = keep if keep is not None and any(o.id == keep for o in options) else self.active_id
        self.highlighted = self.get_option_index(target) if target and any(o.id == target for o in options) else 0

    def watch_active_id(self, active: str | None) -> None:
        # The list stays: only rows whose text changed (the marker, "… ago") get a new prompt.
        for index, option in enumerate(self.options):
            if isinstance(option, SessionOption):
                prompt = SessionOption.prompt_for(option.session, active=option.id == active)
                if prompt.plain != option.prompt.plain:  # type: ignore[union-attr]
                    self.replace_option_prompt_at_index(index, prompt)
        if self.sessions:
            self.highlighted = self._index_of(active) or 0

    def _index_of(self, option_id: str | None) -> int | None:
        if option_id is None:
            return None
        try:
            return self.get_option_index(option_id)
        except OptionDoesNotExist:
            return None

    def session(self, session_id: str | None) -> Any | None:
        return next((s for s in self.sessions if s.id == session_id), None)

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id == NEW_SESSION:
            self.new_session()
        else:
            self.post_message(self.Selected(self, event.option.id))

    # -- create / rename / delete ------------------------------------------------

    def new_session(self) -> None:
        from sftui.ui.screens.text_prompt import TextPromptScreen

        def created(title: str | None) -> None:
            if title is not None:
                self._create(title.strip() or None)

        self.app.push_screen(
            TextPromptScreen("New session", "Title (optional)", placeholder="leave empty for a dated title"),
            callback=created,
        )

    @work(thread=True, group="sessions-write", exit_on_error=False)
    def _create(self, title: str | None) -> None:
        session = backend_of(self).create_session(title)
        self.post_message(self.Loaded(backend_of(self).list_sessions(), session.id))

    def rename_session(self, session_id: str | None = None) -> None:
        from sftui.ui.screens.text_prompt import TextPromptScreen

        session = self.session(session_id or self.active_id)
        if session is None:
            self.notify("No session to rename.", severity="warning")
            return

        def renamed(title: str | None) -> None:
            if title is not None and title.strip():
                self._rename(session.id, title.strip())

        self.app.push_screen(
            TextPromptScreen("Rename session", "Title", initial=session.title),
            callback=renamed,
        )

    @work(thread=True, group="sessions-write", exit_on_error=False)
    def _rename(self, session_id: str, title: str) -> None:
        backend_of(self).rename_session(session_id, title)
        self.post_message(self.Loaded(backend_of(self).list_sessions(), None))

    def action_delete_session(self) -> None:
        option = self.highlighted_option
        self.delete_session(option.id if option is not None and option.id != NEW_SESSION else None)

    def delete_session(self, session_id: str | None = None) -> None:
        from sftui.ui.screens.confirm import ConfirmScreen

        session = self.session(session_id or self.active_id)
        if session is None:
            self.notify("No session to delete.", severity="warning")
            return
        count = session.generation_count
        message = (
            f"Delete the session “{inert(session.title, single_line=True)}” and its "
            f"{count} generation{'s' if count != 1 else ''} (with their image files)? This cannot be undone."
        )

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._delete(session.id)

        self.app.push_screen(ConfirmScreen("Delete session", message), callback=confirmed)

    @work(thread=True, group="sessions-write", exit_on_error=False)
    def _delete(self, session_id: str) -> None:
        backend = backend_of(self)
        removed = backend.delete_session(session_id)
        sessions = backend.list_sessions()
        self.app.call_from_thread(self.notify, f"Session deleted with {removed} generation(s).")
        next_id = self.active_id if self.active_id != session_id else (sessions[0].id if sessions else None)
        self.post_message(self.Loaded(sessions, None))
        if self.active_id == session_id:
            self.post_message(self.Selected(self, next_id))
