"""An image in a fixed number of rows: a thumbnail from the disk cache, or a live preview.

Decoding runs in a thread worker that hands back a small ``PIL.Image``; the
widget only swaps what it shows. With ``--images off``, or when the image
cannot be read, a one-line text placeholder stands in its place.

A thumb can be pointed at another file (``show_path``): history cards are reused
for other generations, so the thumb keeps its children and only the picture changes.
"""

from __future__ import annotations

import threading
import types
from functools import cache
from pathlib import Path
from typing import Any

from PIL import Image as PILImage
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import get_current_worker

from sftui.errors import SftuiError
from sftui.ui.backend import settings_of
from sftui.ui.messages import ReportWorkerErrors
from sftui.ui.text import inert_content


@cache
def image_widget_class(mode: str) -> Any:
    """The textual-image widget for an ``--images`` mode (``off`` has none)."""
    from textual_image import widget as images

    base = {
        "auto": images.Image,
        "sixel": images.SixelImage,
        "tgp": images.TGPImage,
        "halfcell": images.HalfcellImage,
        "unicode": images.UnicodeImage,
    }[mode]
    return types.new_class(f"Steady{base.__name__}", (SteadyFrames, base), {"Renderable": base._Renderable})


class SteadyFrames:
    """Mixin for a textual-image widget: a new image of the same pixel size only repaints.

    Its ``image`` setter asks for a full layout each time; live previews replace the
    image many times a second at one size, where the layout cannot change.
    """

    _steady = False

    def set_frame(self, image: PILImage.Image) -> None:
        current = self.image  # type: ignore[attr-defined]
        self._steady = isinstance(current, PILImage.Image) and current.size == image.size
        try:
            self.image = image  # type: ignore[attr-defined]
        finally:
            self._steady = False

    def refresh(self, *regions: Any, repaint: bool = True, layout: bool = False, recompose: bool = False) -> Any:
        return super().refresh(*regions, repaint=repaint, layout=layout and not self._steady, recompose=recompose)  # type: ignore[misc]


THUMB_ROWS = 8
#: Seconds the preview thread sleeps between checks that its widget still exists.
FRAME_WAIT = 0.25


class ImageThumb(ReportWorkerErrors, Widget):
    """Shows ``path`` (thumbnailed through the cache) or whatever ``show`` is given."""

    DEFAULT_CSS = """
    ImageThumb {
        height: 8;
        width: auto;
        min-width: 10;
        & > .thumb-image { height: 8; width: auto; }
        & > .thumb-text { width: auto; max-width: 40; color: $text-muted; }
    }
    """

    class Decoded(Message):
        def __init__(self, thumb: ImageThumb, image: PILImage.Image, path: Path | None = None) -> None:
            super().__init__()
            self.thumb = thumb
            self.image = image
            #: The file it came from (None: a live preview frame); stale once the thumb shows another.
            self.path = path

        @property
        def control(self) -> ImageThumb:
            return self.thumb

    class Failed(Message):
        def __init__(self, thumb: ImageThumb, error: str, path: Path | None = None) -> None:
            super().__init__()
            self.thumb = thumb
            self.error = error
            self.path = path

        @property
        def control(self) -> ImageThumb:
            return self.thumb

    def __init__(self, path: Path | None = None, *, caption: str = "image", id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.path = path
        self.caption = caption
        self._image_widget: Widget | None = None
        self._text = Static(classes="thumb-text")
        # Live previews: the newest frame waits here for one long-lived decoding thread;
        # a frame not yet taken when a newer one arrives is dropped.
        self._frame: bytes | None = None
        self._frame_lock = threading.Lock()
        self._frame_ready = threading.Event()
        self._decoding = False

    @property
    def mode(self) -> str:
        return settings_of(self).images

    def _placeholder(self) -> str:
        return f"▣ {self.caption}" if self.mode == "off" else f"… {self.caption}"

    def compose(self) -> ComposeResult:
        self._text.update(inert_content(self._placeholder(), single_line=True))
        yield self._text

    def on_mount(self) -> None:
        if self.path is not None and self.mode != "off":
            self._load_thumbnail(self.path)

    def show_path(self, path: Path, caption: str) -> None:
        """Show another file: the current picture stays until the new one is decoded (no blank frame)."""
        if path == self.path and caption == self.caption:
            return
        self.path, self.caption = path, caption
        if not self.is_mounted:
            return  # compose and on_mount show it
        if not self.has_image or self.mode == "off":
            self._show_text(self._placeholder())
        if self.mode != "off":
            self._load_thumbnail(path)

    @work(thread=True, exclusive=True, group="decode", exit_on_error=False)
    def _load_thumbnail(self, path: Path) -> None:
        from sftui.ui.thumbnails import load_thumbnail

        cache = settings_of(self).cache_dir or _default_cache()
        try:
            image = load_thumbnail(path, cache)
        except SftuiError as exc:
            self.post_message(self.Failed(self, exc.message, path))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.Decoded(self, image, path))

    def show_preview(self, data: bytes) -> None:
        """Decode a preview frame; a newer frame replaces one still waiting to be decoded."""
        if self.mode == "off":
            return
        with self._frame_lock:
            self._frame = data
        self._frame_ready.set()
        if not self._decoding:
            self._decoding = True
            self._decode_previews()

    # A fixed description: the default one is the repr() of the arguments.
    @work(thread=True, group="preview", exit_on_error=False, description="decode preview frames")
    def _decode_previews(self) -> None:
        from sftui.ui.thumbnails import decode_preview

        worker = get_current_worker()
        # Decoded to the pixels the thumb shows (not the server's 512 px): every redraw scales what it is given.
        box = preview_box(THUMB_ROWS)
        while not worker.is_cancelled:
            if not self._frame_ready.wait(FRAME_WAIT):
                continue
            with self._frame_lock:
                data, self._frame = self._frame, None
                self._frame_ready.clear()
            if data is None:
                continue
            try:
                image = decode_preview(data, box)
            except SftuiError as exc:
                self.post_message(self.Failed(self, exc.message))
                continue
            if not worker.is_cancelled:
                self.post_message(self.Decoded(self, image))

    @on(Decoded)
    async def _show_image(self, event: Decoded) -> None:
        event.stop()
        if event.path != self.path:
            return  # decoded for the file this thumb showed before
        columns = thumb_columns(event.image.size, THUMB_ROWS)
        widget = self._image_widget
        if widget is not None:
            if widget.styles.width is None or widget.styles.width.value != columns:
                widget.styles.width = columns
            widget.set_frame(event.image)  # type: ignore[attr-defined]
            self._set_showing_image(True)
            return
        try:
            widget = image_widget_class(self.mode)(event.image, classes="thumb-image")
        except Exception as exc:  # a terminal the renderer cannot serve: keep the text
            self._show_text(f"▣ {self.caption} ({exc})")
            return
        # textual-image sizes "auto" before layout knows the height; give it the width the aspect needs.
        widget.styles.width = columns
        self._image_widget = widget
        self._text.display = False
        await self.mount(widget)

    @on(Failed)
    def _show_failure(self, event: Failed) -> None:
        event.stop()
        if event.path != self.path:
            return
        if event.path is not None or self._image_widget is None:
            # A file that cannot be shown replaces whatever picture was there; a bad preview frame keeps the last good one.
            self._set_showing_image(False)
            self._show_text(f"▣ {self.caption}: {event.error}")

    def _set_showing_image(self, showing: bool) -> None:
        if self._image_widget is not None:
            self._image_widget.display = showing
        self._text.display = not showing

    def _show_text(self, text: str) -> None:
        self._text.update(inert_content(text, single_line=True))

    @property
    def has_image(self) -> bool:
        return self._image_widget is not None and bool(self._image_widget.display)


def _cell_pixels() -> tuple[int, int]:
    try:
        from textual_image.widget import get_cell_size

        cell = get_cell_size()
        return cell.width or 10, cell.height or 20
    except Exception:  # no terminal to ask (closed stdout): the usual 1:2 cell
        return 10, 20


def preview_box(rows: int) -> tuple[int, int]:
    """The pixel box an image shown ``rows`` cells high needs at most (up to 4:1 wide)."""
    _cell_width, cell_height = _cell_pixels()
    return rows * cell_height * 4, rows * cell_height


def thumb_columns(size: tuple[int, int], rows: int) -> int:
    """Cells across for an image of ``size`` pixels shown ``rows`` cells high, keeping its aspect."""
    cell_width, cell_height = _cell_pixels()
    width, height = size
    return max(1, round(rows * cell_height / cell_width * width / max(1, height)))


def _default_cache() -> Path:
    from sftui.config import cache_dir

    return cache_dir()
