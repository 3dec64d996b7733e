"""The image lightbox: zoom, pan, batch navigation, save-as, system viewer, text mode."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from sftui.ui import files
from sftui.ui.screens.confirm import ConfirmScreen
from sftui.ui.screens.image_preview import ImagePreviewScreen
from sftui.ui.screens.text_prompt import TextPromptScreen
from sftui.ui.widgets.zoom_image import ZoomImage
from tests.ui.modal_host import ModalHost, paste, screen_text, wait_until

SIZE = (80, 24)


@pytest.fixture
def batch(tmp_path: Path) -> list[Path]:
    """Two real PNGs of a batch, told apart by size and colour."""
    paths = []
    for index, (size, color) in enumerate((((96, 64), (220, 40, 40)), ((32, 48), (40, 40, 220)))):
        path = tmp_path / "outputs" / f"sftui_{index:05d}_.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        image = Image.new("RGB", size, color)
        image.putpixel((0, 0), (255, 255, 255))
        image.save(path)
        paths.append(path)
    return paths


def viewer(app: ModalHost) -> ZoomImage:
    return app.screen.query_one(ZoomImage)


async def decoded(pilot: Any, app: ModalHost, size: tuple[int, int]) -> ZoomImage:
    return await wait_until(pilot, lambda: viewer(app).source is not None and viewer(app).source.size == size and viewer(app),
                            what=f"the decoded {size} image")


async def test_zoom_pan_and_fit(batch: list[Path]) -> None:
    app = ModalHost()
    async with app.run_test(size=SIZE) as pilot:
        app.open(ImagePreviewScreen(batch, 0, image_mode="halfcell"))
        view = await decoded(pilot, app, (96, 64))
        assert view.box == (0, 0, 96, 64)
        caption = str(app.screen.query_one("#preview-path").render())
        assert caption == f"[1/2] {batch[0]}"
        assert str(batch[0])[:60] in screen_text(app), "the path is on screen (wrapped if long)"
        assert "▀" in screen_text(app), "halfcell draws the picture with half blocks"

        await pilot.press("plus", "plus")
        assert view.zoom == 2.0
        assert view.box == (24, 16, 72, 48)
        assert "zoom 2×" in screen_text(app)
        assert view.picture.image.size == (48, 32), "the widget is given the visible crop"

        await pilot.press("right", "right", "right")
        assert view.box == (48, 16, 96, 48), "panning stops at the image's edge"
        await pilot.press("up")
        assert view.box[1] < 16
        assert app.screen.index == 0, "arrows pan while zoomed instead of changing image"

        await pilot.press("minus")
        assert view.zoom == 1.5
        await pilot.press("0")
        assert view.zoom == 1.0 and view.box == (0, 0, 96, 64)
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]


async def test_next_and_previous_image_of_the_batch(batch: list[Path]) -> None:
    app = ModalHost()
    async with app.run_test(size=SIZE) as pilot:
        app.open(ImagePreviewScreen(batch, 0, image_mode="unicode"))
        await decoded(pilot, app, (96, 64))
        await pilot.press("n")
        await decoded(pilot, app, (32, 48))
        assert "[2/2]" in screen_text(app)
        await pilot.press("n")
        await decoded(pilot, app, (96, 64))
        await pilot.press("p")
        await decoded(pilot, app, (32, 48))
        await pilot.press("left")
        await decoded(pilot, app, (96, 64))
        await pilot.press("right")
        await decoded(pilot, app, (32, 48))
        assert app.screen.index == 1


async def test_images_off_shows_a_text_placeholder(batch: list[Path]) -> None:
    app = ModalHost()
    async with app.run_test(size=SIZE) as pilot:
        app.open(ImagePreviewScreen(batch, 1, image_mode="off"))
        view = await decoded(pilot, app, (32, 48))
        assert view.picture is None
        text = screen_text(app)
        assert "32×48 px · zoom 1×" in text and "images are off" in text
        await pilot.press("plus")
        assert "zoom 1.5×" in screen_text(app)


async def test_unreadable_image_is_reported_in_place(tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    app = ModalHost()
    async with app.run_test(size=SIZE) as pilot:
        app.open(ImagePreviewScreen([broken], image_mode="halfcell"))
        await wait_until(pilot, lambda: "cannot show" in screen_text(app), what="the error text")
        assert isinstance(app.screen, ImagePreviewScreen)


async def test_save_as_copies_the_file_atomically(batch: list[Path], tmp_path: Path) -> None:
    target = tmp_path / "saved" / "keeper.png"
    target.parent.mkdir()
    app = ModalHost()
    async with app.run_test(size=SIZE) as pilot:
        app.open(ImagePreviewScreen(batch, 1, image_mode="halfcell"))
        await decoded(pilot, app, (32, 48))
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPromptScreen), what="the path prompt")
        await pilot.press("ctrl+u")
        await paste(pilot, str(target))
        await pilot.press("enter")
        await wait_until(pilot, target.is_file, what="the copy")
        await app.workers.wait_for_complete()
        assert target.read_bytes() == batch[1].read_bytes()
        assert [p.name for p in target.parent.iterdir()] == ["keeper.png"]

        await pilot.press("p", "s")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPromptScreen), what="the path prompt")
        await pilot.press("ctrl+u")
        await paste(pilot, str(target))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the overwrite question")
        await pilot.press("escape")
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert target.read_bytes() == batch[1].read_bytes(), "declining the overwrite keeps the old file"


async def test_open_with_system_viewer_reports_failure(batch: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSH_CONNECTION", raising=False)
    monkeypatch.delenv("SSH_TTY", raising=False)
    monkeypatch.setattr(files, "system_opener", lambda: ["false"])
    app = ModalHost()
    async with app.run_test(size=SIZE) as pilot:
        app.open(ImagePreviewScreen(batch, 0, image_mode="halfcell"))
        await decoded(pilot, app, (96, 64))
        await pilot.press("o")
        await app.workers.wait_for_complete()
        await pilot.pause()
        errors = [n for n in app._notifications if n.severity == "error"]
        assert errors and "false failed (exit status 1)" in errors[-1].message

        monkeypatch.setattr(files, "system_opener", lambda: ["true"])
        await pilot.press("o")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert any("Opened sftui_00000_.png" in n.message for n in app._notifications)

        monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22")
        await pilot.press("o")
        await pilot.pause()
        assert any("Over SSH" in n.message for n in app._notifications)


async def test_copy_path(batch: list[Path]) -> None:
    app = ModalHost()
    async with app.run_test(size=SIZE) as pilot:
        app.open(ImagePreviewScreen(batch, 1, image_mode="halfcell"))
        await pilot.press("c")
        assert app.clipboard == str(batch[1])
