"""Textual's ``Footer``, recomposed only when the keys it shows change, a moment later.

The stock footer rebuilds all its key widgets on every "bindings updated" signal.
Opening a session sends several of them (focus moves, cards mount, actions are
re-checked) while the keys shown stay the same, and each rebuild restyles a dozen
widgets and reflows the whole screen: measured at ~7 rebuilds per session switch,
~50 ms each. This footer waits ``SETTLE`` seconds after the first signal, so a burst
costs one check, and rebuilds only if the keys differ; the frame that shows what the
user asked for (a session, a card) is not held up by the hint line.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer


#: Seconds between the first "bindings updated" signal of a burst and the check.
SETTLE = 0.12


class SteadyFooter(Footer):
    """A ``Footer`` that skips a rebuild when the shown keys, labels and states are unchanged."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple[Any, ...] | None = None
        self._check_pending = False

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
        if self.is_attached and screen is self.screen and not self._check_pending:
            self._check_pending = True
            # The first keys ever shown come at once; later changes wait for the burst to end.
            if self._shown is None:
                self.call_after_refresh(self._recompose_if_changed)
            else:
                self.set_timer(SETTLE, self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        self._check_pending = False
        if not self.is_attached:
            return
        shown = self.shown_keys()
        if shown != self._shown:
            self._shown = shown
            await self.recompose()
