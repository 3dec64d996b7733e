"""Sessions by keys: create (ctrl+n), rename (F2), switch, delete with the generation count named (and, for a big one, its progress)."""

from __future__ import annotations

import pytest

from sftui.db import get_session_summary, list_sessions
from sftui.ui.screens.confirm import ConfirmScreen
from sftui.ui.screens.text_prompt import TextPromptScreen
from tests.ui.conftest import ready, wait_for


async def answer(pilot, text: str) -> None:
    """Type into the open text prompt and press enter."""
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, TextPromptScreen), what="the text prompt")
    await pilot.press("home", "ctrl+k", *text, "enter")


async def test_create_rename_switch_and_delete_sessions(offline_app, seeder) -> None:
    older = seeder.session("Older")
    for index in range(3):
        seeder.generation(older.id, f"old {index}", status="failed", error="x")
    app = offline_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await ready(pilot)
        assert screen.session_id == older.id  # the most recent session opens
        await wait_for(pilot, lambda: len(screen.timeline.row_cards) == 3, what="the older session's cards")

        await pilot.press("ctrl+n")
        await answer(pilot, "Portraits")
        await wait_for(pilot, lambda: screen.header.session_title == "Portraits", what="the new session open")
        assert screen.timeline.row_cards == []
        assert [s.title for s in screen.sidebar.sessions] == ["Portraits", "Older"]
        assert app.focused is not None

        await pilot.press("f2")
        await answer(pilot, "Portraits, [b]v2[/b]")
        await wait_for(pilot, lambda: screen.sidebar.sessions and screen.sidebar.sessions[0].title == "Portraits, [b]v2[/b]", what="the rename")
        assert screen.header.session_title == "Portraits, [b]v2[/b]"
        option = screen.sidebar.get_option(screen.session_id)
        assert "Portraits, [b]v2[/b]" in option.prompt.plain  # markup in a title stays literal

        # Switch with the sidebar: the older session and its cards come back.
        screen.sidebar.focus()
        await pilot.press("down", "enter")  # the open session is highlighted; the next one is older
        await wait_for(pilot, lambda: screen.session_id == older.id and len(screen.timeline.row_cards) == 3, what="the older session")

        assert app.focused is screen.prompt_area.prompt  # picking a session returns to the prompt

        # Delete it from the sidebar: the confirmation names its 3 generations.
        screen.sidebar.focus()
        await pilot.press("delete")
        dialog = await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen) and app.screen, what="the confirmation")
        assert "3 generations" in dialog.message_text
        await pilot.press("y")
        await wait_for(pilot, lambda: [s.title for s in screen.sidebar.sessions] == ["Portraits, [b]v2[/b]"], what="the deletion")
        await wait_for(pilot, lambda: screen.session_id == screen.sidebar.sessions[0].id, what="the remaining session open")
        assert [s.title for s in list_sessions()] == ["Portraits, [b]v2[/b]"]
        assert not (seeder.db_path.parent / "outputs" / older.id).exists()


async def test_new_session_without_title_and_cancelled_dialogs_change_nothing(offline_app, seeder) -> None:
    seeder.session("Only")
    app = offline_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await ready(pilot)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, TextPromptScreen), what="the text prompt")
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert len(list_sessions()) == 1

        screen.sidebar.focus()
        await pilot.press("down", "delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirmation")
        await pilot.press("n")
        await pilot.pause(0.1)
        assert len(list_sessions()) == 1

        await pilot.press("ctrl+n")
        await answer(pilot, "")
        await wait_for(pilot, lambda: len(screen.sidebar.sessions) == 2, what="an untitled session")
        assert screen.sidebar.sessions[0].title.startswith("Session ")  # a dated default title


@pytest.mark.parametrize("width", [80, 120])
async def test_sidebar_collapses_below_100_columns_and_ctrl_b_toggles_it(offline_app, seeder, width) -> None:
    seeder.session("One")
    app = offline_app()
    async with app.run_test(size=(width, 30)) as pilot:
        screen = await ready(pilot)
        wide = width >= 100
        assert screen.sidebar.display is wide
        assert screen.panel.display is wide
        await pilot.press("ctrl+b")
        assert screen.sidebar.display is not wide
        await pilot.press("ctrl+e")
        assert screen.panel.display is not wide
        await pilot.press("escape")
        if not wide:  # esc closes what the narrow layout opened, and returns to the prompt
            assert screen.panel.display is False
        assert app.focused is screen.prompt_area.prompt


async def test_each_session_keeps_its_own_draft_when_switching(offline_app, seeder) -> None:
    first = seeder.session("First")
    second = seeder.session("Second")  # the most recent: it opens first
    app = offline_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await ready(pilot)
        assert screen.session_id == second.id
        await pilot.press(*"cat")
        screen.open_session(first.id)
        await wait_for(pilot, lambda: screen.header.session_title == "First", what="the first session")
        assert screen.prompt_area.prompt_text == ""
        await pilot.press(*"dog")
        screen.sidebar.focus()
        await pilot.press("up", "enter")  # back to the second session, from the list
        await wait_for(pilot, lambda: screen.prompt_area.prompt_text == "cat", what="the second session's draft")
        assert get_session_summary(first.id).draft["prompt"] == "dog"


async def test_a_failing_worker_becomes_a_notification_not_a_crash(offline_app, seeder) -> None:
    from sftui.errors import NotFoundError

    seeder.session("Gone soon")
    app = offline_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(pilot)

        def vanished(session_id: str, title: str) -> None:
            raise NotFoundError(f"session {session_id!r} not found")

        app.backend.rename_session = vanished
        await pilot.press("f2")
        await answer(pilot, "New name")
        await wait_for(pilot, lambda: any(n.severity == "error" and "not found" in str(n.message) for n in app._notifications), what="the error notification")
        assert app.is_running


async def test_deleting_a_big_session_says_so_moves_on_when_its_rows_are_gone_and_counts_its_files(offline_app, seeder, monkeypatch) -> None:
    from sftui.ui.widgets import session_sidebar
    from sftui.ui.widgets.session_sidebar import SessionSidebar

    monkeypatch.setattr(session_sidebar, "MANY_TO_DELETE", 3)  # "big", without seeding a thousand rows
    kept = seeder.session("Kept")
    seeder.tick()
    big = seeder.session("Big")
    for index in range(4):
        seeder.generation(big.id, f"big {index}")
    messages: list = []
    app = offline_app()
    async with app.run_test(size=(120, 36), message_hook=messages.append) as pilot:
        screen = await ready(pilot)
        assert screen.session_id == big.id
        notices = []
        monkeypatch.setattr(app, "notify", lambda message, **kw: notices.append(message))
        screen.sidebar.delete_session()
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirmation")
        await pilot.press("y")
        await wait_for(pilot, lambda: any("Session deleted with 4 generation(s)." in n for n in notices), what="the end of the deletion")
        await wait_for(pilot, lambda: screen.session_id == kept.id and [s.id for s in screen.sidebar.sessions] == [kept.id], what="the kept session")
        assert notices[0] == "Deleting “Big” and its 4 generations…"
        ours = [m for m in messages if isinstance(m, (SessionSidebar.RowsGone, SessionSidebar.FilesGoing))]
        assert isinstance(ours[0], SessionSidebar.RowsGone) and (ours[0].session_id, ours[0].next_id) == (big.id, kept.id)
        going = [(m.done, m.total) for m in ours[1:]]
        assert going == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4), (None, None)]  # one folder per generation
        assert screen.sidebar.border_subtitle == ""
        assert not (seeder.db_path.parent / "outputs" / big.id).exists()
        screen.sidebar.post_message(SessionSidebar.FilesGoing(1, 4))  # what a slow disk shows meanwhile
        await wait_for(pilot, lambda: screen.sidebar.border_subtitle == "removing files 25%", what="the files' progress")
