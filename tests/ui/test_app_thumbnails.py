"""Thumbnails are made once (off the UI thread) and cached on disk; preview frames decode small."""

from __future__ import annotations

import io
import os
from datetime import datetime, timedelta, timezone

import pytest
from PIL import Image

from sftui.errors import SftuiError
from sftui.ui.formatting import connection_label, relative_time, summary_line
from sftui.ui.thumbnails import THUMBNAIL_BOX, decode_preview, load_thumbnail, make_thumbnail
from sftui.ui.widgets.image_thumb import thumb_columns


def picture(path, size=(1024, 768), color=(10, 200, 30)):
    Image.new("RGB", size, color).save(path)
    return path


def test_a_thumbnail_is_made_once_and_remade_when_the_file_changes(tmp_path) -> None:
    source = picture(tmp_path / "out.png")
    cache = tmp_path / "cache"
    first = make_thumbnail(source, cache)
    assert first.is_file() and first.is_relative_to(cache / "thumbnails")
    made = first.stat().st_mtime_ns
    assert make_thumbnail(source, cache) == first
    assert first.stat().st_mtime_ns == made  # read from the cache, not written again
    image = load_thumbnail(source, cache)
    assert max(image.size) == THUMBNAIL_BOX[0] and image.size == (384, 288)

    picture(source, size=(600, 600), color=(0, 0, 0))
    os.utime(source, ns=(made + 10**9, made + 10**9))
    assert make_thumbnail(source, cache) != first
    assert load_thumbnail(source, cache).size == (384, 384)


def test_unreadable_images_raise_one_line_errors(tmp_path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    with pytest.raises(SftuiError, match="broken.png"):
        load_thumbnail(broken, tmp_path / "cache")
    with pytest.raises(SftuiError, match="missing.png"):
        load_thumbnail(tmp_path / "missing.png", tmp_path / "cache")
    with pytest.raises(SftuiError, match="preview frame"):
        decode_preview(b"\xff\xd8 garbage")


def test_preview_frames_are_decoded_and_shrunk() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (1024, 1024), (1, 2, 3)).save(buffer, format="JPEG")
    image = decode_preview(buffer.getvalue())
    assert image.size == (384, 384) and image.mode == "RGB"


def test_preview_frames_decode_to_the_box_the_thumb_shows() -> None:
    from sftui.ui.widgets.image_thumb import preview_box

    box = preview_box(8)
    for mode, size in (("RGB", (512, 512)), ("L", (768, 384))):
        buffer = io.BytesIO()
        Image.new(mode, size, 90).save(buffer, format="JPEG")
        image = decode_preview(buffer.getvalue(), box)
        assert image.height <= box[1] and image.width <= box[0]
        assert abs(image.width / image.height - size[0] / size[1]) < 0.05  # aspect kept
        assert image.mode == "RGB"


def test_thumbnail_width_keeps_the_aspect_in_cells() -> None:
    assert thumb_columns((512, 512), 8) == 16  # cells are twice as tall as wide
    assert thumb_columns((1024, 512), 8) == 32
    assert thumb_columns((512, 1024), 8) == 8


def test_wording_of_times_summaries_and_connection() -> None:
    now = datetime(2024, 5, 10, 12, 0, tzinfo=timezone.utc)
    assert relative_time(now - timedelta(seconds=20), now) == "just now"
    assert relative_time(now - timedelta(minutes=5), now) == "5 min ago"
    assert relative_time(now - timedelta(hours=3), now) == "3 h ago"
    assert relative_time(now - timedelta(days=1, hours=2), now) == "yesterday"
    assert relative_time(now - timedelta(days=30), now) == "2024-04-10"
    assert connection_label("reconnecting", 3.6) == "○ Reconnecting in 4 s"
    assert connection_label("connected", None) == "● Connected"

    class Row:
        seed, steps, cfg_scale, width, height = 847293, 25, 7.0, 1024, 1024
        sampler_name, scheduler, checkpoint_name = "euler_ancestral", "karras", "models/sd_xl_base_1.0.safetensors"
        batch_size, generation_time_seconds = 1, 12.34

    assert summary_line(Row) == "seed 847293 · 25 steps · cfg 7.0 · 1024×1024 · euler_ancestral/karras · sd_xl_base_1.0 · 12.3s"
