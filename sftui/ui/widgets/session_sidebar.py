"""The session list: "+ New", then each session with its count and last activity.

It holds the most recently active sessions, one page (``PAGE``) at a time: each page is
one query (counters are maintained columns) in a thread worker, and the next is read
when the cursor or the scroll nears the end of what is loaded. So a database of 10,000
sessions costs what 100 do until the user scrolls that far; the command palette finds
any session by title. Creating, renaming and deleting also live here; the screen's keys
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
#: Sessions read at a time (and the least a reload reads again).
PAGE = 100
#: The next page is read once the cursor is this close to the last loaded session.
LOAD_AHEAD = 20
#: Deleting a session this big takes seconds (its files): say so when it starts.
MANY_TO_DELETE = 1000


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
        """The newest ``len(sessions)`` sessions, read again (``read`` numbers the reads)."""

        def __init__(self, sessions: list[Any], total: int, select: str | None, read: int) -> None:
            super().__init__()
            self.sessions = sessions
            self.total = total
            self.select = select
            self.read = read

    class More(Message):
        """The page after the last loaded session (``total`` None: reading it failed)."""

        def __init__(self, sessions: list[Any], total: int | None, read: int) -> None:
            super().__init__()
            self.sessions = sessions
            self.total = total
            self.read = read

    class RowsGone(Message):
        """A deleted session's rows are gone (its files may still be going); ``next_id`` is the newest left."""

        def __init__(self, session_id: str, next_id: str | None) -> None:
            super().__init__()
            self.session_id = session_id
            self.next_id = next_id

    class FilesGoing(Message):
        """A deleted session's image folders going: ``done`` of ``total`` (None: finished or failed)."""

        def __init__(self, done: int | None, total: int | None) -> None:
            super().__init__()
            self.done = done
            self.total = total

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.sessions: list[Any] = []
        #: How many sessions there are, loaded or not.
        self.total = 0
        #: The open session as last read, for when it lies beyond the loaded pages.
        self.active_session: Any | None = None
        self.border_title = "Sessions"
        self._reads = 0
        self._reading_more = False

    # -- loading ---------------------------------------------------------------

    def reload(self, select: str | None = None) -> None:
        """Read the loaded sessions again (at least a page); ``select`` one afterwards (e.g. a new one)."""
        self._reads += 1
        self._read(max(PAGE, len(self.sessions)), select, self._reads)

    @work(thread=True, group="sessions", exit_on_error=False)
    def _read(self, count: int, select: str | None, read: int) -> None:
        backend = backend_of(self)
        self.post_message(self.Loaded(backend.list_sessions(limit=count), backend.count_sessions(), select, read))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        event.stop()
        if event.read < self._reads and event.select is None:
            return  # a later read is on its way; a selection is never dropped
        self.sessions, self.total = event.sessions, event.total
        self._reading_more = False
        self._rebuild()
        self.post_message(self.ListChanged(self, event.sessions))
        if event.select is not None:
            self.post_message(self.Selected(self, event.select))

    def _read_more_if_near_end(self, index: int | None) -> None:
        near = index is not None and index >= self.option_count - LOAD_AHEAD
        if near and not self._reading_more and self.sessions and len(self.sessions) < self.total:
            self._reading_more = True
            last = self.sessions[-1]
            self._read_page((last.updated_at, last.id), self._reads)

    @work(thread=True, group="sessions-more", exit_on_error=False)
    def _read_page(self, after: tuple[Any, str], read: int) -> None:
        backend = backend_of(self)
        try:
            page, total = backend.list_sessions(limit=PAGE, after=after), backend.count_sessions()
        except BaseException:
            self.post_message(self.More([], None, read))  # so that a later scroll tries again
            raise
        self.post_message(self.More(page, total, read))

    @on(More)
    def _more(self, event: More) -> None:
        event.stop()
        if event.read != self._reads:
            return  # the list was read again meanwhile (which let another page be read)
        self._reading_more = False
        if event.total is None:
            return  # failed: the next move near the end tries again
        known = {s.id for s in self.sessions}
        fresh = [s for s in event.sessions if s.id not in known]
        self.sessions, self.total = [*self.sessions, *fresh], event.total
        self.add_options([SessionOption(s, active=s.id == self.active_id) for s in fresh])
        self._show_count()

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._read_more_if_near_end(event.option_index)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self._lines and new_value >= self.max_scroll_y - self.scrollable_content_region.height:
            self._read_more_if_near_end(self._lines[-1][0])

    def _show_count(self) -> None:
        loaded = len(self.sessions)
        self.border_subtitle = f"{loaded:,} of {self.total:,}" if self.total > loaded else ""

    def _rebuild(self) -> None:
        """Refill the options; the highlight stays where the user moved it, else on the open session."""
        highlighted = self.highlighted_option.id if self.highlighted_option else None
        options: list[Option] = [Option(Content.styled("+ New session", "bold $accent"), id=NEW_SESSION)]
        options += [SessionOption(s, active=s.id == self.active_id) for s in self.sessions]
        self.set_options(options)
        keep = highlighted if self.has_focus else None
        target = keep if keep is not None and any(o.id == keep for o in options) else self.active_id
        self.highlighted = self.get_option_index(target) if target and any(o.id == target for o in options) else 0
        self._show_count()

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
        found = next((s for s in self.sessions if s.id == session_id), None)
        if found is None and self.active_session is not None and self.active_session.id == session_id:
            return self.active_session  # opened from the palette, beyond the loaded pages
        return found

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

    def _create(self, title: str | None) -> None:
        self._reads += 1
        self._write_then_read(lambda backend: backend.create_session(title).id, max(PAGE, len(self.sessions) + 1), self._reads)

    @work(thread=True, group="sessions-write", exit_on_error=False)
    def _write_then_read(self, write: Any, count: int, read: int) -> None:
        """``write(backend)`` (it returns the session to select, or None), then read ``count`` sessions again."""
        backend = backend_of(self)
        select = write(backend)
        self.post_message(self.Loaded(backend.list_sessions(limit=count), backend.count_sessions(), select, read))

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

    def _rename(self, session_id: str, title: str) -> None:
        def rename(backend: Any) -> None:
            backend.rename_session(session_id, title)

        self._reads += 1
        self._write_then_read(rename, max(PAGE, len(self.sessions)), self._reads)

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

    def _delete(self, session_id: str) -> None:
        session = self.session(session_id)
        if session is not None and session.generation_count >= MANY_TO_DELETE:
            count = session.generation_count
            self.notify(f"Deleting “{inert(session.title, single_line=True)}” and its {count:,} generations…", markup=False)
        self._delete_session(session_id)

    @work(thread=True, group="sessions-write", exit_on_error=False)
    def _delete_session(self, session_id: str) -> None:
        backend = backend_of(self)

        def progress(done: int, total: int) -> None:
            if done == 0:  # the rows are gone: the list and the main area move on while the files go
                newest = backend.list_sessions(limit=1)
                self.post_message(self.RowsGone(session_id, newest[0].id if newest else None))
            self.post_message(self.FilesGoing(done, total))

        try:
            removed = backend.delete_session(session_id, progress=progress)
        finally:
            self.post_message(self.FilesGoing(None, None))
        self.app.call_from_thread(self.notify, f"Session deleted with {removed} generation(s).")

    @on(RowsGone)
    def _rows_gone(self, event: RowsGone) -> None:
        event.stop()
        self.reload()
        if self.active_id == event.session_id:
            self.post_message(self.Selected(self, event.next_id))

    @on(FilesGoing)
    def _files_going(self, event: FilesGoing) -> None:
        event.stop()
        if event.done is None or event.total is None or event.done >= event.total:
            self._show_count()
        else:
            self.border_subtitle = f"removing files {100 * event.done // event.total}%"
