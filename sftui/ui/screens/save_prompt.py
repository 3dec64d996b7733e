"""The shared "save to a file" conversation: ask a path, confirm an overwrite, then hand it back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from textual.message import Message
from textual.screen import Screen

from sftui.errors import SftuiError
from sftui.ui.files import resolve_target
from sftui.ui.screens.confirm import ConfirmScreen
from sftui.ui.screens.text_prompt import TextPromptScreen
from sftui.ui.text import inert


@dataclass
class SaveFinished(Message):
    """Posted by a save worker: ``error`` is None on success."""

    path: Path
    error: str | None = None


def report_save(screen: Screen, message: SaveFinished) -> None:
    if message.error:
        screen.notify(inert(message.error, single_line=True), severity="error", markup=False)
    else:
        screen.notify(inert(f"Saved {message.path}", single_line=True), title="Saved", markup=False)


def ask_save_target(screen: Screen, *, title: str, suggested: Path, on_target: Callable[[Path, bool], None]) -> None:
    """Ask where to save; call ``on_target(path, overwrite)`` unless the user backs out.

    An existing file is replaced only after a confirmation naming it.
    """

    def confirmed(path: Path) -> Callable[[bool | None], None]:
        def done(ok: bool | None) -> None:
            if ok:
                on_target(path, True)

        return done

    def chosen(text: str | None) -> None:
        if text is None:
            return
        try:
            path = resolve_target(text)
        except SftuiError as exc:
            screen.notify(inert(exc.message, single_line=True), severity="error", markup=False)
            return
        if path.is_file():
            dialog = ConfirmScreen("Overwrite file?", f"{path} already exists. Replace it?", confirm_label="Overwrite")
            screen.app.push_screen(dialog, confirmed(path))
        else:
            on_target(path, False)

    screen.app.push_screen(TextPromptScreen(title, "Save to file:", initial=str(suggested), allow_empty=False), chosen)
