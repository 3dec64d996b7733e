"""The history's keys: j/k and up/down between cards, home/end to the oldest/newest.

A mixin of ``GenerationTimeline`` (kept apart for size): moving past the first or
last mounted card shifts the window, so keys reach every generation of the session.
"""

from __future__ import annotations

import asyncio
from typing import Any

#: Rows read per page, and the most cards mounted at once (the window).
PAGE = 20
MAX_CARDS = 40


class TimelineKeys:
    """Key actions over the window of ``GenerationTimeline``, which provides the state
    (``_lock``, ``_items``, ``_lo``/``_hi``, ``cards``) and the shifting methods."""

    async def _wait_settled(self) -> None:
        """Let a shift started by scrolling finish, so keys see the cards it mounted."""
        try:
            await asyncio.wait_for(self._settled.wait(), 2.0)
        except (TimeoutError, asyncio.TimeoutError):
            self._shifting = False
            self._settled.set()

    def _focused_index(self) -> int | None:
        cards = self.cards
        focused = self.screen.focused
        return cards.index(focused) if focused in cards else None

    def _focus_card(self, index: int) -> None:
        cards = self.cards
        if cards:
            cards[max(0, min(index, len(cards) - 1))].focus()

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
        """Focus the next (+1) or previous (-1) card, mounting released ones at the window's edge."""
        cards = self.cards
        index = self._focused_index()
        if index is None:
            self._focus_card(len(cards) - 1)
            return
        if 0 <= index + delta < len(cards):
            cards[index + delta].focus()
            return
        if delta > 0 and self._hi < len(self._items):
            await self._extend_bottom()
        elif delta < 0 and self._lo > 0:
            await self._extend_top()
        else:
            if delta < 0:
                self._reach_top()  # older rows come from the database first
            return
        current, focused = self.cards, cards[index]
        if focused in current and 0 <= current.index(focused) + delta < len(current):
            current[current.index(focused) + delta].focus()

    async def _oldest(self) -> None:
        if self.session_id is None:
            return
        if self._cursor is not None:
            self._jump_pending = True
            self._loading = True
            self._load_all_older(self.session_id, self._cursor)
            return
        if self._lo > 0:
            await self._remount(0, min(len(self._items), MAX_CARDS))
        self.anchor(False)
        self.scroll_home(animate=False, immediate=True)
        self._focus_card(0)

    async def _newest(self) -> None:
        if self._hi < len(self._items):
            await self._remount(max(0, len(self._items) - MAX_CARDS), len(self._items))
        self.anchor()
        self._focus_card(len(self.cards) - 1)
