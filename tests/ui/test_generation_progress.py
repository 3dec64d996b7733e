"""The live part of a running card: progress repaints one line (never a layout), preview
frames are rate-limited to the newest, and bursts of backend messages collapse."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on
from textual.app import App, ComposeResult
from textual.widget import Widget

from sftui.ui import messages as msg
from sftui.ui.backend import Backend, UISettings
from sftui.ui.widgets.generation_progress import GenerationProgress, ProgressLine
from tests.ui.conftest import wait_for


class Host(App[None]):
    """One GenerationProgress, and the backend its preview thumbnail reads its settings from."""

    def __init__(self, tmp_path: Path, status: str = "running") -> None:
        super().__init__()
        self.backend = Backend(UISettings(server_url="http://127.0.0.1:9", db_path=tmp_path / "sftui.db", images="halfcell"))
        self.status = status

    def compose(self) -> ComposeResult:
        yield GenerationProgress(self.status)


def count_layouts(app: App[Any]) -> list[int]:
    """A counter of full-screen reflows of the current screen."""
    screen = app.screen
    calls = [0]
    original = screen._refresh_layout

    def refresh_layout(*args: Any, **kwargs: Any) -> None:
        calls[0] += 1
        original(*args, **kwargs)

    screen._refresh_layout = refresh_layout  # type: ignore[method-assign]
    return calls


async def test_progress_updates_repaint_the_line_and_never_ask_for_a_layout(tmp_path: Path) -> None:
    app = Host(tmp_path, status="pending")
    async with app.run_test(size=(100, 12)) as pilot:
        progress = app.query_one(GenerationProgress)
        line = app.query_one(ProgressLine)
        await pilot.pause()
        assert "queued on the server" in progress.text
        layouts = count_layouts(app)
        updates = [(0.0, "Load Checkpoint", None, None), (14.3, "KSampler", 1, 20), (15.0, "KSampler", 2, 20), (50.0, "KSampler", 20, 20),
                   (85.7, "VAE Decode", None, None), (100.0, "Save Image", None, None)]
        for percent, node, value, maximum in updates:
            progress.update_progress(percent, node, value, maximum)
            # Only the line is marked for a repaint: not this widget's region (with the preview), no layout anywhere.
            assert line._repaint_required
            assert not progress._repaint_required
            assert not (line._layout_required or progress._layout_required or app.screen._layout_required)
            await pilot.pause()
            assert f"{percent:.1f}%" in progress.text and node in progress.text
        assert layouts[0] == 0


async def test_percent_is_what_the_line_shows(tmp_path: Path) -> None:
    async with Host(tmp_path).run_test(size=(100, 12)) as pilot:
        progress = pilot.app.query_one(GenerationProgress)
        progress.update_progress(45.27, "KSampler")
        await pilot.pause()
        assert progress.percent == 45.3
        assert "45.3%" in progress.text
        progress.update_progress(120.0, "KSampler")
        assert progress.percent == 100.0


async def test_steps_belong_to_the_node_that_reported_them(tmp_path: Path) -> None:
    async with Host(tmp_path).run_test(size=(100, 12)) as pilot:
        progress = pilot.app.query_one(GenerationProgress)
        assert "starting…" in progress.text
        progress.update_progress(20.0, "KSampler", 3, 20)
        await pilot.pause()
        assert "KSampler · step 3/20" in progress.text
        progress.update_progress(21.0, None)  # cached nodes: no node named, the steps stay
        assert "KSampler · step 3/20" in progress.text
        progress.update_progress(85.0, "VAE Decode")  # a new node without steps
        assert "VAE Decode" in progress.text and "step" not in progress.text


async def test_a_burst_of_preview_frames_shows_the_first_at_once_and_then_only_the_newest(tmp_path: Path) -> None:
    async with Host(tmp_path).run_test(size=(100, 12)) as pilot:
        progress = pilot.app.query_one(GenerationProgress)
        thumb = progress.query_one(".progress-preview")
        shown: list[bytes] = []
        thumb.show_preview = shown.append  # type: ignore[method-assign]
        frames = [f"frame {n}".encode() for n in range(30)]
        for frame in frames:
            progress.show_preview(frame)
        assert shown == [frames[0]]
        await wait_for(pilot, lambda: len(shown) == 2, what="the newest frame")
        assert shown == [frames[0], frames[-1]]
        assert thumb.has_class("-shown")


class Listener(Widget):
    """Records the backend messages that reach it."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str, Any]] = []

    @on(msg.GenerationProgress)
    def _progress(self, event: msg.GenerationProgress) -> None:
        self.seen.append(("progress", event.generation_id, event.percent))

    @on(msg.GenerationPreview)
    def _preview(self, event: msg.GenerationPreview) -> None:
        self.seen.append(("preview", event.generation_id, event.image))


class ListenerHost(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.bubbled: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Listener()

    @on(msg.GenerationProgress)
    @on(msg.GenerationPreview)
    def _bubbled(self, event: Any) -> None:
        self.bubbled.append(event)


async def test_a_burst_of_progress_or_previews_collapses_to_the_latest_per_generation() -> None:
    app = ListenerHost()
    async with app.run_test() as pilot:
        listener = app.query_one(Listener)
        # Posted in one go, as when the loop was busy while the socket delivered them.
        for percent in range(20):
            listener.post_message(msg.GenerationProgress("a", float(percent), "KSampler", percent, 20))
        for percent in range(5):
            listener.post_message(msg.GenerationProgress("b", float(percent), "KSampler", percent, 20))
        for n in range(5):
            listener.post_message(msg.GenerationPreview("b", b"frame %d" % n))
        await pilot.pause()
        assert listener.seen == [("progress", "a", 19.0), ("progress", "b", 4.0), ("preview", "b", b"frame 4")]
        # Handled where they were posted: none woke the app's queue.
        assert app.bubbled == []
