"""Thumbnails for the timeline, made once and cached on disk; live preview decoding.

Called only from thread workers: PIL decoding of a 1024² PNG takes long enough
to drop frames if it ran on the UI thread. No Textual here.

A cached thumbnail is named after the source's resolved path, size and
modification time, so an overwritten file gets a new thumbnail and a stale one
is simply never read again.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from sftui.errors import SftuiError

THUMBNAIL_BOX = (384, 384)
PREVIEW_BOX = (384, 384)
# A decoded preview bigger than this is refused: frames come from the network.
MAX_PREVIEW_PIXELS = 4096 * 4096


def thumbnail_path(source: Path, cache_dir: Path, box: tuple[int, int] = THUMBNAIL_BOX) -> Path:
    """Where the thumbnail of ``source`` lives in the cache (it may not exist yet)."""
    resolved = Path(source).resolve()
    stat = resolved.stat()
    key = f"{resolved}\0{stat.st_size}\0{stat.st_mtime_ns}\0{box[0]}x{box[1]}"
    digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()
    return Path(cache_dir) / "thumbnails" / digest[:2] / f"{digest}.png"


def make_thumbnail(source: Path, cache_dir: Path, box: tuple[int, int] = THUMBNAIL_BOX) -> Path:
    """The cached thumbnail of ``source``, created on first use."""
    try:
        target = thumbnail_path(source, cache_dir, box)
    except OSError as exc:
        raise SftuiError(f"image {source} cannot be read: {exc.strerror or exc}") from None
    if target.is_file():
        return target
    image = _open(source)
    image.thumbnail(box)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename: two workers thumbnailing the same file never see half a PNG.
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            _displayable(image).save(fh, format="PNG")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def load_thumbnail(source: Path, cache_dir: Path, box: tuple[int, int] = THUMBNAIL_BOX) -> Image.Image:
    """A small, fully decoded image for ``source`` (from the cache when it is there)."""
    return _open(make_thumbnail(source, cache_dir, box))


def decode_preview(data: bytes, box: tuple[int, int] = PREVIEW_BOX) -> Image.Image:
    """A live preview frame (JPEG or PNG bytes from the server), decoded and shrunk."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PREVIEW_PIXELS:
                raise SftuiError(f"preview frame of {image.width}×{image.height} pixels is too large to show")
            # JPEG frames decode straight at 1/2, 1/4 or 1/8 scale when that still covers the box.
            image.draft("RGB", box)
            image.load()
            image.thumbnail(box)
            return _displayable(image)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
        raise SftuiError(f"preview frame cannot be decoded: {exc}") from None


def _open(path: Path) -> Image.Image:
    try:
        with Image.open(path) as image:
            image.load()
            return _displayable(image)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
        raise SftuiError(f"image {path} cannot be shown: {exc}") from None


def _displayable(image: Image.Image) -> Image.Image:
    """RGB or RGBA: what every terminal image renderer accepts."""
    if image.mode in ("RGB", "RGBA"):
        return image.copy()
    return image.convert("RGBA" if "A" in image.getbands() or image.mode == "P" else "RGB")
