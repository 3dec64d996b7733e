"""A full-size picture with zoom and pan, drawn by textual-image (or a text placeholder)."""

from __future__ import annotations

from typing import Any

from PIL import Image as PILImage
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from sftui.ui.text import inert_markup

#: Zoom steps; 1 shows the whole image fitted to the screen.
ZOOM_LEVELS = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)
#: One pan key moves the view by this share of what is visible.
PAN_STEP = 0.25
IMAGE_MODES = ("auto", "sixel", "tgp", "halfcell", "unicode", "off")


def image_class(mode: str) -> Any:
    """The textual-image widget class for an ``--images`` mode (None for ``off``)."""
    if mode == "off":
        return None
    from textual_image import widget as images

    return {
        "auto": images.Image,
        "sixel": images.SixelImage,
        "tgp": images.TGPImage,
        "halfcell": images.HalfcellImage,
        "unicode": images.UnicodeImage,
    }[mode]


def view_box(size: tuple[int, int], zoom: float, center: tuple[float, float]) -> tuple[int, int, int, int]:
    """The crop (left, top, right, bottom) in pixels showing 1/zoom of the image around ``center``."""
    width, height = size
    view_w, view_h = max(1, round(width / zoom)), max(1, round(height / zoom))
    left = round(center[0] * width - view_w / 2)
    top = round(center[1] * height - view_h / 2)
    left = min(max(0, left), width - view_w)
    top = min(max(0, top), height - view_h)
    return left, top, left + view_w, top + view_h


class ZoomImage(Widget):
    """Give it a decoded ``PIL.Image`` with ``show``; ``zoom``/``center`` pick the visible part."""

    zoom: reactive[float] = reactive(1.0)
    """Magnification; 1.0 fits the whole image."""
    center: reactive[tuple[float, float]] = reactive((0.5, 0.5))
    """The point of the image (0..1 on each axis) kept in the middle when zoomed."""

    def __init__(self, *, mode: str = "auto", id: str | None = None) -> None:
        super().__init__(id=id)
        self.mode = mode if mode in IMAGE_MODES else "auto"
        self.source: PILImage.Image | None = None
        self.caption = ""
        self.placeholder = Static("", classes="zoom-placeholder")
        widget_class = image_class(self.mode)
        self.picture: Widget | None = widget_class(classes="zoom-picture") if widget_class else None

    def compose(self) -> ComposeResult:
        yield self.placeholder
        if self.picture is not None:
            yield self.picture

    def on_mount(self) -> None:
        self.show_text("Loading…")

    def show_text(self, text: str) -> None:
        """Show ``text`` instead of a picture (loading, errors)."""
        self.source = None
        self.placeholder.update(inert_markup("$text", text=text))
        self.placeholder.display = True
        if self.picture is not None:
            self.picture.display = False
            self.picture.image = None  # type: ignore[attr-defined]

    def show(self, image: PILImage.Image, caption: str = "") -> None:
        """Display a decoded image, fitted (zoom 1, centred)."""
        self.source = image
        self.caption = caption
        self.set_reactive(ZoomImage.zoom, 1.0)
        self.set_reactive(ZoomImage.center, (0.5, 0.5))
        self._render_view()

    @property
    def box(self) -> tuple[int, int, int, int] | None:
        return None if self.source is None else view_box(self.source.size, self.zoom, self.center)

    def zoom_in(self) -> None:
        self.zoom = next((z for z in ZOOM_LEVELS if z > self.zoom), ZOOM_LEVELS[-1])

    def zoom_out(self) -> None:
        self.zoom = next((z for z in reversed(ZOOM_LEVELS) if z < self.zoom), ZOOM_LEVELS[0])

    def fit(self) -> None:
        self.zoom = 1.0
        self.center = (0.5, 0.5)

    def pan(self, dx: int, dy: int) -> None:
        """Move the view by ``PAN_STEP`` of its size, staying inside the image."""
        if self.source is None or self.zoom <= 1.0:
            return
        half = 0.5 / self.zoom
        x = min(max(half, self.center[0] + dx * PAN_STEP / self.zoom), 1 - half)
        y = min(max(half, self.center[1] + dy * PAN_STEP / self.zoom), 1 - half)
        self.center = (x, y)

    def watch_zoom(self) -> None:
        self._render_view()

    def watch_center(self) -> None:
        self._render_view()

    def _render_view(self) -> None:
        if self.source is None or not self.is_mounted:
            return
        box = view_box(self.source.size, self.zoom, self.center)
        if self.picture is None:
            w, h = self.source.size
            self.placeholder.update(inert_markup(
                "[b]$caption[/b]\n$w×$h px · zoom $zoom× · showing $l,$t–$r,$b\n(images are off: --images auto shows them)",
                caption=self.caption or "image", w=w, h=h, zoom=f"{self.zoom:g}",
                l=box[0], t=box[1], r=box[2], b=box[3], single_line=False,
            ))
            self.placeholder.display = True
            return
        self.placeholder.display = False
        self.picture.display = True
        # A crop is a cheap view; textual-image scales it to the cells available.
        self.picture.image = self.source if self.zoom == 1.0 else self.source.crop(box)  # type: ignore[attr-defined]
