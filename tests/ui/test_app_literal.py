"""Prompt text and server text render literally: no markup applied, no escape sequence reaches the terminal."""

from __future__ import annotations

from tests.ui.conftest import ready, screen_text, wait_for, wait_for_status

PROMPT = "[bold]x[/bold] \x1b]52;c;ZXZpbA==\x07 [@click=app.quit]q[/]"
SHOWN = "[bold]x[/bold] \\x1b]52;c;ZXZpbA==\\x07 [@click=app.quit]q[/]"


async def test_typed_prompt_with_markup_and_escapes_shows_literally(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await pilot.press(*"[bold]")
        screen.prompt_area.prompt.insert(PROMPT[6:])  # the rest as a paste puts it there
        screen.prompt_area.negative.insert("[red]no[/red]")
        await wait_for(pilot, lambda: "\x1b" not in screen.prompt_area.prompt.text, what="the control characters made visible")
        assert screen.prompt_area.prompt.text == SHOWN  # the box never draws a raw ESC
        await pilot.press("ctrl+j")
        [card] = await wait_for_status(pilot, screen, ["completed"])
        assert card.generation.prompt_text == SHOWN
        head = await wait_for(pilot, lambda: card.query_one(".card-head").render().plain, what="the card text")
        assert SHOWN in head
        assert "− [red]no[/red]" in head
        text = screen_text(app)
        assert "\x1b" not in text and "\x07" not in text
        assert "[bold]x[/bold]" in text
        await pilot.click(".card-head")
        assert app.is_running  # a [@click] in a prompt is not an action


async def test_stored_prompt_server_error_and_session_title_show_literally(offline_app, seeder) -> None:
    session = seeder.session("[b]title[/b]\x1b[2J")
    # A prompt stored by another client (the CLI takes any text) and an error from the server.
    seeder.generation(session.id, PROMPT, status="failed", error="[@click=app.quit]boom[/] \x1b]0;pwned\x07")
    app = offline_app()
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await ready(pilot)
        card = await wait_for(pilot, lambda: screen.timeline.row_cards and screen.timeline.row_cards[0], what="the failed card")
        assert "[@click=app.quit]boom[/] \\x1b]0;pwned\\x07" in card.query_one(".card-summary").render().plain
        assert SHOWN in card.query_one(".card-head").render().plain
        text = screen_text(app)
        assert "[b]title[/b]\\x1b[2J" in text  # sidebar and header show the title as it is
        assert "\x1b" not in text
