"""ctrl+p lists every action (sessions, workflows, generations); F1 shows the keys of what has focus."""

from __future__ import annotations

from textual.command import CommandPalette

from sftui.ui.commands import SftuiCommands
from sftui.ui.screens.help import HelpScreen
from sftui.ui.screens.text_prompt import TextPromptScreen
from tests.ui.conftest import ready, wait_for


async def discovered(screen) -> list[str]:
    provider = SftuiCommands(screen)
    return [str(hit.text) for hit in [hit async for hit in provider.discover()]]


async def test_palette_lists_every_action_and_runs_one(offline_app, seeder) -> None:
    session = seeder.session("Trip")
    seeder.generation(session.id, "card", status="failed", error="x")
    app = offline_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await ready(pilot)
        names = await discovered(screen)
        for action in ("Generate", "Cancel generation", "New session", "Rename session", "Delete session", "Import workflow",
                       "Edit workflow JSON", "Set default workflow", "Delete workflow", "Toggle parameters", "Toggle sessions",
                       "Random seed", "Jump to newest", "Jump to oldest", "Open session: Trip"):
            assert action in names, action
        assert "Copy seed" not in names  # generation actions appear when a card has focus

        card = await wait_for(pilot, lambda: screen.timeline.row_cards and screen.timeline.row_cards[0], what="the card")
        card.focus()
        await pilot.pause()
        names = await discovered(screen)
        assert {"Reuse settings", "Copy seed", "View JSON", "Open image"} <= set(names)

        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
        await pilot.press(*"rename session")
        await pilot.pause(0.3)
        await pilot.press("enter")
        dialog = await wait_for(pilot, lambda: isinstance(app.screen, TextPromptScreen) and app.screen, what="the rename dialog")
        assert dialog.title_text == "Rename session"
        assert dialog.initial == "Trip"


async def test_f1_shows_the_keys_of_the_focused_card_and_the_global_ones(offline_app, seeder) -> None:
    session = seeder.session("Keys")
    seeder.generation(session.id, "card", status="failed", error="x")
    app = offline_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await ready(pilot)
        card = await wait_for(pilot, lambda: screen.timeline.row_cards and screen.timeline.row_cards[0], what="the card")
        await pilot.click("#prompt")
        await pilot.press("shift+tab")
        assert app.focused is card
        await pilot.press("f1")
        help_screen = await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen) and app.screen, what="the help")
        assert help_screen.context == "Generation"
        groups = {(entry.group, entry.description) for entry in help_screen.entries}
        for expected in [("Generation", "Reuse"), ("Generation", "Copy seed"), ("History", "Next"), ("Main", "Generate"), ("Global", "Quit")]:
            assert expected in groups, expected
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen and app.focused is card, what="back on the card")
        await pilot.press("escape")
        assert app.focused is screen.prompt_area.prompt  # esc: closer to home


def test_every_binding_has_an_id_a_description_and_a_tooltip() -> None:
    from sftui.ui.app import SftuiApp
    from sftui.ui.screens.connect import ConnectScreen
    from sftui.ui.screens.main import MainScreen
    from sftui.ui.widgets.generation_card import GenerationCard
    from sftui.ui.widgets.generation_timeline import GenerationTimeline
    from sftui.ui.widgets.session_sidebar import SessionSidebar

    ids = []
    for owner in (SftuiApp, MainScreen, ConnectScreen, GenerationCard, GenerationTimeline, SessionSidebar):
        for binding in owner.BINDINGS:
            assert binding.id and binding.description and binding.tooltip, (owner.__name__, binding)
            ids.append(binding.id)
        assert owner.BINDING_GROUP_TITLE
    assert len(ids) == len(set(ids))
