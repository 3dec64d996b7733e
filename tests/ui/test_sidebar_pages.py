"""The session list holds pages of the most recent sessions; scrolling reads more; the palette finds the rest."""

from __future__ import annotations

from textual.command import CommandPalette

from sftui.ui.widgets.session_sidebar import PAGE, SessionSidebar
from tests.ui.conftest import ready, wait_for

SESSIONS = 2 * PAGE + 30


def seed_sessions(seeder) -> list:
    made = []
    for index in range(SESSIONS):
        seeder.tick()
        made.append(seeder.session(f"Session {index:03d}"))
    return made[::-1]  # most recent first, as the list shows them


def loaded_ids(sidebar: SessionSidebar) -> list[str]:
    return [session.id for session in sidebar.sessions]


async def test_the_list_reads_a_page_at_a_time_as_the_cursor_nears_its_end(offline_app, seeder) -> None:
    newest_first = seed_sessions(seeder)
    app = offline_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await ready(pilot)
        sidebar = screen.sidebar
        await wait_for(pilot, lambda: sidebar.sessions, what="the first page")
        assert loaded_ids(sidebar) == [s.id for s in newest_first[:PAGE]]
        assert sidebar.option_count == PAGE + 1  # and "+ New session"
        assert sidebar.border_subtitle == f"{PAGE} of {SESSIONS}"

        sidebar.focus()
        await pilot.press("end")
        await wait_for(pilot, lambda: len(sidebar.sessions) == 2 * PAGE, what="the second page")
        await pilot.press("end")
        await wait_for(pilot, lambda: len(sidebar.sessions) == SESSIONS, what="the last page")
        assert loaded_ids(sidebar) == [s.id for s in newest_first]  # in order, none twice
        assert [option.id for option in sidebar.options[1:]] == loaded_ids(sidebar)
        assert sidebar.border_subtitle == ""
        await pilot.press("end")
        await pilot.pause(0.1)
        assert len(sidebar.sessions) == SESSIONS  # nothing left to read

        # Read again (as after a generation), the list keeps what the user scrolled through.
        seeder.tick()
        from sftui.db import update_session

        update_session(newest_first[-1].id, title="Oldest, renamed")
        sidebar.reload()
        await wait_for(pilot, lambda: sidebar.session(newest_first[-1].id).title == "Oldest, renamed", what="the reload")
        assert len(sidebar.sessions) == SESSIONS


async def test_scrolling_with_the_mouse_wheel_reads_the_next_page(offline_app, seeder) -> None:
    seed_sessions(seeder)
    app = offline_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await ready(pilot)
        sidebar = screen.sidebar
        await wait_for(pilot, lambda: sidebar.sessions, what="the first page")
        sidebar.scroll_end(animate=False, immediate=True)
        await wait_for(pilot, lambda: len(sidebar.sessions) == 2 * PAGE, what="the next page")
        assert sidebar.highlighted in (None, 0) or sidebar.highlighted < PAGE  # scrolling does not move the cursor


async def test_the_palette_opens_a_session_beyond_the_loaded_pages(offline_app, seeder) -> None:
    newest_first = seed_sessions(seeder)
    oldest = newest_first[-1]
    app = offline_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await ready(pilot)
        sidebar = screen.sidebar
        await wait_for(pilot, lambda: sidebar.sessions, what="the first page")
        assert oldest.id not in loaded_ids(sidebar)

        await pilot.press("ctrl+p")
        palette = await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette) and app.screen, what="the palette")
        await pilot.press(*"session 000")
        await wait_for(pilot, lambda: "Open session: Session 000" in str(palette.query_one("CommandList").get_option_at_index(0).prompt),
                       what="the hit for the oldest session")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.session_id == oldest.id and screen.header.session_title == "Session 000",
                       what="the oldest session to open")
        # Known to the sidebar although not loaded: rename and delete name it.
        assert sidebar.session(oldest.id).title == "Session 000"
        assert oldest.id not in loaded_ids(sidebar)
