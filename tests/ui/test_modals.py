"""Confirm, text prompt, JSON viewer and help screens, driven with real keys in a host app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import Button, Input

from sftui.ui.screens.confirm import ConfirmScreen
from sftui.ui.screens.help import HelpScreen
from sftui.ui.screens.json_viewer import JsonViewerScreen
from sftui.ui.screens.text_prompt import TextPromptScreen
from tests.ui.modal_host import NO_RESULT, ModalHost, paste, screen_text, wait_until

SIZE = (80, 24)


# -- confirm -------------------------------------------------------------------------------
@pytest.mark.parametrize(("keys", "expected"), [(["y"], True), (["n"], False), (["escape"], False), (["enter"], False), (["right", "enter"], True)])
async def test_confirm_keys(keys: list[str], expected: bool) -> None:
    app = ModalHost()
    async with app.run_test(size=SIZE) as pilot:
        app.open(ConfirmScreen("Delete session", "Delete “cats” and its 3 generations?"))
        await pilot.pause()
        # Destructive: the focus starts on Cancel, so a stray enter deletes nothing.
        assert app.screen.focused.id == "cancel"
        await pilot.press(*keys)
        await pilot.pause()
        assert app.result is expected
        assert not isinstance(app.screen, ConfirmScreen)


async def test_confirm_non_destructive_focuses_the_action_and_shows_text_literally() -> None:
    app = ModalHost()
    async with app.run_test(size=SIZE) as pilot:
        app.open(ConfirmScreen("Overwrite?", "Replace [bold]x[/] \x1b[2J?", confirm_label="Overwrite", destructive=False))
        await pilot.pause()
        assert isinstance(app.screen.focused, Button) and app.screen.focused.id == "confirm"
        text = screen_text(app)
        assert "Replace [bold]x[/] \\x1b[2J?" in text
        assert "Overwrite" in text
        await pilot.press("enter")
        await pilot.pause()
        assert app.result is True


# -- text prompt ------------------------------------------------------------------------------
async def test_text_prompt_returns_typed_text() -> None:
    app = ModalHost()
    async with app.run_test(size=SIZE) as pilot:
        app.open(TextPromptScreen("New session", "Title (optional)", placeholder="leave empty for a dated title"))
        await pilot.pause()
        await pilot.press(*"Cats at dusk", "enter")
        await pilot.pause()
        assert app.result == "Cats at dusk"


async def test_text_prompt_empty_is_accepted_only_when_initial_is_empty() -> None:
    app = ModalHost()
    async with app.run_test(size=SIZE) as pilot:
        app.open(TextPromptScreen("New session", "Title (optional)"))
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.result == ""

        app.open(TextPromptScreen("Rename session", "Title", initial="old title"))
        await pilot.pause()
        assert app.screen.query_one(Input).value == "old title"
        await pilot.press("ctrl+u", "enter")
        await pilot.pause()
        assert isinstance(app.screen, TextPromptScreen), "an empty rename must be refused"
        assert "Title cannot be empty" in screen_text(app)
        await pilot.press(*"new", "enter")
        await pilot.pause()
        assert app.result == "new"


async def test_text_prompt_escape_returns_none() -> None:
    app = ModalHost()
    async with app.run_test(size=SIZE) as pilot:
        app.open(TextPromptScreen("Rename session", "Title", initial="keep"))
        await pilot.pause()
        await pilot.press("x", "escape")
        await pilot.pause()
        assert app.results == [None]


# -- JSON viewer -------------------------------------------------------------------------------
WORKFLOW = {"3": {"class_type": "KSampler", "inputs": {"seed": 42, "steps": 20, "cfg": 7.5, "sampler_name": "euler"}}}
WORKFLOW_TEXT = json.dumps(WORKFLOW, indent=2)


async def test_json_viewer_copies_everything_to_the_clipboard() -> None:
    app = ModalHost()
    async with app.run_test(size=SIZE) as pilot:
        app.open(JsonViewerScreen("Generation JSON", WORKFLOW_TEXT))
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert app.clipboard == WORKFLOW_TEXT
        app.copy_to_clipboard("")
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.clipboard == WORKFLOW_TEXT
        assert any("Copied the JSON" in n.message for n in app._notifications)
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]


async def _save_via_keys(pilot, app: ModalHost, target: Path) -> None:
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: isinstance(app.screen, TextPromptScreen), what="the path prompt")
    await pilot.press("ctrl+u")
    await paste(pilot, str(target))
    await pilot.press("enter")
    await pilot.pause()


async def test_json_viewer_saves_to_a_file_and_asks_before_overwriting(tmp_path: Path) -> None:
    target = tmp_path / "out" / "generation.json"
    target.parent.mkdir()
    app = ModalHost()
    async with app.run_test(size=SIZE) as pilot:
        app.open(JsonViewerScreen("Generation JSON", WORKFLOW_TEXT, suggested_filename="generation.json"))
        await pilot.pause()
        await _save_via_keys(pilot, app, target)
        await wait_until(pilot, target.is_file, what="the saved file")
        assert target.read_text(encoding="utf-8") == WORKFLOW_TEXT
        assert [p.name for p in target.parent.iterdir()] == ["generation.json"], "no temp file may be left behind"

        target.write_text("keep me", encoding="utf-8")
        await _save_via_keys(pilot, app, target)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the overwrite question")
        assert str(target) in app.screen.message_text
        await pilot.press("n")
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert target.read_text(encoding="utf-8") == "keep me"
        assert isinstance(app.screen, JsonViewerScreen)

        await _save_via_keys(pilot, app, target)
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the overwrite question")
        await pilot.press("y")
        await wait_until(pilot, lambda: target.read_text(encoding="utf-8") == WORKFLOW_TEXT, what="the overwrite")
        assert app.result is NO_RESULT, "saving must not close the viewer"


async def test_json_viewer_edit_is_validated_before_it_is_applied() -> None:
    def validate(text: str) -> str | None:
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            return f"invalid JSON at line {exc.lineno}: {exc.msg}"
        return None

    app = ModalHost()
    async with app.run_test(size=SIZE) as pilot:
        app.open(JsonViewerScreen("Edit workflow", WORKFLOW_TEXT, editable=True, validate=validate))
        await pilot.pause()
        await pilot.press("x")  # the cursor starts before the opening brace
        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, JsonViewerScreen), "a refused edit keeps the editor open"
        assert "invalid JSON at line 1" in screen_text(app)
        assert app.result is NO_RESULT

        await pilot.press("backspace", "f10")
        await pilot.pause()
        assert app.result == WORKFLOW_TEXT


async def test_read_only_viewer_has_no_apply() -> None:
    app = ModalHost()
    async with app.run_test(size=SIZE) as pilot:
        app.open(JsonViewerScreen("Generation JSON", WORKFLOW_TEXT))
        await pilot.pause()
        await pilot.press("x", "f10")
        await pilot.pause()
        assert isinstance(app.screen, JsonViewerScreen)
        assert app.screen.current_text == WORKFLOW_TEXT
        assert "Apply" not in screen_text(app)


# -- help ----------------------------------------------------------------------------------------
async def test_help_lists_the_bindings_below_it_and_searches() -> None:
    app = ModalHost()
    async with app.run_test(size=(100, 30)) as pilot:
        app.open(JsonViewerScreen("Generation JSON", WORKFLOW_TEXT))
        await pilot.pause()
        # Over a modal the app's f1 does not reach (modals stop the binding chain): open it directly.
        app.push_screen(HelpScreen("JSON"))
        await pilot.pause()
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        described = {(e.group, e.description) for e in help_screen.entries}
        assert {("JSON", "Copy"), ("JSON", "Save to file"), ("JSON", "Close")} <= described
        text = screen_text(app)
        assert "Save to file" in text and "^s" in text

        await pilot.press(*"clipboard")
        await pilot.pause()
        text = screen_text(app)
        assert "Copy" in text and "Save to file" not in text

        await pilot.press("ctrl+u", *"zzzz")
        await pilot.pause()
        assert "No key matches 'zzzz'" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, JsonViewerScreen)


async def test_help_from_the_main_screen_includes_global_keys_with_tooltips() -> None:
    app = ModalHost()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        entries = {e.description: e for e in app.screen.entries}
        assert entries["New session"].keys == "^n" and entries["New session"].group == "Host"
        assert entries["New session"].tooltip == "Start a new session"
        assert "Focused: Host" in screen_text(app)
