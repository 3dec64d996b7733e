"""The first screen when no server was configured: is the default one there? If not, offer the demo."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from sftui.ui.backend import backend_of
from sftui.ui.messages import ReportWorkerErrors
from sftui.ui.text import inert_content, inert_markup


class ConnectScreen(ReportWorkerErrors, Screen[None]):
    BINDING_GROUP_TITLE = "Connect"
    BINDINGS = [
        Binding("d", "demo", "Start the demo", id="connect.demo", tooltip="Run the built-in simulated ComfyUI and a separate demo database"),
        Binding("r", "retry", "Retry", id="connect.retry", tooltip="Ask the server again"),
    ]

    class Probed(Message):
        def __init__(self, error: str | None) -> None:
            super().__init__()
            self.error = error

    def compose(self) -> ComposeResult:
        url = backend_of(self).settings.server_url
        with Center():
            with Vertical(id="connect-box"):
                yield Static(inert_markup("[b]sftui[/b]: looking for ComfyUI at $url …", url=url), id="connect-title")
                yield Static("", id="connect-reason")
                yield Static(
                    "[b]d[/b]  start the demo: a simulated ComfyUI with its own database\n"
                    "[b]r[/b]  try again\n"
                    "[b]ctrl+q[/b]  quit\n\n"
                    "To use your server, start sftui with --server URL, set SFTUI_SERVER, "
                    "or put server = \"http://host:8188\" in the config file.",
                    id="connect-help",
                )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#connect-help").display = False
        self.probe()

    @work(group="net", exclusive=True, exit_on_error=False)
    async def probe(self) -> None:
        self.post_message(self.Probed(await backend_of(self).probe()))

    @on(Probed)
    def _probed(self, event: Probed) -> None:
        if event.error is None:
            self.app.open_main()  # type: ignore[attr-defined]
            return
        url = backend_of(self).settings.server_url
        self.query_one("#connect-title", Static).update(inert_markup("[b]No ComfyUI answers at $url[/b]", url=url))
        self.query_one("#connect-reason", Static).update(inert_content(event.error))
        self.query_one("#connect-help").display = True

    def action_demo(self) -> None:
        self.query_one("#connect-title", Static).update("Starting the demo server…")
        self.app.start_demo()  # type: ignore[attr-defined]

    def action_retry(self) -> None:
        self.query_one("#connect-title", Static).update(inert_markup("Looking for ComfyUI at $url …", url=backend_of(self).settings.server_url))
        self.probe()
