"""Textual's ``Footer``, recomposed only when the keys it shows change.

The stock footer rebuilds all its key widgets on every "bindings updated" signal.
Opening a session sends several of them (focus moves, cards mount, actions are
re-checked) while the keys shown stay the same, and each rebuild restyles a dozen
widgets and reflows the whole screen: measured at ~7 rebuilds per session switch.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer


class SteadyFooter(Footer):
    """A ``Footer`` that skips a rebuild when the shown keys, labels and states are unchanged."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple[Any, ...] | None = None

    def shown_keys(self) -> tuple[Any, ...]:
        """What ``Footer.compose`` would show, as a comparable value."""
        app = self.app
        keys = tuple(
            (binding.key, app.get_key_display(binding), binding.action, binding.description, enabled, tooltip,
             None if binding.group is None else (binding.group.description, binding.group.compact))
            for (_node, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show
        )
        return keys, self.show_command_palette, self.compact, app.ENABLE_COMMAND_PALETTE

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        # Checked when the rebuild would run: of several signals in a row only the first one rebuilds.
        if not self.is_attached:
            return
        shown = self.shown_keys()
        if shown != self._shown:
            self._shown = shown
            await self.recompose()
