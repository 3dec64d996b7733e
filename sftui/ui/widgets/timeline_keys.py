"""The history's keys: j/k and up/down between cards, home/end to the oldest/newest.

A mixin of ``GenerationTimeline`` (kept apart for size): moving past the first or
last shown card shifts the window (reading a page when the loaded rows end), so
keys reach every generation of the session; home and end read one page each.
"""

from __future__ import annotations

import asyncio
from typing import Any

#: Rows read per page, and the most cards mounted at once (the window).
PAGE = 20
MAX_CARDS = 40


class TimelineKeys:
    """Key actions over the window of ``GenerationTimeline``, which provides the state
    (``_lock``, ``_items``, ``_lo``/``_hi``, ``_cursor``/``_newer``, ``cards``) and the shifting methods
    (``_end_shift`` among them)."""

    async def _wait_settled(self) -> None:
        """Let a shift started by scrolling finish, so keys see the cards it placed."""
        try:
            await asyncio.wait_for(self._settled.wait(), 2.0)
        except (TimeoutError, asyncio.TimeoutError):
            self._end_shift()

    def _focus(self, card: Any) -> None:
        """Focus ``card`` and bring it into view at once: key repeat must not queue behind scroll animations."""
        card.focus(scroll_visible=False)
        self.call_after_refresh(self._show_focused, card)

    def _show_focused(self, card: Any) -> None:
        if self.screen.focused is card and card.display and card.parent is self:
            self.scroll_to_widget(card, animate=False, immediate=True)

    def _focused_index(self) -> int | None:
        cards = self.cards
        focused = self.screen.focused
        return cards.index(focused) if focused in cards else None

    def _focus_card(self, index: int) -> None:
        cards = self.cards
        if cards:
            self._focus(cards[max(0, min(index, len(cards) - 1))])

    def _move_focus(self, delta: int) -> None:
        """Focus the card ``delta`` away from the focused one, if there is one there."""
        index = self._focused_index()
        cards = self.cards
        if index is not None and 0 <= index + delta < len(cards):
            self._focus(cards[index + delta])

    async def _by_key(self, change: Any) -> None:
        async with self._lock:
            await self._wait_settled()
            await change()

    async def action_next_card(self) -> None:
        await self._by_key(lambda: self._step(+1))

    async def action_previous_card(self) -> None:
        await self._by_key(lambda: self._step(-1))

    async def action_oldest(self) -> None:
        await self._by_key(self._oldest)

    async def action_newest(self) -> None:
        await self._by_key(self._newest)

    async def _step(self, delta: int) -> None:
        """Focus the next (+1) or previous (-1) card, showing more rows at the window's edge."""
        cards = self.cards
        index = self._focused_index()
        if index is None:
            self._focus_card(len(cards) - 1)
            return
        if 0 <= index + delta < len(cards):
            self._focus(cards[index + delta])
            return
        if delta > 0 and self._hi < len(self._items):
            await self._extend_bottom()
        elif delta < 0 and self._lo > 0:
            await self._extend_top()
        else:
            # The loaded rows end here: read the next page; the focus moves once it is shown.
            more = self._newer if delta > 0 else self._cursor
            if more is not None and not self._loading:
                self._step_pending = delta
                self._read("newer" if delta > 0 else "older", more)
            return
        focused = cards[index]
        current = self.cards
        if focused in current and 0 <= current.index(focused) + delta < len(current):
            self._focus(current[current.index(focused) + delta])

    async def _oldest(self) -> None:
        if self.session_id is None:
            return
        if self._cursor is not None:
            # Older rows than the loaded ones exist: read the session's first page (one query).
            self._forget()
            self._read("oldest", None, focus=True)
            return
        if self._lo > 0:
            await self._remount(0, min(len(self._items), MAX_CARDS))
        self.anchor(False)
        self.scroll_home(animate=False, immediate=True)
        self._focus_card(0)

    async def _newest(self) -> None:
        if self.session_id is None:
            return
        if self._newer is not None:
            # Newer rows than the loaded ones exist: read the newest page (one query).
            self._forget()
            self._read("newest", None, focus=True)
            return
        if self._hi < len(self._items):
            await self._remount(max(0, len(self._items) - PAGE), len(self._items))
        self.anchor()
        self._focus_card(len(self.row_cards) - 1)
