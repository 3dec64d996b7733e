"""Driving the real TUI headless with timestamps, without touching ``sftui/ui``.

- ``FrameClock`` wraps the app's ``_display`` (where Textual hands each composed
  frame to the terminal driver) and records when every frame was produced. Headless
  Textual composes frames but skips writing them, so the wrapper also turns each
  update into the terminal text a real driver would write: the frame's full cost.
- ``send_key`` posts a key through the driver, exactly as a terminal's input
  thread does, and returns the time it did so (``Pilot.press`` waits for idle).
- ``OfflineBackend``: the real backend with the network replaced by a fixed
  "connected" state, for the history measures (no server timing in them).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import time
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any, Callable

SIZE = (120, 40)

now = time.perf_counter


@dataclass
class FrameClock:
    app: Any
    #: ``(time, probe value)`` of every frame, in order.
    frames: list[tuple[float, Any]] = field(default_factory=list)
    #: Called at each frame; its result is stored beside the frame's time.
    probe: Callable[[], Any] = lambda: None
    #: Start times of the screen's layout passes (reflows).
    layouts: list[float] = field(default_factory=list)

    def install(self) -> FrameClock:
        from textual._compositor import CompositorUpdate
        from textual.screen import Screen

        original = self.app._display
        console = self.app.console
        refresh_layout = Screen._refresh_layout
        layouts = self.layouts

        def timed_refresh_layout(screen: Any, *args: Any, **kwargs: Any) -> Any:
            layouts.append(now())
            return refresh_layout(screen, *args, **kwargs)

        Screen._refresh_layout = timed_refresh_layout

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is None or self.app._batch_count or screen is not self.app.screen:
                return
            if isinstance(renderable, CompositorUpdate):
                renderable.render_segments(console)
            self.frames.append((now(), self.probe()))

        self.app._display = display
        return self

    def first_after(self, moment: float, accept: Callable[[Any], bool] = lambda _v: True) -> float | None:
        for at, value in self.frames:
            if at >= moment and accept(value):
                return at
        return None

    async def wait_laid_out_frame_after(self, moment: float, timeout: float = 30.0) -> float:
        """The first frame of the first layout pass that starts after ``moment``.

        Widgets report content changes to the screen one by one, so a frame can go out
        with new text in the old geometry before the reflow those changes asked for:
        what changed is only shown, as it should be, once a layout pass has placed it.
        """
        deadline = now() + timeout
        while True:
            start = next((at for at in self.layouts if at >= moment), None)
            if start is not None:
                return await self.wait_frame_after(start, timeout=max(0.1, deadline - now()))
            if now() > deadline:
                raise TimeoutError("no layout pass came")
            await asyncio.sleep(0.001)

    async def wait_frame_after(self, moment: float, accept: Callable[[Any], bool] = lambda _v: True, timeout: float = 30.0) -> float:
        deadline = now() + timeout
        while True:
            found = self.first_after(moment, accept)
            if found is not None:
                return found
            if now() > deadline:
                raise TimeoutError("no frame came")
            await asyncio.sleep(0.001)


def send_key(app: Any, key: str) -> float:
    """Post ``key`` as the terminal driver would; returns when."""
    from textual import events

    char = key if len(key) == 1 else None
    event = events.Key(key, char)
    event.set_sender(app)
    at = now()
    app._driver.send_message(event)
    return at


async def wait_until(predicate: Callable[[], Any], *, timeout: float = 60.0, step: float = 0.002, what: str = "condition") -> Any:
    deadline = now() + timeout
    while True:
        try:
            value = predicate()
        except Exception:  # widgets not mounted yet
            value = None
        if value:
            return value
        if now() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(step)


def shipped_object_info() -> dict[str, Any]:
    return json.loads(gzip.decompress(files("sftui.comfy.simulator").joinpath("data/object_info.json.gz").read_bytes()))


def make_app(db_path: Path, cache_dir: Path, *, server_url: str | None = None, images: str = "halfcell") -> Any:
    """The real app on ``db_path``: against ``server_url``, else offline (always connected, no server)."""
    from sftui.ui.app import SftuiApp
    from sftui.ui.backend import Backend

    try:
        from sftui.ui.settings import ConnectionView, UISettings
    except ImportError:  # before the settings module was split out of the backend
        from sftui.ui.backend import ConnectionView, UISettings  # type: ignore[no-redef]

    class OfflineBackend(Backend):
        async def connect(self) -> None:
            self._set_connection(ConnectionView("connected"))

        async def object_info(self, *, refresh: bool = False) -> dict[str, Any]:
            self.object_info_cache = shipped_object_info()
            return self.object_info_cache

    settings = UISettings(server_url=server_url or "http://127.0.0.1:9", db_path=db_path, images=images, cache_dir=cache_dir)
    backend = Backend(settings, first_retry=0.2) if server_url else OfflineBackend(settings)
    return SftuiApp(settings, backend=backend)


class PageClock:
    """Times the steps of showing a page: the timeline told to show a session, the
    database read (in its worker thread), the timeline taking the page (mounting cards).

    Wraps instance attributes only (``show_session``, ``_take_page``, the backend's
    ``session_page``); the classes stay as they are.
    """

    def __init__(self, timeline: Any, backend: Any) -> None:
        self.done: list[tuple[float, str, bool]] = []
        self.steps: list[tuple[str, float, float]] = []
        take, show, read = timeline._take_page, timeline.show_session, backend.session_page

        async def take_page(event: Any) -> None:
            begun = now()
            await take(event)
            self.done.append((now(), event.session_id, event.older))
            self.steps.append(("take_page", begun, now()))

        def show_session(session_id: Any) -> None:
            self.steps.append(("show_session", now(), now()))
            show(session_id)

        def session_page(*args: Any, **kwargs: Any) -> Any:
            begun = now()
            try:
                return read(*args, **kwargs)
            finally:
                self.steps.append(("query", begun, now()))

        timeline._take_page = take_page
        timeline.show_session = show_session
        backend.session_page = session_page

    def breakdown(self, started: float, painted: float) -> dict[str, float]:
        """Milliseconds from ``started`` to each step's start and end, and to the frame."""
        out: dict[str, float] = {}
        for name, begun, ended in self.steps:
            if started <= begun <= painted and f"{name}_start" not in out:
                out[f"{name}_start"] = (begun - started) * 1000
                out[f"{name}_end"] = (ended - started) * 1000
        out["frame"] = (painted - started) * 1000
        return out

    def after(self, moment: float, session_id: str, older: bool) -> float | None:
        for at, sid, was_older in self.done:
            if at >= moment and sid == session_id and was_older == older:
                return at
        return None


async def main_screen(pilot: Any) -> Any:
    from sftui.ui.screens.main import MainScreen

    screen = await wait_until(lambda: isinstance(pilot.app.screen, MainScreen) and pilot.app.screen, what="the main screen")
    await wait_until(lambda: screen._options_loaded, what="the options")
    await wait_until(lambda: screen.timeline.session_id is None or not screen.timeline._loading, what="the first history page")
    await pilot.pause(0.2)
    return screen


async def select_session(pilot: Any, screen: Any, session_id: str) -> float:
    """Highlight ``session_id`` in the sidebar and press enter; returns when enter was sent."""
    sidebar = screen.sidebar
    sidebar.focus()
    await wait_until(lambda: any(s.id == session_id for s in sidebar.sessions), what="the session in the sidebar")
    sidebar.highlighted = sidebar.get_option_index(session_id)
    await pilot.pause(0.3)  # focus changes recompose the footer: let that finish first
    return send_key(pilot.app, "enter")
