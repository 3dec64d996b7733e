"""The small live part of a running card: bar, percent, current node, preview frame.

Progress updates touch only this widget (its reactives), never the whole card.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import ProgressBar, Static

from sftui.ui.text import inert_content
from sftui.ui.widgets.image_thumb import ImageThumb


class GenerationProgress(Widget):
    DEFAULT_CSS = """
    GenerationProgress {
        height: auto;
        & > Horizontal { height: 1; }
        & ProgressBar { width: auto; }
        & .progress-node { width: 1fr; padding-left: 1; color: $text-muted; }
        & ImageThumb { display: none; }
        & ImageThumb.-shown { display: block; }
    }
    """

    status: reactive[str] = reactive("pending")
    """``pending`` (waiting in a queue) or ``running``."""

    percent: reactive[float] = reactive(0.0)
    """Overall progress of the generation, 0-100."""

    current_node: reactive[str | None] = reactive(None)
    """Title or class of the node the server is executing."""

    def __init__(self, status: str = "pending", *, local: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.local = local
        self.set_reactive(GenerationProgress.status, status)
        # Kept, so a progress or preview event (hundreds a second) touches them without a DOM query.
        self._bar: ProgressBar | None = None
        self._label: Static | None = None
        self._thumb: ImageThumb | None = None

    def compose(self) -> ComposeResult:
        with Horizontal():
            self._bar = ProgressBar(total=100, show_eta=False, show_percentage=True)
            self._bar.progress = self.percent
            yield self._bar
            self._label = Static(self._node_text(), classes="progress-node")
            yield self._label
        self._thumb = ImageThumb(caption="live preview", classes="progress-preview")
        yield self._thumb

    def _node_text(self):
        if self.local:
            return inert_content("waiting for the server to come back")
        if self.status == "pending":
            return inert_content("queued on the server")
        return inert_content(self.current_node or "starting…", single_line=True)

    def _refresh_label(self) -> None:
        # Children may not be composed yet; compose reads the reactives then.
        if self._label is not None:
            self._label.update(self._node_text())

    def watch_status(self) -> None:
        self._refresh_label()

    def watch_current_node(self) -> None:
        self._refresh_label()

    def watch_percent(self, percent: float) -> None:
        if self._bar is not None:
            self._bar.update(progress=percent)

    def update_progress(self, percent: float, current_node: str | None) -> None:
        self.status = "running"
        self.percent = percent
        if current_node:
            self.current_node = current_node

    def show_preview(self, data: bytes) -> None:
        if self._thumb is not None:
            self._thumb.add_class("-shown")
            self._thumb.show_preview(data)
