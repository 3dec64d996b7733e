"""One line at the top: the server, its connection state (or DEMO), and the queue."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget

from sftui.ui.backend import ConnectionView
from sftui.ui.formatting import connection_label
from sftui.ui.text import inert


class StatusHeader(Widget):
    DEFAULT_CSS = """
    StatusHeader { height: 1; background: $panel; }
    """

    server_url: reactive[str] = reactive("")
    """The ComfyUI server the app talks to."""

    connection: reactive[ConnectionView] = reactive(ConnectionView("connecting"))
    """The WebSocket's state; a countdown runs while waiting to reconnect."""

    demo: reactive[bool] = reactive(False)
    """The server is the built-in simulator: images are not real."""

    queue_length: reactive[int] = reactive(0)
    """Generations of this app still pending or running (including local ones)."""

    session_title: reactive[str] = reactive("")
    """The open session, for orientation when the sidebar is collapsed."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._ticker: Timer | None = None

    def watch_connection(self, view: ConnectionView) -> None:
        # Only a countdown needs a clock; stop it otherwise (and keep snapshots still).
        if view.status == "reconnecting" and view.retry_in:
            if self._ticker is None:
                self._ticker = self.set_interval(1.0, self.refresh)
        elif self._ticker is not None:
            self._ticker.stop()
            self._ticker = None

    def render(self) -> Content:
        view = self.connection
        state = connection_label(view.status, view.seconds_left())
        state_style = "bold $success" if view.status == "connected" else "bold $warning"
        parts: list[tuple[str, str] | str] = [(" sftui ", "bold reverse $accent"), " "]
        parts.append((inert(self.server_url, single_line=True), "$text"))
        parts.append("  ")
        parts.append((state, state_style))
        if self.demo:
            parts += ["  ", (" DEMO ", "bold reverse $warning")]
        parts.append(("  queue ", "$text-muted"))
        parts.append((str(self.queue_length), "bold"))
        if self.session_title:
            parts += [("  │ ", "$text-muted"), (inert(self.session_title, single_line=True), "italic")]
        return Content.assemble(*parts)

    @property
    def text(self) -> str:
        return self.render().plain
