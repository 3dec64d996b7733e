"""Fixtures for the TUI tests: settings on a tmp database, the app, waiting, seeding.

Pilot tests drive the real app against the simulator on 127.0.0.1 (``simulator``
from tests/conftest.py). Snapshot tests use ``OfflineBackend``: the same backend
with the network replaced by a fixed "connected" state and the simulator's shipped
node definitions, so that no port number or clock reaches the frame.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from sftui.ui.backend import Backend, ConnectionView, UISettings

FIXED_NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
SNAPSHOT_SERVER = "http://comfy.example:8188"


@pytest.fixture(autouse=True)
def _utc_clock():
    """Local time is UTC, so timestamps on cards read the same everywhere."""
    import os

    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.fixture(autouse=True)
def _close_database():
    yield
    from sftui.db import close_database

    close_database()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "sftui.db"


@pytest.fixture
def ui_settings(simulator, db_path: Path, tmp_path: Path) -> UISettings:
    return UISettings(server_url=simulator.url, db_path=db_path, images="halfcell", cache_dir=tmp_path / "cache")


@pytest.fixture
def make_app(ui_settings: UISettings) -> Callable[..., Any]:
    """``make_app(**setting_overrides)``: a fresh app on the test's database and simulator."""
    from sftui.ui.app import SftuiApp

    def make(**overrides: Any) -> Any:
        settings = replace(ui_settings, **overrides)
        return SftuiApp(settings, backend=Backend(settings, first_retry=0.2))

    return make


async def wait_for(pilot: Any, predicate: Callable[[], Any], *, timeout: float = 10.0, what: str = "condition") -> Any:
    """Pause the pilot until ``predicate()`` is truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except Exception:  # widgets may not be mounted yet
            value = None
        if value:
            return value
        crashed = getattr(pilot.app, "_exception", None)
        if crashed is not None:
            raise AssertionError(f"the app crashed while waiting for {what}") from crashed
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await pilot.pause(0.02)


async def ready(pilot: Any, *, connected: bool = True) -> Any:
    """Wait until the main screen is up (and, by default, connected with options loaded)."""
    from sftui.ui.screens.main import MainScreen

    screen = await wait_for(pilot, lambda: isinstance(pilot.app.screen, MainScreen) and pilot.app.screen, what="the main screen")
    if connected:
        await wait_for(pilot, lambda: "Connected" in screen.header.text, what="the connection")
        await wait_for(pilot, lambda: screen._options_loaded, what="the server's options")
    await wait_for(pilot, lambda: screen.timeline.session_id is None or not screen.timeline._loading, what="the history")
    await pilot.pause(0.05)
    return screen


def cards(screen: Any) -> list[Any]:
    return screen.timeline.cards


async def wait_for_status(pilot: Any, screen: Any, statuses: list[str], *, timeout: float = 15.0) -> list[Any]:
    """Wait until the timeline's cards (oldest first) have exactly these statuses."""

    def shown(card: Any) -> bool:
        # The card recomposes after its row changes: wait until what it shows says the status too.
        heads = card.query(".card-head")
        return bool(heads) and card.generation.status in heads.first().render().plain

    return await wait_for(
        pilot,
        lambda: [c.generation.status for c in cards(screen)] == statuses and all(map(shown, cards(screen))) and cards(screen),
        timeout=timeout,
        what=f"cards {statuses} (now {[c.generation.status for c in cards(screen)]})",
    )


# -- the offline backend for snapshots --------------------------------------------------


def shipped_object_info() -> dict[str, Any]:
    """The node definitions the simulator serves (its captured object_info with its model files)."""
    from sftui.comfy.simulator.catalog import Catalog

    return Catalog().info


class OfflineBackend(Backend):
    """The real backend (database, queue, events) minus the network: always "connected", never submits."""

    async def connect(self) -> None:
        self._set_connection(ConnectionView("connected"))

    async def object_info(self, *, refresh: bool = False) -> dict[str, Any]:
        self.object_info_cache = shipped_object_info()
        return self.object_info_cache


@pytest.fixture
def offline_settings(db_path: Path, tmp_path: Path) -> UISettings:
    return UISettings(server_url=SNAPSHOT_SERVER, db_path=db_path, images="halfcell", cache_dir=tmp_path / "cache")


@pytest.fixture
def offline_app(offline_settings: UISettings) -> Callable[..., Any]:
    from sftui.ui.app import SftuiApp

    def make(**overrides: Any) -> Any:
        settings = replace(offline_settings, **overrides)
        return SftuiApp(settings, backend=OfflineBackend(settings))

    return make


# -- seeding the database directly, with fixed ids and timestamps -------------------------


class Seeder:
    """Writes sessions and generations through ``sftui.db`` with a controlled clock and ids."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, db_path: Path) -> None:
        from sftui.db import open_database, values

        self.db_path = db_path
        self.now = FIXED_NOW
        self._ids = 0
        open_database(db_path)
        monkeypatch.setattr(values, "utcnow", lambda: self.now)
        monkeypatch.setattr(values, "new_id", self._next_id)

    def _next_id(self) -> str:
        self._ids += 1
        return f"00000000-0000-4000-8000-{self._ids:012d}"

    def tick(self, minutes: float = 1) -> None:
        self.now += timedelta(minutes=minutes)

    def session(self, title: str, **fields: Any) -> Any:
        from sftui.db import create_session, update_session

        session = create_session(title=title)
        return update_session(session.id, **fields) if fields else session

    def generation(self, session_id: str, prompt: str, *, status: str = "completed", seed: int = 1234, negative: str | None = None,
                   error: str | None = None, images: int = 1, color: tuple[int, int, int] = (200, 80, 40), **params: Any) -> Any:
        from sftui.db import complete_generation, create_generation, fail_generation, get_generation, mark_generation_running
        from sftui.workflows.defaults import default_workflow

        parameters = {"width": 512, "height": 512, "steps": 20, "cfg_scale": 7.0, "seed": seed, "sampler_name": "euler",
                      "scheduler": "normal", "batch_size": images, "checkpoint_name": "sd_xl_base_1.0.safetensors", **params}
        self.tick()
        gen = create_generation(session_id=session_id, prompt_text=prompt, negative_prompt=negative, parameters=parameters,
                                workflow_json_snapshot=json.dumps(default_workflow()))
        if status in ("running", "completed", "failed"):
            mark_generation_running(gen.id)
        if status == "completed":
            self.tick(0.5)
            files = [self._image(session_id, gen.id, index, color) for index in range(images)]
            complete_generation(gen.id, outputs=[f["filename"] for f in files], output_files=files, generation_time_seconds=12.3)
        elif status == "failed":
            fail_generation(gen.id, error=error or "failed")
        return get_generation(gen.id)

    def _image(self, session_id: str, generation_id: str, index: int, color: tuple[int, int, int]) -> dict[str, Any]:
        from PIL import Image, ImageDraw

        relative = Path("outputs") / session_id / generation_id / f"sftui_{index:05d}_.png"
        path = self.db_path.parent / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        image = Image.new("RGB", (64, 64), color)
        ImageDraw.Draw(image).ellipse((16 + index * 4, 16, 48, 48), fill=(255 - color[0], 255 - color[1], 255 - color[2]))
        image.save(path)
        return {"node_id": "9", "filename": path.name, "subfolder": "", "type": "output", "path": relative.as_posix()}


@pytest.fixture
def seeder(monkeypatch: pytest.MonkeyPatch, db_path: Path) -> Seeder:
    return Seeder(monkeypatch, db_path)


Waiter = Callable[..., Awaitable[Any]]


def screen_text(app: Any) -> str:
    """The characters on the terminal right now (what a user reads), line by line."""
    from textual.strip import Strip

    compositor = app.screen._compositor
    chops = compositor._render_chops(compositor.size.region, lambda _y: True)
    return "\n".join(Strip.join(chop.values()).text for chop in chops)
