"""The session's history, chat-style: oldest at the top, newest at the bottom.

Windowed, so a session of thousands of generations stays light:

- it opens on the newest page (``get_session(limit=PAGE)``) and reads older
  pages through ``next_cursor`` when the user scrolls near the top;
- at most ``MAX_CARDS`` cards are mounted: moving one way releases cards at the
  far end, and they are built again from the loaded rows on the way back;
- it stays anchored at the bottom while the user is there, so new cards scroll in;
- a running generation updates only its small ``GenerationProgress`` child.

Rows that are loaded (``_items``) are plain pydantic objects; only the mounted
slice ``_items[_lo:_hi]`` has widgets. Cards for requests kept while disconnected
("local") always sit after the last row.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from textual import on, work
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static
from textual.worker import get_current_worker

from sftui.ui.backend import backend_of
from sftui.ui.local_queue import LocalRequest, local_row
from sftui.ui.messages import ReportWorkerErrors
from sftui.ui.widgets.generation_card import GenerationCard
from sftui.ui.widgets.timeline_keys import MAX_CARDS, PAGE, TimelineKeys

NEAR_EDGE = 3
#: Cards mounted before the first frame of an opened session (more than a tall terminal shows).
FIRST_PAINT = 8
JUMP_PAGE = 500


class GenerationTimeline(TimelineKeys, ReportWorkerErrors, VerticalScroll, can_focus=False):
    BINDING_GROUP_TITLE = "History"
    BINDINGS = [
        Binding("down", "next_card", "Next", id="timeline.next", tooltip="Move to the next (newer) generation", show=False),
        Binding("up", "previous_card", "Previous", id="timeline.previous", tooltip="Move to the previous (older) generation", show=False),
        Binding("j", "next_card", "Next", id="timeline.next_vim", tooltip="Next generation (vim)", show=False),
        Binding("k", "previous_card", "Previous", id="timeline.previous_vim", tooltip="Previous generation (vim)", show=False),
        Binding("home,g", "oldest", "Oldest", id="timeline.oldest", tooltip="Jump to the first generation of the session", show=False),
        Binding("end,G", "newest", "Newest", id="timeline.newest", tooltip="Jump to the latest generation", show=False),
    ]

    @dataclass
    class PageLoaded(Message):
        session_id: str
        older: bool
        rows: list[Any]
        cursor: str | None

    @dataclass
    class Open(Message):
        session_id: str | None

    @dataclass
    class Upsert(Message):
        row: Any
        #: Seen by polling the database (another process's write): never older than what is shown.
        watched: bool = False

    @dataclass
    class LocalChanged(Message):
        requests: tuple[LocalRequest, ...]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # Every change of the mounted window holds this lock: mounting awaits, and keys,
        # scrolling and backend updates must not interleave inside one change.
        self._lock = asyncio.Lock()
        self._jump_pending = False
        # Clear while a shift waits for its layout (to put the kept card back in place).
        self._settled = asyncio.Event()
        self._settled.set()
        self.session_id: str | None = None
        self._items: list[Any] = []
        self._lo = 0
        self._hi = 0
        self._cursor: str | None = None
        self._loading = False
        self._shifting = False
        self._local: list[Any] = []
        self._card_index: dict[str, GenerationCard] = {}

    # -- loading ---------------------------------------------------------------

    def show_session(self, session_id: str | None) -> None:
        """Forget what is shown and open ``session_id`` on its newest page."""
        self.session_id = session_id
        self._loading = session_id is not None
        self.post_message(self.Open(session_id))

    @on(Open)
    async def _open(self, event: Open) -> None:
        event.stop()
        async with self._lock:
            if event.session_id != self.session_id:
                return
            self._items, self._lo, self._hi, self._cursor = [], 0, 0, None
            self._local = []
            if event.session_id is not None:
                # Read while the old cards go: the page is taken under the lock, after this.
                self._load_page(event.session_id, None, PAGE)
            await self.remove_children()
            if event.session_id is None:
                self._show_empty()

    @work(thread=True, group="timeline-page", exit_on_error=False)
    def _load_page(self, session_id: str, before: str | None, limit: int) -> None:
        detail = backend_of(self).session_page(session_id, before=before, limit=limit)
        if not get_current_worker().is_cancelled:
            rows = list(reversed(detail.generations))
            self.post_message(self.PageLoaded(session_id, before is not None, rows, detail.next_cursor))

    @work(thread=True, group="timeline-page", exit_on_error=False)
    def _load_all_older(self, session_id: str, before: str) -> None:
        backend = backend_of(self)
        rows: list[Any] = []
        cursor: str | None = before
        while cursor is not None and not get_current_worker().is_cancelled:
            detail = backend.session_page(session_id, before=cursor, limit=JUMP_PAGE)
            rows = list(reversed(detail.generations)) + rows
            cursor = detail.next_cursor
        self.post_message(self.PageLoaded(session_id, True, rows, None))

    @on(PageLoaded)
    async def _page_loaded(self, event: PageLoaded) -> None:
        event.stop()
        async with self._lock:
            await self._take_page(event)

    async def _take_page(self, event: PageLoaded) -> None:
        if event.session_id != self.session_id:
            return
        self._loading = False
        self._cursor = event.cursor
        known = {row.id for row in self._items}
        rows = [row for row in event.rows if row.id not in known]
        if not event.older:
            self._items = rows + self._items
            hi = len(self._items)
            # The newest cards fill the view: mount them for the first frame, the rest of the page after it.
            lo = max(0, hi - min(FIRST_PAINT, MAX_CARDS))
            await self._remount(lo, hi)
            self.anchor()
            if lo > 0:
                self.call_after_refresh(self.call_next, self._locked, lambda: self._fill_page(event.session_id))
            return
        self._items = rows + self._items
        self._lo += len(rows)
        self._hi += len(rows)
        if self._jump_pending:
            self._jump_pending = False
            await self._remount(0, min(len(self._items), MAX_CARDS))
            self.anchor(False)
            self.scroll_home(animate=False, immediate=True)
            self._focus_card(0)
        else:
            await self._extend_top()

    # -- the mounted window ----------------------------------------------------

    @property
    def cards(self) -> list[GenerationCard]:
        return list(self.query_children(GenerationCard))

    @property
    def row_cards(self) -> list[GenerationCard]:
        return [card for card in self.cards if not card.local]

    async def _remount(self, lo: int, hi: int) -> None:
        await self.remove_children()
        self._lo, self._hi = lo, hi
        widgets = [GenerationCard(row) for row in self._items[lo:hi]] + [GenerationCard(row, local=True) for row in self._local]
        if widgets:
            await self.mount_all(widgets)
        else:
            self._show_empty()

    def _show_empty(self) -> None:
        text = "No generations yet. Type a prompt below and press ctrl+j."
        self.mount(Static(text, classes="timeline-empty", markup=False))

    async def _locked(self, change: Any) -> None:
        async with self._lock:
            await change()

    async def _fill_page(self, session_id: str) -> None:
        """Mount the rest of the opened page above the first cards, as a scroll up would."""
        if session_id == self.session_id and self._hi - self._lo < PAGE:
            count = min(self._lo, PAGE - (self._hi - self._lo))
            if not self.is_anchored:
                await self._extend_top(count)
                return
            # Anchored (as opened): Textual keeps the bottom in view, so no shift that would hold off scrolling.
            new_lo = self._lo - count
            first = self.row_cards[0] if self.row_cards else None
            await self.mount_all([GenerationCard(row) for row in self._items[new_lo : self._lo]], before=first)
            self._lo = new_lo

    async def _extend_top(self, count: int = PAGE) -> None:
        """Mount the previous chunk of loaded rows above, releasing cards at the bottom."""
        if self._lo == 0 or self._shifting:
            return
        self._shifting = True
        keep = self._visible_anchor()
        new_lo = max(0, self._lo - count)
        first = self.row_cards[0] if self.row_cards else None
        await self.mount_all([GenerationCard(row) for row in self._items[new_lo : self._lo]], before=first)
        self._lo = new_lo
        if self._hi - self._lo > MAX_CARDS:
            self.anchor(False)
            await self.remove_children(self.row_cards[MAX_CARDS:])
            self._hi = self._lo + MAX_CARDS
        self._restore_anchor(keep)

    async def _extend_bottom(self) -> None:
        """Mount the next chunk of loaded rows below, releasing cards at the top."""
        if self._hi >= len(self._items) or self._shifting:
            return
        self._shifting = True
        keep = self._visible_anchor()
        new_hi = min(len(self._items), self._hi + PAGE)
        await self._mount_after_rows([GenerationCard(row) for row in self._items[self._hi : new_hi]])
        self._hi = new_hi
        if self._hi - self._lo > MAX_CARDS:
            drop = self._hi - self._lo - MAX_CARDS
            await self.remove_children(self.row_cards[:drop])
            self._lo += drop
        self._restore_anchor(keep)

    async def _mount_after_rows(self, cards: list[GenerationCard]) -> None:
        """Mount after the last row's card, before the cards of local requests."""
        await self.mount_all(cards, before=next((card for card in self.cards if card.local), None))

    def _visible_anchor(self) -> tuple[GenerationCard, float] | None:
        """The card to keep in place while cards come and go: the focused one, else the first in view."""
        focused = self.screen.focused
        candidates = [focused] if isinstance(focused, GenerationCard) and focused in self.row_cards else []
        for card in candidates + self.row_cards:
            region = card.virtual_region
            if region.bottom > self.scroll_y:
                return card, region.y - self.scroll_y
        return None

    def _restore_anchor(self, keep: tuple[GenerationCard, float] | None) -> None:
        """Put the kept card back where it was, after the next layout; then allow new shifts."""

        def restore() -> None:
            if keep is not None and keep[0].is_attached:
                self.scroll_to(y=keep[0].virtual_region.y - keep[1], animate=False, immediate=True)
            self._shifting = False
            self._settled.set()

        self._settled.clear()
        self.call_after_refresh(restore)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self._shifting or self.session_id is None:
            return
        if new_value <= NEAR_EDGE:
            self._reach_top()
        elif new_value >= self.max_scroll_y - NEAR_EDGE and self._hi < len(self._items):
            self.call_next(self._locked, self._extend_bottom)

    def _reach_top(self) -> None:
        if self._lo > 0:
            self.call_next(self._locked, self._extend_top)
        elif self._cursor is not None and not self._loading and self.session_id is not None:
            self._loading = True
            self._load_page(self.session_id, self._cursor, PAGE)

    # -- rows changing ---------------------------------------------------------

    def upsert(self, row: Any, *, watched: bool = False) -> None:
        """Show a new or changed row of the open session."""
        self.post_message(self.Upsert(row, watched))

    @on(Upsert)
    async def _upsert(self, event: Upsert) -> None:
        event.stop()
        async with self._lock:
            await self._put_row(event.row, watched=event.watched)

    async def _put_row(self, row: Any, *, watched: bool = False) -> None:
        if row.session_id != self.session_id:
            return
        for index in range(len(self._items) - 1, -1, -1):
            if self._items[index].id == row.id:
                shown = self._items[index]
                if watched and (shown.updated_at, shown.status) >= (row.updated_at, row.status):
                    return  # a poll read before this process's newer (or the same) version
                self._items[index] = row
                card = self.card_for(row.id)
                if card is not None:
                    card.generation = row
                return
        if watched and (self._loading and not self._items or self._items and row.created_at < self._items[-1].created_at):
            return  # an older row (paging reads it in its place) or one the page being read holds
        at_end = self._hi == len(self._items)
        self._items.append(row)
        if not at_end:
            return
        for empty in self.query_children(".timeline-empty"):
            await empty.remove()
        await self._mount_after_rows([GenerationCard(row)])
        self._hi += 1
        if self._hi - self._lo > MAX_CARDS:
            await self.remove_children(self.row_cards[:1])
            self._lo += 1

    def set_local(self, requests: tuple[LocalRequest, ...]) -> None:
        """Cards for the requests kept while disconnected (this session's only)."""
        self.post_message(self.LocalChanged(requests))

    @on(LocalChanged)
    async def _local_changed(self, event: LocalChanged) -> None:
        event.stop()
        async with self._lock:
            await self._put_local(event.requests)

    async def _put_local(self, requests: tuple[LocalRequest, ...]) -> None:
        mine = [local for local in requests if local.request.session == self.session_id]
        if [r.id for r in self._local] == [local.id for local in mine]:
            return
        self._local = [local_row(local) for local in mine]
        await self.remove_children([card for card in self.cards if card.local])
        for empty in self.query_children(".timeline-empty"):
            await empty.remove()
        if self._local:
            await self.mount_all([GenerationCard(row, local=True) for row in self._local])
        elif not self.cards and not self._loading:
            self._show_empty()

    def card_for(self, generation_id: str) -> GenerationCard | None:
        # Called per progress and preview event: look up in an index, rebuilt only when it is stale.
        card = self._card_index.get(generation_id)
        if card is not None and card.parent is self and card.generation.id == generation_id:
            return card
        self._card_index = {}
        for mounted in self.cards:
            self._card_index.setdefault(mounted.generation.id, mounted)
        return self._card_index.get(generation_id)

    def mark_running(self, generation_id: str) -> None:
        for index in range(len(self._items) - 1, -1, -1):
            row = self._items[index]
            if row.id == generation_id and row.status == "pending":
                self._items[index] = row.model_copy(update={"status": "running"})
        card = self.card_for(generation_id)
        if card is not None and card.generation.status == "pending":
            card.generation = card.generation.model_copy(update={"status": "running"})

    def show_progress(self, generation_id: str, percent: float, node: str | None) -> None:
        card = self.card_for(generation_id)
        if card is None:
            return
        if card.generation.status == "pending":
            # "started" can overtake the row being read for the card; progress means it runs.
            self.mark_running(generation_id)
            card.call_after_refresh(self.show_progress, generation_id, percent, node)
        elif card.progress is not None:
            card.progress.update_progress(percent, node)

    def show_preview(self, generation_id: str, data: bytes) -> None:
        card = self.card_for(generation_id)
        if card is not None and card.progress is not None:
            card.progress.show_preview(data)

    @property
    def loaded_rows(self) -> list[Any]:
        return list(self._items)

    @property
    def window(self) -> tuple[int, int]:
        return self._lo, self._hi
