"""The session's history, chat-style: oldest at the top, newest at the bottom.

Windowed, so a session of any size costs the same to open and to scroll:

- it opens on the newest page (``get_session(limit=PAGE)``) and reads older pages
  through ``next_cursor`` when the user scrolls near the top; home reads the
  session's first page directly (one query) and scrolling down from there reads
  forwards; end reads the newest page again;
- cards are a pool of at most ``MAX_CARDS`` widgets: opening a session rebinds the
  cards already mounted to the new rows, and moving the window moves cards from the
  far end to the near end and rebinds them, so neither mounts nor prunes widgets once
  the pool exists. Cards not needed are hidden (spares) until they are;
- it stays anchored at the bottom while the user is there, so new cards scroll in;
- a running generation updates only its small ``GenerationProgress`` child.

Rows that are loaded (``_items``, oldest first, one contiguous run of the session)
are plain pydantic objects; only the shown slice ``_items[_lo:_hi]`` has cards.
``_cursor`` says older rows exist before the run, ``_newer`` that newer rows exist
after it. The run is bounded too: reading a page forgets the rows more than
``KEEP_BEYOND`` past the window's far side (their cursor is kept), so walking a
100,000-row session holds about a hundred rows, not every row it passed. Cards for
requests kept while disconnected ("local") always sit after the last row.
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
#: Cards shown in the first frame of an opened session when none can be reused (more than a tall terminal shows).
FIRST_PAINT = 8
#: The fewest rows a card takes (border, head, summary, margin): how many fill the view.
CARD_MIN_ROWS = 5
#: Loaded rows kept past each side of the shown window once a page is read; farther ones
#: are read again when the user comes back (one page query).
KEEP_BEYOND = PAGE


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
        #: ``newest`` / ``oldest`` replace what is loaded; ``older`` / ``newer`` extend it.
        kind: str
        #: Oldest first.
        rows: list[Any]
        #: Continues the same direction: older for newest/older pages, newer for oldest/newer ones.
        cursor: str | None
        #: What was loaded when the read started; a page read for something since replaced is dropped.
        epoch: int = 0
        #: Focus the first (oldest page) or last (newest page) card once shown.
        focus: bool = False

        @property
        def older(self) -> bool:
            return self.kind == "older"

    @dataclass
    class Open(Message):
        session_id: str | None
        epoch: int = 0

    @dataclass
    class Shown(Message):
        """The newest page is on the cards (bubbles to the screen, which draws it and then calls
        ``fill_after_frame`` for the rest of the page)."""

        session_id: str

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
        # Every change of the shown window holds this lock: mounting awaits, and keys,
        # scrolling and backend updates must not interleave inside one change.
        self._lock = asyncio.Lock()
        # Clear while a shift waits for its layout (to put the kept card back in place).
        self._settled = asyncio.Event()
        self._settled.set()
        self.session_id: str | None = None
        self._items: list[Any] = []
        self._lo = 0
        self._hi = 0
        self._cursor: str | None = None
        self._newer: str | None = None
        self._epoch = 0
        #: The newest epoch handed out (an Open on its way installs it).
        self._issued = 0
        self._loading = False
        self._shifting = False
        #: A key asked to move past the edge while that side's page was being read: +1 / -1.
        self._step_pending = 0
        self._fill_pending = False
        #: Shows a page taken while a shift settled, once it has (see _end_shift).
        self._after_shift: Any = None
        self._local: list[Any] = []
        self._card_index: dict[str, GenerationCard] = {}

    # -- loading ---------------------------------------------------------------

    def show_session(self, session_id: str | None) -> None:
        """Forget what is shown and open ``session_id`` on its newest page."""
        self.session_id = session_id
        self._loading = session_id is not None
        self._issued += 1
        if session_id is not None:
            # Read at once: the query runs while the Open message waits for its turn.
            self._load_page(session_id, "newest", None, self._issued, False)
        self.post_message(self.Open(session_id, self._issued))

    @on(Open)
    async def _open(self, event: Open) -> None:
        event.stop()
        async with self._lock:
            if event.session_id != self.session_id or event.epoch != self._issued:
                return
            self._forget(event.epoch)
            if self._local:
                self._local = []
                await self.remove_children([card for card in self.cards if card.local])
            if event.session_id is None:
                await self.remove_children()
                self._show_empty()
            # Else the old cards stay until the page comes: they are rebound to its rows, not rebuilt.

    def _forget(self, epoch: int | None = None) -> None:
        """Drop the loaded rows (the cards keep showing them until the next page is taken)."""
        if epoch is None:
            self._issued += 1
            epoch = self._issued
        self._epoch = epoch
        self._items, self._lo, self._hi, self._cursor, self._newer = [], 0, 0, None, None
        self._step_pending = 0

    def _read(self, kind: str, cursor: str | None, *, focus: bool = False) -> None:
        if self.session_id is None:
            return
        self._loading = True
        self._load_page(self.session_id, kind, cursor, self._epoch, focus)

    @work(thread=True, group="timeline-page", exit_on_error=False)
    def _load_page(self, session_id: str, kind: str, cursor: str | None, epoch: int, focus: bool) -> None:
        backend = backend_of(self)
        if kind in ("newest", "older"):
            detail = backend.session_page(session_id, before=cursor, limit=PAGE)
            rows = list(reversed(detail.generations))
        else:
            detail = backend.session_page_forward(session_id, after=cursor, limit=PAGE)
            rows = list(detail.generations)
        if not get_current_worker().is_cancelled:
            self.post_message(self.PageLoaded(session_id, kind, rows, detail.next_cursor, epoch, focus))

    @on(PageLoaded)
    async def _page_loaded(self, event: PageLoaded) -> None:
        event.stop()
        async with self._lock:
            await self._take_page(event)

    async def _take_page(self, event: PageLoaded) -> None:
        if event.session_id != self.session_id or event.epoch != self._epoch:
            return
        self._loading = False
        if event.kind == "newest":
            ids = {row.id for row in event.rows}
            # Rows that arrived (upserts) while the page was read stay after it.
            self._items = event.rows + [row for row in self._items if row.id not in ids]
            self._cursor, self._newer = event.cursor, None
            hi = len(self._items)
            # The newest cards fill the view: they are in the first frame, the rest of the page comes after it
            # (pool cards beyond them wait hidden: binding and laying out fewer cards makes that frame sooner).
            lo = max(0, hi - min(max(FIRST_PAINT, self.size.height // CARD_MIN_ROWS + 1), PAGE))
            await self._remount(lo, hi)
            self.anchor()
            if event.focus:
                self._focus_card(len(self.row_cards) - 1)
            self._fill_pending = lo > 0
            self.post_message(self.Shown(event.session_id))
            return
        if event.kind == "oldest":
            self._items = list(event.rows)
            self._cursor, self._newer = None, event.cursor
            await self._remount(0, len(self._items))
            self.anchor(False)
            self.scroll_home(animate=False, immediate=True)
            if event.focus:
                self._focus_card(0)
            return
        known = {row.id for row in self._items}
        rows = [row for row in event.rows if row.id not in known]
        pending, self._step_pending = self._step_pending, 0
        if event.kind == "older":
            self._cursor = event.cursor
            self._items = rows + self._items
            self._lo += len(rows)
            self._hi += len(rows)
        else:
            self._newer = event.cursor
            self._items = self._items + rows

        async def show() -> None:
            if event.session_id != self.session_id or event.epoch != self._epoch:
                return
            if event.kind == "older":
                await self._extend_top()
                self._forget_newest()
            else:
                await self._extend_bottom()
                self._forget_oldest()
            if pending and rows:
                self._settled_then(lambda: self._move_focus(pending))

        if self._shifting:
            # A shift still settling would make the extension a no-op, and the page's rows
            # would wait for some later scroll to reach the edge. The shift's end shows them
            # (_end_shift); waiting for it here could stall, as its restore may be queued
            # behind this very message.
            self._after_shift = show
        else:
            await show()

    def _forget_newest(self) -> None:
        """Drop loaded rows more than ``KEEP_BEYOND`` below the window; paging forwards reads them again."""
        keep = self._hi + KEEP_BEYOND
        if len(self._items) > keep:
            self._newer = backend_of(self).page_cursor(self._items[keep - 1])
            del self._items[keep:]

    def _forget_oldest(self) -> None:
        """Drop loaded rows more than ``KEEP_BEYOND`` above the window; paging back reads them again."""
        cut = self._lo - KEEP_BEYOND
        if cut > 0:
            self._cursor = backend_of(self).page_cursor(self._items[cut])
            del self._items[:cut]
            self._lo -= cut
            self._hi -= cut

    # -- the shown window ------------------------------------------------------

    def _pool(self) -> list[GenerationCard]:
        """Every row card, shown ones first (in row order), then the hidden spares."""
        return [card for card in self.query_children(GenerationCard) if not card.local]

    @property
    def cards(self) -> list[GenerationCard]:
        """The cards shown: rows, then local requests."""
        return [card for card in self.query_children(GenerationCard) if card.display]

    @property
    def row_cards(self) -> list[GenerationCard]:
        return [card for card in self._pool() if card.display]

    async def _remount(self, lo: int, hi: int) -> None:
        """Show rows ``lo:hi`` on the pool's cards; mount only what the pool lacks, hide what it has over."""
        self._lo, self._hi = lo, hi
        rows = self._items[lo:hi]
        pool = self._pool()
        await self._clear_empty()
        for card, row in zip(pool, rows):
            _bind(card, row)
        for spare in pool[len(rows) :]:
            spare.display = False
        if len(pool) > MAX_CARDS:
            await self.remove_children(pool[max(len(rows), MAX_CARDS) :])
        if len(rows) > len(pool):
            await self._mount_after_rows([GenerationCard(row) for row in rows[len(pool) :]])
        self._card_index = {}
        if not rows and not self._local:
            self._show_empty()

    async def _clear_empty(self) -> None:
        for empty in self.query_children(".timeline-empty"):
            await empty.remove()

    def _show_empty(self) -> None:
        text = "No generations yet. Type a prompt below and press ctrl+j."
        self.mount(Static(text, classes="timeline-empty", markup=False))

    async def _locked(self, change: Any) -> None:
        async with self._lock:
            await change()

    def fill_after_frame(self) -> None:
        """Show the rest of the opened page once the first frame (its newest cards) is out."""
        if self._fill_pending:
            self._fill_pending = False
            session_id, epoch = self.session_id, self._epoch
            if session_id is not None:
                self.call_after_refresh(self.call_next, self._locked, lambda: self._fill_page(session_id, epoch))

    async def _fill_page(self, session_id: str, epoch: int) -> None:
        """Show the rest of the opened page above the first cards, as a scroll up would."""
        if session_id != self.session_id or epoch != self._epoch or self._hi - self._lo >= PAGE:
            return
        count = min(self._lo, PAGE - (self._hi - self._lo))
        if not self.is_anchored:
            await self._extend_top(count)
            return
        # Anchored (as opened): Textual keeps the bottom in view, so no shift that would hold off scrolling.
        new_lo = self._lo - count
        await self._place(self._items[new_lo : self._lo], top=True)
        self._lo = new_lo

    async def _place(self, rows: list[Any], *, top: bool) -> int:
        """Show ``rows`` above (``top``) or below the shown cards, in order.

        Cards come from, in turn: the far end of the window when it would exceed
        ``MAX_CARDS`` (those rows stop being shown), the hidden spares, new widgets.
        Returns how many cards left the far end.
        """
        if not rows:
            return 0
        shown = self.row_cards
        spares = [card for card in self._pool() if not card.display]
        overflow = max(0, len(shown) + len(rows) - MAX_CARDS)
        leaving = shown[len(shown) - overflow :] if top else shown[:overflow]
        staying = [card for card in shown if card not in leaving]
        focused = self.screen.focused
        if focused in leaving and staying:
            # The focused card is about to show another row: focus stays at the window's edge.
            (staying[-1] if top else staying[0]).focus(scroll_visible=False)
        reused = (leaving + spares)[: len(rows)]
        edge = (staying[0] if top else staying[-1]) if staying else None
        previous = edge
        for card, row in zip(reused, rows):
            _bind(card, row)
            if top and edge is not None:
                self.move_child(card, before=edge)
            elif not top and previous is not None and card is not previous:
                self.move_child(card, after=previous)
            previous = card
        fresh = [GenerationCard(row) for row in rows[len(reused) :]]
        if fresh:
            if top and edge is not None:
                await self.mount_all(fresh, before=edge)
            elif not top and previous is not None:
                await self.mount_all(fresh, after=previous)
            else:
                await self._mount_after_rows(fresh)
        self._card_index = {}
        return overflow

    async def _extend_top(self, count: int = PAGE) -> None:
        """Show the previous chunk of loaded rows above, releasing cards at the bottom."""
        if self._shifting:
            return
        if self._lo == 0:
            # Asked for by a scroll that another change (the opened page's fill) already served: read on.
            if self._cursor is not None and not self._loading:
                self._read("older", self._cursor)
            return
        self._shifting = True
        keep = self._visible_anchor()
        new_lo = max(0, self._lo - count)
        released = await self._place(self._items[new_lo : self._lo], top=True)
        self._lo = new_lo
        if released:
            self.anchor(False)
            self._hi -= released
        self._restore_anchor(keep)

    async def _extend_bottom(self) -> None:
        """Show the next chunk of loaded rows below, releasing cards at the top."""
        if self._shifting:
            return
        if self._hi >= len(self._items):
            if self._newer is not None and not self._loading:
                self._read("newer", self._newer)
            return
        self._shifting = True
        keep = self._visible_anchor()
        new_hi = min(len(self._items), self._hi + PAGE)
        released = await self._place(self._items[self._hi : new_hi], top=False)
        self._hi = new_hi
        self._lo += released
        self._restore_anchor(keep)

    async def _mount_after_rows(self, cards: list[GenerationCard]) -> None:
        """Mount after the last row's card, before the cards of local requests."""
        await self.mount_all(cards, before=next((card for card in self.query_children(GenerationCard) if card.local), None))

    def _visible_anchor(self) -> tuple[GenerationCard, float] | None:
        """The card to keep in place while cards come and go: the focused one, else the first in view."""
        focused = self.screen.focused
        shown = self.row_cards
        candidates = [focused] if isinstance(focused, GenerationCard) and focused in shown else []
        for card in candidates + shown:
            region = card.virtual_region
            if region.bottom > self.scroll_y:
                return card, region.y - self.scroll_y
        return None

    def _restore_anchor(self, keep: tuple[GenerationCard, float] | None) -> None:
        """Put the kept card back where it was, after the next layout; then allow new shifts."""

        def restore() -> None:
            if keep is not None and keep[0].is_attached:
                self.scroll_to(y=keep[0].virtual_region.y - keep[1], animate=False, immediate=True)
            self._end_shift()

        self._settled.clear()
        self.call_after_refresh(restore)

    def _end_shift(self) -> None:
        """Allow new shifts, and show a page that was taken while this one settled."""
        self._shifting = False
        self._settled.set()
        pending, self._after_shift = self._after_shift, None
        if pending is not None:
            self.call_next(self._locked, pending)

    def _settled_then(self, callback: Any) -> None:
        async def run() -> None:
            await self._wait_settled()
            callback()

        self.call_after_refresh(run)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self._shifting or self.session_id is None:
            return
        if new_value <= NEAR_EDGE:
            self._reach_top()
        elif new_value >= self.max_scroll_y - NEAR_EDGE:
            self._reach_bottom()

    def _reach_top(self) -> None:
        if self._lo > 0:
            self.call_next(self._locked, self._extend_top)
        elif self._cursor is not None and not self._loading:
            self._read("older", self._cursor)

    def _reach_bottom(self) -> None:
        if self._hi < len(self._items):
            self.call_next(self._locked, self._extend_bottom)
        elif self._newer is not None and not self._loading:
            self._read("newer", self._newer)

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
        if self._newer is not None:
            return  # the newest rows are not loaded: paging forwards (or end) reads it in its place
        if watched and (self._loading and not self._items or self._items and row.created_at < self._items[-1].created_at):
            return  # an older row (paging reads it in its place) or one the page being read holds
        at_end = self._hi == len(self._items)
        self._items.append(row)
        if not at_end:
            return
        await self._clear_empty()
        released = await self._place([row], top=False)
        self._hi += 1
        self._lo += released

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
        await self.remove_children([card for card in self.query_children(GenerationCard) if card.local])
        await self._clear_empty()
        if self._local:
            await self.mount_all([GenerationCard(row, local=True) for row in self._local])
        elif not self.cards and not self._loading:
            self._show_empty()
        self._card_index = {}

    def card_for(self, generation_id: str) -> GenerationCard | None:
        # Called per progress and preview event: look up in an index, rebuilt only when it is stale.
        card = self._card_index.get(generation_id)
        if card is not None and card.parent is self and card.display and card.generation.id == generation_id:
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

    def show_progress(self, generation_id: str, percent: float, node: str | None, value: int | None = None, maximum: int | None = None) -> None:
        """One progress event: overall ``percent``, the running ``node`` and its steps (``value`` of ``maximum``)."""
        card = self.card_for(generation_id)
        if card is None:
            return
        if card.generation.status == "pending":
            # "started" can overtake the row being read for the card; progress means it runs.
            self.mark_running(generation_id)
        progress = card.progress
        if progress is not None:
            progress.update_progress(percent, node, value, maximum)

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


def _bind(card: GenerationCard, row: Any) -> None:
    """Show ``row`` on ``card`` (a no-op for the row it already shows)."""
    if card.generation is not row:
        card.generation = row
    if not card.display:
        card.display = True
