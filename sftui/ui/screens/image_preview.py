"""The lightbox: one image of a generation at full size, with zoom, pan, batch navigation and save-as."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from PIL import Image as PILImage
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from sftui.errors import SftuiError
from sftui.ui.files import copy_atomic, is_remote_session, open_with_system_viewer
from sftui.ui.screens.save_prompt import SaveFinished, ask_save_target, report_save
from sftui.ui.text import inert, inert_content
from sftui.ui.widgets.zoom_image import ZoomImage

#: Larger images are scaled down after decoding: a terminal cannot show more, and memory stays bounded.
MAX_DECODED_SIDE = 4096


def decode_image(path: Path) -> PILImage.Image:
    """Open, fully decode and bound ``path`` (run in a thread); UsageError-like text on failure."""
    try:
        with PILImage.open(path) as image:
            image.draft("RGB", (MAX_DECODED_SIDE, MAX_DECODED_SIDE))
            decoded = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    except FileNotFoundError:
        raise OSError(f"{path} no longer exists") from None
    except (OSError, ValueError, PILImage.DecompressionBombError) as exc:
        raise OSError(f"cannot show {path}: {exc}") from None
    decoded.thumbnail((MAX_DECODED_SIDE, MAX_DECODED_SIDE))
    return decoded


class ImagePreviewScreen(ModalScreen[None]):
    """Full-size view of ``paths[index]``: + / - zoom, 0 or f fits, arrows pan when zoomed,
    n/p (or right/left when not zoomed) step through the batch, s saves a copy, o opens the
    system viewer (local sessions only), c copies the path, esc closes."""

    BINDING_GROUP_TITLE = "Image preview"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("plus,equals_sign", "zoom_in", "Zoom in", id="preview.zoom_in", tooltip="Magnify the image", key_display="+"),
        Binding("minus", "zoom_out", "Zoom out", id="preview.zoom_out", tooltip="Show more of the image", key_display="-"),
        Binding("0,f", "fit", "Fit", id="preview.fit", tooltip="Show the whole image"),
        Binding("n", "next", "Next", id="preview.next", tooltip="Next image of the batch"),
        Binding("p", "previous", "Previous", id="preview.previous", tooltip="Previous image of the batch"),
        Binding("right", "right", "Next / pan", show=False, id="preview.right", tooltip="Pan right when zoomed, else the next image"),
        Binding("left", "left", "Previous / pan", show=False, id="preview.left", tooltip="Pan left when zoomed, else the previous image"),
        Binding("up", "pan(0, -1)", "Pan up", show=False, id="preview.up", tooltip="Pan up when zoomed"),
        Binding("down", "pan(0, 1)", "Pan down", show=False, id="preview.down", tooltip="Pan down when zoomed"),
        Binding("s", "save_as", "Save as", id="preview.save_as", tooltip="Copy the image to a path you choose"),
        Binding("o", "open_external", "Open", id="preview.open", tooltip="Open in the system image viewer (local sessions only)"),
        Binding("c", "copy_path", "Copy path", id="preview.copy_path", tooltip="Copy the file path to the clipboard"),
        Binding("escape", "close", "Close", id="preview.close", tooltip="Back to the history"),
    ]

    @dataclass
    class _Decoded(Message):
        index: int
        image: PILImage.Image

    @dataclass
    class _DecodeFailed(Message):
        index: int
        error: str

    @dataclass
    class _Opened(Message):
        path: Path
        error: str | None

    def __init__(self, paths: list[Path], index: int = 0, *, image_mode: str | None = None) -> None:
        super().__init__(classes="image-preview")
        if not paths:
            raise ValueError("ImagePreviewScreen needs at least one path")
        self.paths = [Path(p) for p in paths]
        self.index = min(max(0, index), len(self.paths) - 1)
        self.image_mode = image_mode

    @property
    def path(self) -> Path:
        return self.paths[self.index]

    def _mode(self) -> str:
        if self.image_mode:
            return self.image_mode
        settings = getattr(self.app, "settings", None)
        return getattr(settings, "images", None) or "auto"

    def compose(self) -> ComposeResult:
        yield Static("", id="preview-path")
        yield ZoomImage(mode=self._mode(), id="preview-image")
        yield Footer()

    def on_mount(self) -> None:
        self._load()

    @property
    def viewer(self) -> ZoomImage:
        return self.query_one(ZoomImage)

    def _caption(self) -> str:
        zoom = self.viewer.zoom
        return f"[{self.index + 1}/{len(self.paths)}] {self.path}" + (f"  · zoom {zoom:g}×" if zoom != 1.0 else "")

    def _update_caption(self) -> None:
        self.query_one("#preview-path", Static).update(inert_content(self._caption(), single_line=True))

    def _load(self) -> None:
        self.viewer.show_text(f"Loading {self.path.name}…")
        self._update_caption()
        self._decode(self.index, self.path)

    @work(thread=True, exclusive=True, group="preview-decode", exit_on_error=False)
    def _decode(self, index: int, path: Path) -> None:
        try:
            image = decode_image(path)
        except OSError as exc:
            self.post_message(self._DecodeFailed(index, str(exc)))
            return
        self.post_message(self._Decoded(index, image))

    @on(_Decoded)
    def _decoded(self, message: _Decoded) -> None:
        if message.index == self.index:
            self.viewer.show(message.image, caption=self.path.name)
            self._update_caption()

    @on(_DecodeFailed)
    def _decode_failed(self, message: _DecodeFailed) -> None:
        if message.index == self.index:
            self.viewer.show_text(message.error)

    # -- zoom and pan --------------------------------------------------------------------
    def action_zoom_in(self) -> None:
        self.viewer.zoom_in()
        self._update_caption()

    def action_zoom_out(self) -> None:
        self.viewer.zoom_out()
        self._update_caption()

    def action_fit(self) -> None:
        self.viewer.fit()
        self._update_caption()

    def action_pan(self, dx: int, dy: int) -> None:
        self.viewer.pan(dx, dy)

    def action_right(self) -> None:
        self.action_pan(1, 0) if self.viewer.zoom > 1.0 else self.action_next()

    def action_left(self) -> None:
        self.action_pan(-1, 0) if self.viewer.zoom > 1.0 else self.action_previous()

    # -- batch -----------------------------------------------------------------------------
    def _go(self, step: int) -> None:
        if len(self.paths) == 1:
            self.notify("This generation has one image.", markup=False)
            return
        self.index = (self.index + step) % len(self.paths)
        self._load()

    def action_next(self) -> None:
        self._go(1)

    def action_previous(self) -> None:
        self._go(-1)

    # -- files -----------------------------------------------------------------------------
    def action_save_as(self) -> None:
        source = self.path
        ask_save_target(self, title="Save image as", suggested=Path.cwd() / source.name,
                        on_target=lambda target, overwrite: self._copy(source, target, overwrite))

    @work(thread=True, exclusive=True, group="preview-save", exit_on_error=False)
    def _copy(self, source: Path, target: Path, overwrite: bool) -> None:
        try:
            copy_atomic(source, target, overwrite=overwrite)
        except SftuiError as exc:
            self.post_message(SaveFinished(target, exc.message))
            return
        self.post_message(SaveFinished(target))

    def on_save_finished(self, message: SaveFinished) -> None:
        report_save(self, message)

    def action_open_external(self) -> None:
        if is_remote_session():
            self.notify("Over SSH the system viewer would open on the remote machine; use s to save a copy instead.",
                        severity="warning", markup=False)
            return
        self._open(self.path)

    @work(thread=True, exclusive=True, group="preview-open", exit_on_error=False)
    def _open(self, path: Path) -> None:
        try:
            open_with_system_viewer(path)
        except SftuiError as exc:
            self.post_message(self._Opened(path, exc.message))
            return
        self.post_message(self._Opened(path, None))

    @on(_Opened)
    def _opened(self, message: _Opened) -> None:
        if message.error:
            self.notify(inert(message.error, single_line=True), severity="error", markup=False)
        else:
            self.notify(inert(f"Opened {message.path.name} in the system viewer", single_line=True), markup=False)

    def action_copy_path(self) -> None:
        self.app.copy_to_clipboard(str(self.path))
        self.notify(inert(f"Copied {self.path}", single_line=True), markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
