"""The Textual app: wiring only. Screens do the work; ``launch`` builds the settings."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

from textual import events, on, work
from textual.app import App
from textual.binding import Binding

from sftui.ui.backend import Backend, UISettings
from sftui.ui.commands import SftuiCommands
from sftui.ui.heap import HeapKeeper
from sftui.ui.messages import GenerationStarted, ReportWorkerErrors

# app.tcss first: the other files refine it.
STYLE_FILES = ("app", "sidebar", "workflow_bar", "parameters", "timeline", "prompt", "modals")


def styles_dir() -> Path:
    """``styles/`` in a source or editable checkout, ``sftui/styles`` in a wheel."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "styles", package.parent / "styles"):
        if (candidate / "app.tcss").is_file():
            return candidate
    raise FileNotFoundError(f"sftui's styles are missing (looked in {package / 'styles'} and {package.parent / 'styles'})")


def css_paths() -> list[Path]:
    folder = styles_dir()
    return [folder / f"{name}.tcss" for name in STYLE_FILES if (folder / f"{name}.tcss").is_file()]


class SftuiApp(ReportWorkerErrors, App[None]):
    TITLE = "sftui"
    CSS_PATH = css_paths()
    COMMANDS = App.COMMANDS | {SftuiCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    BINDING_GROUP_TITLE = "Global"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", tooltip="Save the draft and quit", priority=True),
        Binding("f1", "help", "Help", id="app.help", tooltip="Keys of what has focus, and the global ones"),
        # The footer shows the palette key on its own; listed here for F1 and the keymap.
        Binding("ctrl+p", "command_palette", "Commands", id="app.command_palette", tooltip="Search every action", show=False),
    ]

    def __init__(self, settings: UISettings, *, backend: Backend | None = None, demo_server: Any = None) -> None:
        super().__init__()
        self.settings = settings
        self.backend = backend or Backend(settings)
        self.demo_server = demo_server
        self._heap_frozen_for_streams = False
        self.heap = HeapKeeper(lambda: self.backend.last_event_at)

    #: What counts as the user doing something (full garbage collections wait for a pause in it).
    _INPUT_EVENTS = (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp, events.Paste)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, self._INPUT_EVENTS):
            self.heap.touched()
        await super().on_event(event)

    def on_mount(self) -> None:
        self.heap.install()
        self.set_interval(1.0, self.heap.tick, name="idle garbage collection")
        if self.settings.theme:
            if self.settings.theme in self.available_themes:
                self.theme = self.settings.theme
            else:
                self.notify(f"Unknown theme {self.settings.theme!r} in the config file.", severity="warning", markup=False)
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        if self.settings.server_configured or self.settings.demo:
            self.open_main()
        else:
            from sftui.ui.screens.connect import ConnectScreen

            self.push_screen(ConnectScreen())

    def on_ready(self) -> None:
        settle_heap()

    @on(GenerationStarted)
    def _stream_starts(self) -> None:
        # By the first generation the node definitions, options and a page are loaded:
        # settle them too, once, before progress streams.
        if not self._heap_frozen_for_streams:
            self._heap_frozen_for_streams = True
            settle_heap()

    def open_main(self, settings: UISettings | None = None) -> None:
        """Show the main screen (replacing the connect screen), on new settings if given."""
        from sftui.ui.screens.main import MainScreen

        if settings is not None:
            previous = self.backend
            self.settings = settings
            self.backend = Backend(settings)
            self.run_worker(previous.stop(), group="net", exit_on_error=False)
        if len(self.screen_stack) > 1:
            self.switch_screen(MainScreen())
        else:
            self.push_screen(MainScreen())

    @work(thread=True, group="demo", exclusive=True, exit_on_error=False)
    def start_demo(self) -> None:
        from sftui.ui.launch import start_demo

        settings, server = start_demo(self.settings)
        self.demo_server = server
        self.call_from_thread(self.open_main, settings)

    def action_help(self) -> None:
        from sftui.ui.screens.help import HelpScreen

        self.push_screen(HelpScreen(_help_context(self.screen.focused)))

    async def action_quit(self) -> None:
        from sftui.ui.screens.main import MainScreen

        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                await screen.prepare_to_quit()
        self.exit()

    async def on_unmount(self) -> None:
        await self.backend.stop()
        # The process may go on without the app (tests, embedding): its objects are garbage now.
        gc.unfreeze()
        self.heap.uninstall()


def settle_heap() -> None:
    """Keep what is alive now out of the cyclic GC's full collections (``gc.freeze``).

    A full collection walks every tracked object: about 160k once the main screen, the
    server's node definitions and a page are loaded, 75-150 ms here, which lands as a
    frozen frame in the middle of a progress stream. After this it walks only what was
    made since (under 10 ms in the stream benchmark). Frozen objects are still freed by
    reference counting; a cycle among them that dies later is kept, which bounds the
    cost to what is alive at the (two) moments this runs.
    """
    gc.freeze()


def _help_context(widget: Any) -> str | None:
    """The binding group of the focused widget or its nearest ancestor that has one."""
    node = widget
    while node is not None:
        title = getattr(type(node), "BINDING_GROUP_TITLE", None)
        if title:
            return title
        node = node.parent
    return None


def run_app(args: Any) -> int:
    from sftui.ui.launch import run_app as launch

    return launch(args)
