"""The small live part of a running card: one line (bar, percent, node, step) and the preview frame.

Progress arrives hundreds of times a second, so an update must cost one repainted
line and nothing more. Everything on the line is drawn by one widget of a fixed
height (``ProgressLine``): no value it shows can change a size, so no update asks
for a layout, and this widget's own reactives do not repaint (only the line does).
Preview frames reach the thumbnail at most ``PREVIEW_FPS`` times a second: drawing
an image costs far more than a line, and a few cells of preview gain nothing from
a faster rate.
"""

from __future__ import annotations

from time import monotonic

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.renderables.bar import Bar
from textual.timer import Timer
from textual.widget import Widget

from sftui.ui.text import inert
from sftui.ui.widgets.image_thumb import ImageThumb

#: Cells of the bar (as wide as Textual's ``ProgressBar``).
BAR_WIDTH = 32
#: Preview frames shown per second at most; the newest frame is always the one shown.
PREVIEW_FPS = 10


class ProgressLine(Widget):
    """Bar, percent, current node and step in one line, drawn by ``render`` (``GenerationProgress`` binds it)."""

    COMPONENT_CLASSES = {"progress--bar", "progress--complete", "progress--percent", "progress--node"}

    DEFAULT_CSS = """
    ProgressLine {
        height: 1;
        & > .progress--bar { color: $primary; background: $surface; }
        & > .progress--complete { color: $success; background: $surface; }
        & > .progress--node { color: $text-muted; }
    }
    """

    status: reactive[str] = reactive("pending")
    """``pending`` or ``running``."""

    percent: reactive[float] = reactive(0.0)
    """Overall progress shown, 0-100."""

    current_node: reactive[str | None] = reactive(None)
    """The node shown after the percent."""

    step: reactive[tuple[int, int] | None] = reactive(None)
    """``(value, max)`` of the running node, when it reports steps."""

    def __init__(self, *, local: bool = False) -> None:
        super().__init__()
        self.local = local
        self._styles_of: dict[str, Style] = {}

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles_of.clear()

    def _style(self, name: str) -> Style:
        # Resolving a component style walks the CSS each time; the line is redrawn per event.
        style = self._styles_of.get(name)
        if style is None:
            style = self._styles_of[name] = self.get_component_rich_style(name)
        return style

    def render(self) -> Text:
        colors = self._style("progress--complete" if self.percent >= 100 else "progress--bar")
        bar = Bar(
            highlight_range=(0, BAR_WIDTH * self.percent / 100),
            highlight_style=Style.from_color(colors.color),
            background_style=Style.from_color(colors.bgcolor),
            width=BAR_WIDTH,
        )
        # Bar yields one Text of exactly BAR_WIDTH cells.
        line = next(iter(bar.__rich_console__(self.app.console, self.app.console.options)))
        line.append(f"{self.percent:6.1f}%", self._style("progress--percent"))
        line.append(f" {self.node_text}", self._style("progress--node"))
        line.no_wrap = True
        line.overflow = "ellipsis"
        return line

    @property
    def node_text(self) -> str:
        if self.local:
            return "waiting for the server to come back"
        if self.status == "pending":
            return "queued on the server"
        text = inert(self.current_node or "starting…", single_line=True)
        if self.step is not None:
            text += f" · step {self.step[0]}/{self.step[1]}"
        return text


class GenerationProgress(Widget):
    DEFAULT_CSS = """
    GenerationProgress {
        height: auto;
        & ImageThumb { display: none; }
        & ImageThumb.-shown { display: block; }
    }
    """

    # repaint=False: the line child repaints (through data_bind); this widget's whole
    # region, preview included, must not be redrawn for a new percent.
    status: reactive[str] = reactive("pending", repaint=False)
    """``pending`` (waiting in a queue) or ``running``."""

    percent: reactive[float] = reactive(0.0, repaint=False)
    """Overall progress of the generation as shown, 0-100."""

    current_node: reactive[str | None] = reactive(None, repaint=False)
    """Title or class of the node the server is executing."""

    step: reactive[tuple[int, int] | None] = reactive(None, repaint=False)
    """``(value, max)`` steps of the running node, when it reports them."""

    def __init__(self, status: str = "pending", *, local: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.local = local
        self.set_reactive(GenerationProgress.status, status)
        # Kept, so a preview event touches it without a DOM query.
        self._line: ProgressLine | None = None
        self._thumb: ImageThumb | None = None
        self._frame: bytes | None = None
        self._frame_timer: Timer | None = None
        self._frame_shown_at = float("-inf")

    def compose(self) -> ComposeResult:
        self._line = ProgressLine(local=self.local).data_bind(
            GenerationProgress.status, GenerationProgress.percent, GenerationProgress.current_node, GenerationProgress.step
        )
        yield self._line
        self._thumb = ImageThumb(caption="live preview", classes="progress-preview")
        yield self._thumb

    @property
    def text(self) -> str:
        """The line as shown, without styles."""
        return "" if self._line is None else self._line.render().plain

    def validate_percent(self, percent: float) -> float:
        # What the line shows (one decimal), so that ``percent`` is what the user sees.
        return round(min(100.0, max(0.0, percent)), 1)

    def update_progress(self, percent: float, current_node: str | None, value: int | None = None, maximum: int | None = None) -> None:
        """One progress event. ``value``/``maximum`` are the running node's steps; a new node without
        them clears the steps of the one before."""
        self.status = "running"
        self.percent = percent
        if current_node:
            self.current_node = current_node
        if value is not None and maximum:
            self.step = (value, maximum)
        elif current_node:
            self.step = None

    def show_preview(self, data: bytes) -> None:
        """Hand the newest frame to the thumbnail, at most ``PREVIEW_FPS`` times a second."""
        self._frame = data
        if self._frame_timer is not None:
            return  # the pending timer shows the newest frame
        wait = self._frame_shown_at + 1 / PREVIEW_FPS - monotonic()
        if wait <= 0:
            self._show_frame()
        else:
            self._frame_timer = self.set_timer(wait, self._show_frame, name="preview frame")

    def _show_frame(self) -> None:
        self._frame_timer = None
        data, self._frame = self._frame, None
        if data is None or self._thumb is None:
            return
        self._frame_shown_at = monotonic()
        self._thumb.add_class("-shown")
        self._thumb.show_preview(data)
