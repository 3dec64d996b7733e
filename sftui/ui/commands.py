"""The command palette's sftui commands: every action, plus "open session …" and "use workflow …".

The sidebar holds only the most recently active sessions; a search also asks the
database, so any session can be opened by its title.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from sftui.errors import SftuiError
from sftui.ui.text import inert

log = logging.getLogger(__name__)

#: Sessions beyond the loaded pages that one search may offer.
SEARCHED_SESSIONS = 50


@dataclass(frozen=True)
class PaletteCommand:
    name: str
    help: str
    run: Callable[[], Any]


def main_screen_commands(screen: Any) -> list[PaletteCommand]:
    """The commands of the main screen, in the order the palette lists them."""
    timeline = screen.timeline
    focused = screen.focused
    commands = [
        PaletteCommand("Generate", "Queue the prompt with the current parameters (ctrl+j)", screen.action_generate),
        PaletteCommand("Cancel generation", "Cancel the focused or running generation (ctrl+x)", screen.action_cancel),
        PaletteCommand("New session", "Start a new session, optionally titled (ctrl+n)", screen.action_new_session),
        PaletteCommand("Rename session", "Rename the open session (F2)", screen.action_rename_session),
        PaletteCommand("Delete session", "Delete the open session and its generations", screen.sidebar.delete_session),
        PaletteCommand("Import workflow", "Import pasted JSON, a file or a PNG (ctrl+o)", screen.action_import_workflow),
        PaletteCommand("Edit workflow JSON", "View and edit the selected workflow's API JSON", screen.workflow_bar.edit_json),
        PaletteCommand("Set default workflow", "Make the selected workflow the default", screen.workflow_bar.set_default),
        PaletteCommand("Delete workflow", "Delete the selected workflow", screen.workflow_bar.delete_workflow),
        PaletteCommand("Toggle parameters", "Show or hide the parameter panel (ctrl+e)", screen.action_toggle_parameters),
        PaletteCommand("Toggle sessions", "Show or hide the session list (ctrl+b)", screen.action_toggle_sidebar),
        PaletteCommand("Random seed", "Put a new random seed in the seed field", screen.panel.randomize_seed),
        PaletteCommand("Jump to newest", "Show the latest generation (end)", timeline.action_newest),
        PaletteCommand("Jump to oldest", "Show the first generation of the session (home)", timeline.action_oldest),
    ]
    card = focused if hasattr(focused, "generation") and hasattr(focused, "action_reuse") else None
    if card is not None:
        commands += [
            PaletteCommand("Reuse settings", "Load the focused generation's settings (r)", card.action_reuse),
            PaletteCommand("Copy seed", "Copy the focused generation's seed (s)", card.action_copy_seed),
            PaletteCommand("View JSON", "Show the focused generation's API prompt (v)", card.action_view_json),
            PaletteCommand("Open image", "Open the focused generation's image (enter)", card.action_open_image),
        ]
    commands += [open_session_command(screen, session) for session in screen.sidebar.sessions]
    for workflow in screen.workflow_bar.workflows:
        name = inert(workflow.name, single_line=True)
        commands.append(PaletteCommand(f"Use workflow: {name}", "Select this workflow for new generations", partial(screen.workflow_bar.select_workflow, workflow.id, by_user=True)))
    return commands


def open_session_command(screen: Any, session: Any) -> PaletteCommand:
    title = inert(session.title, single_line=True)
    return PaletteCommand(f"Open session: {title}", "Switch to this session", partial(screen.open_session, session.id))


class SftuiCommands(Provider):
    """Session, workflow and generation actions of the screen the palette was opened on."""

    def _commands(self) -> list[PaletteCommand]:
        from sftui.ui.screens.main import MainScreen

        screen = self.screen
        return main_screen_commands(screen) if isinstance(screen, MainScreen) else []

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(Content(command.name), command.run, text=command.name, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in [*self._commands(), *await self._sessions_beyond_the_sidebar(query)]:
            score = matcher.match(command.name)
            if score > 0:
                yield Hit(score, matcher.highlight(command.name), command.run, text=command.name, help=command.help)

    async def _sessions_beyond_the_sidebar(self, query: str) -> list[PaletteCommand]:
        from sftui.ui.backend import backend_of
        from sftui.ui.screens.main import MainScreen

        screen = self.screen
        if not isinstance(screen, MainScreen) or not query.strip():
            return []
        loaded = {session.id for session in screen.sidebar.sessions}
        if len(loaded) >= screen.sidebar.total:
            return []  # every session is in the sidebar already
        try:
            found = await asyncio.to_thread(backend_of(screen).search_sessions, query, limit=SEARCHED_SESSIONS)
        except SftuiError as exc:
            log.warning("searching sessions for the palette failed: %s", exc.message)
            return []
        return [open_session_command(screen, session) for session in found if session.id not in loaded]
