"""A tiny app that hosts one of engineer B's screens or the parameter panel, standalone.

The screens must work without the main app, so these tests never start it: the host
loads the two style files the screens use and records what each modal dismissed with.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input, Static, TextArea

STYLES = Path(__file__).resolve().parents[2] / "styles"
NO_RESULT = object()


class ModalHost(App[None]):
    CSS_PATH = [STYLES / "modals.tcss", STYLES / "parameters.tcss"]
    BINDING_GROUP_TITLE = "Host"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="host.quit", tooltip="Leave the test app", priority=True),
        Binding("f1", "help", "Help", id="host.help", tooltip="Keys of what has focus"),
        Binding("ctrl+n", "noop", "New session", id="host.new", tooltip="Start a new session"),
    ]

    def __init__(self, body: Callable[[], ComposeResult] | None = None) -> None:
        super().__init__()
        self._body = body
        self.results: list[Any] = []

    def compose(self) -> ComposeResult:
        if self._body is not None:
            yield from self._body()
        else:
            yield Static("host", id="host-body")

    def open(self, screen: Screen[Any]) -> None:
        self.push_screen(screen, callback=self.results.append)

    def action_help(self) -> None:
        from sftui.ui.screens.help import HelpScreen

        self.push_screen(HelpScreen("Host"))

    def action_noop(self) -> None:
        pass

    @property
    def result(self) -> Any:
        return self.results[-1] if self.results else NO_RESULT


def no_blink(app: App[Any]) -> None:
    """Freeze text cursors so snapshots do not depend on the blink phase."""
    for widget in app.screen.query("Input, TextArea"):
        if isinstance(widget, (Input, TextArea)):
            widget.cursor_blink = False


async def wait_until(pilot: Any, predicate: Callable[[], Any], *, timeout: float = 10.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except Exception:  # the widget may not be mounted yet
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await pilot.pause(0.02)


def screen_text(app: App[Any]) -> str:
    """The visible screen as plain text (what a user would read)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


async def paste(pilot: Any, text: str) -> None:
    """A terminal paste (bracketed paste), delivered to the focused widget as the driver would."""
    from textual import events

    pilot.app.post_message(events.Paste(text))
    await pilot.pause()
