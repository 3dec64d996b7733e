"""One WebSocket, many prompts: connect, reconnect, route events, decide outcomes.

Rules from the captures of a real server (see the pitfalls in the reference README):

- Everything is filtered by ``prompt_id``: ``progress``, ``progress_state`` and
  previews of prompts posted without a client id reach every socket.
- Type 1 previews name no prompt; they belong to the prompt this socket last saw
  executing, and are dropped when there is none (e.g. right after a reconnect).
- ``executing`` replayed after a reconnect has no ``prompt_id`` and is ignored.
- The end of a prompt is ``executing {node: null, prompt_id}``. History is read
  after it (or, failing it, retried briefly): right after ``execution_success``
  ``/history/{id}`` may still be ``{}``.
- After every reconnect each unfinished prompt is reconciled: history, else the
  queue, else it is ``lost``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Iterable
from types import TracebackType

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from sftui.comfy import events as ev
from sftui.comfy.client import ComfyClient
from sftui.comfy.connection import BackoffPolicy, ConnectionState, describe_ws_error, open_socket
from sftui.comfy.httpio import display_url
from sftui.comfy.models import ExecutionErrorInfo, HistoryEntry, PromptOutcome, QueueState
from sftui.comfy.prompt_state import TERMINAL_EVENTS, PromptHandle, build_outcome, lost_outcome, prepare_for_outcome
from sftui.comfy.updates import UpdateBuffer
from sftui.errors import ServerError, ServerUnreachable

log = logging.getLogger(__name__)

_ORPHAN_PROMPTS = 64
_ORPHAN_EVENTS = 512
_FINISHED_KEPT = 256
# A connection that lived this long resets the backoff; shorter ones keep growing it.
_STABLE_AFTER_S = 10.0


#: Reconciliation attempts that may meet an unreadable answer before the prompt fails.
MAX_UNREADABLE = 3


def unreadable_outcome(handle: PromptHandle, message: str) -> PromptOutcome:
    info = ExecutionErrorInfo(exception_type="ServerError", exception_message=f"the server's record of this prompt is unreadable: {message}")
    return PromptOutcome(prompt_id=handle.prompt_id, status="error", outputs=[], error=info, execution_time_s=None, cached=False)


class ComfyWatcher:
    """Owns the socket of one ``ComfyClient``; use one watcher per client id.

    The server keeps a single socket per client id, so a second watcher on the
    same client would silently take the events away from the first.
    """

    def __init__(
        self,
        client: ComfyClient,
        *,
        backoff: BackoffPolicy | None = None,
        require_connection: bool = True,
        end_grace: float = 2.0,
        history_wait: float = 5.0,
        poll_interval: float = 30.0,
        update_buffer: int = 256,
    ) -> None:
        self.client = client
        self.backoff = backoff or BackoffPolicy()
        self.require_connection = require_connection
        self.end_grace = end_grace
        self.history_wait = history_wait
        self.poll_interval = poll_interval
        self.update_buffer = update_buffer
        self.state = ConnectionState(status="connecting")
        self.queue_remaining: int | None = None
        self.server_features: ev.FeatureFlags | None = None
        self._handles: dict[str, PromptHandle] = {}
        self._finished: OrderedDict[str, PromptOutcome] = OrderedDict()
        self._orphans: OrderedDict[str, deque[ev.ComfyEvent]] = OrderedDict()
        self._current: str | None = None
        self._current_node: str | None = None
        self._subscribers: set[UpdateBuffer[ConnectionState]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._finalizing: set[str] = set()
        self._first_attempt = asyncio.Event()
        self._unreadable: dict[str, int] = {}
        self._closing = False
        self._runner: asyncio.Task[None] | None = None

    # -- lifecycle -------------------------------------------------------------

    async def __aenter__(self) -> ComfyWatcher:
        self._runner = asyncio.create_task(self._run(), name="comfy-watcher")
        self._spawn(self._poll())
        if self.require_connection:
            await self._first_attempt.wait()
            if self.state.status != "connected":
                error = self.state.last_error
                await self.aclose()
                raise ServerUnreachable(
                    f"cannot reach ComfyUI at {display_url(self.client.ws_url)}: {error}",
                    details={"url": display_url(self.client.ws_url)},
                )
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._closing:
            return
        self._closing = True
        tasks = [t for t in (self._runner, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for handle in list(self._handles.values()):
            handle.abandon(ServerError(f"stopped watching prompt {handle.prompt_id} before it finished"))
        self._handles.clear()
        self._set_state(ConnectionState(status="closed", last_error=self.state.last_error))
        for subscriber in self._subscribers:
            subscriber.close()

    # -- public ----------------------------------------------------------------

    def track(self, prompt_id: str) -> PromptHandle:
        """Follow a prompt; events that arrived before this call are replayed into it."""
        if prompt_id in self._handles:
            return self._handles[prompt_id]
        if prompt_id in self._finished:
            return PromptHandle.finished(self._finished[prompt_id])
        if self._closing:
            raise ServerError(f"cannot track prompt {prompt_id}: the watcher is closed")
        handle = PromptHandle(prompt_id, buffer_size=self.update_buffer)
        self._handles[prompt_id] = handle
        prepare_for_outcome()  # while the server runs it, not after its end
        for event in self._orphans.pop(prompt_id, ()):
            self._apply(handle, event)
        return handle

    async def connection_events(self) -> AsyncIterator[ConnectionState]:
        """The current state, then every change, until the watcher closes."""
        queue: UpdateBuffer[ConnectionState] = UpdateBuffer(16)
        queue.put(self.state)
        if self._closing:
            queue.close()
        self._subscribers.add(queue)
        try:
            while (state := await queue.get()) is not None:
                yield state
        finally:
            self._subscribers.discard(queue)

    async def refresh(self, prompt_ids: Iterable[str] | None = None) -> None:
        """Ask the server now how the given (default: all) unfinished prompts stand."""
        wanted = set(prompt_ids) if prompt_ids is not None else None
        await self._reconcile([h for pid, h in self._handles.items() if wanted is None or pid in wanted])

    # -- connection loop -------------------------------------------------------

    async def _run(self) -> None:
        attempt = 0
        error: str | None = None
        while True:
            self._set_state(ConnectionState(status="connecting", attempt=attempt, last_error=error))
            try:
                ws = await open_socket(self.client)
            except Exception as exc:  # any failure to connect is retried, forever
                error = describe_ws_error(exc)
                log.info("WebSocket connect to %s failed: %s", display_url(self.client.ws_url), error)
                self._first_attempt.set()
                attempt += 1
                await self._sleep_before_retry(attempt, error)
                continue
            started = time.monotonic()
            error = await self._serve(ws)
            attempt = 1 if time.monotonic() - started >= _STABLE_AFTER_S else attempt + 1
            await self._sleep_before_retry(attempt, error)

    async def _serve(self, ws: ClientConnection) -> str:
        self._current = self._current_node = None
        self._set_state(ConnectionState(status="connected"))
        if self._handles:
            # Events sent while we were away are gone: ask history and queue instead.
            self._spawn(self.refresh())
        self._first_attempt.set()
        try:
            async for message in ws:
                self._dispatch(message)
            return "server closed the connection"
        except ConnectionClosed as exc:
            return describe_ws_error(exc)
        finally:
            self._current = self._current_node = None
            await ws.close()

    async def _sleep_before_retry(self, attempt: int, error: str) -> None:
        delay = self.backoff.delay(attempt)
        self._set_state(ConnectionState(status="reconnecting", attempt=attempt, retry_in=round(delay, 3), last_error=error))
        await asyncio.sleep(delay)

    def _set_state(self, state: ConnectionState) -> None:
        self.state = state
        for subscriber in self._subscribers:
            subscriber.put(state)

    # -- routing ---------------------------------------------------------------

    def _dispatch(self, message: str | bytes) -> None:
        try:
            if isinstance(message, str):
                event = ev.parse_text_frame(message)
                if event is not None:
                    self._route(event)
            else:
                self._route_preview(message)
        except Exception:  # a routing bug must not drop the connection of every prompt
            log.exception("failed to handle a WebSocket frame")

    def _route(self, event: ev.ComfyEvent) -> None:
        if isinstance(event, ev.Status):
            self.queue_remaining = event.queue_remaining
            return
        if isinstance(event, ev.FeatureFlags):
            self.server_features = event
            return
        if isinstance(event, ev.ProgressState) or event.prompt_id is None:
            # progress_state repeats progress/executing; an id-less executing is a reconnect replay.
            return
        self._note_running(event)
        handle = self._handles.get(event.prompt_id)
        if handle is not None:
            self._apply(handle, event)
        elif event.prompt_id not in self._finished:
            self._remember_orphan(event.prompt_id, event)

    def _note_running(self, event: ev.ComfyEvent) -> None:
        """Which prompt runs now (and on which node), for type 1 previews that do not say."""
        prompt_id = getattr(event, "prompt_id", None)
        node = getattr(event, "node", None)
        if isinstance(event, ev.ExecutionStart):
            self._current, self._current_node = prompt_id, None
        elif isinstance(event, (ev.Executing, ev.Progress)) and node is not None:
            self._current, self._current_node = prompt_id, node
        elif isinstance(event, (ev.Executed, ev.Progress)):
            self._current = prompt_id
        elif isinstance(event, (*TERMINAL_EVENTS, ev.Executing)) and self._current == prompt_id:
            self._current = self._current_node = None

    def _route_preview(self, data: bytes) -> None:
        preview = ev.parse_binary_frame(data)
        if preview is None:
            return
        if preview.prompt_id is not None:
            prompt_id, node = preview.prompt_id, preview.display_node_id or preview.node_id
        else:
            prompt_id, node = self._current, self._current_node
        handle = self._handles.get(prompt_id) if prompt_id is not None else None
        if handle is not None:
            handle.add_preview(preview, node)

    def _apply(self, handle: PromptHandle, event: ev.ComfyEvent) -> None:
        handle.apply(event)
        ends = isinstance(event, TERMINAL_EVENTS) or (isinstance(event, ev.Executing) and event.node is None)
        if ends and not handle.done and handle.prompt_id not in self._finalizing:
            self._finalizing.add(handle.prompt_id)
            self._spawn(self._finalize(handle))

    def _remember_orphan(self, prompt_id: str, event: ev.ComfyEvent) -> None:
        # Events can beat the POST /prompt answer (and so track()); keep a bounded few.
        events = self._orphans.get(prompt_id)
        if events is None:
            events = self._orphans[prompt_id] = deque(maxlen=_ORPHAN_EVENTS)
            while len(self._orphans) > _ORPHAN_PROMPTS:
                self._orphans.popitem(last=False)
        events.append(event)

    # -- outcomes --------------------------------------------------------------

    async def _finalize(self, handle: PromptHandle) -> None:
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(handle.end_seen.wait(), self.end_grace)
            history = await self._history_with_retry(handle.prompt_id)
            outcome = build_outcome(handle, history)
            if outcome is not None:
                self._finish(handle, outcome)
        finally:
            self._finalizing.discard(handle.prompt_id)
        if not handle.done:
            await self._reconcile([handle])

    async def _history_with_retry(self, prompt_id: str) -> HistoryEntry | None:
        deadline = time.monotonic() + self.history_wait
        delay = 0.05
        while True:
            try:
                entry = await self.client.get_history(prompt_id)
            except ServerError as exc:
                log.warning("could not read the history of prompt %s: %s", prompt_id, exc.message)
                return None
            if entry is not None and entry.outcome_status() is not None:
                return entry
            if time.monotonic() + delay > deadline:
                return entry
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)

    async def _reconcile(self, handles: list[PromptHandle]) -> None:
        queue: QueueState | None = None
        for handle in handles:
            if handle.done or handle.prompt_id in self._finalizing:
                continue
            try:
                if self._settle_from(handle, await self.client.get_history(handle.prompt_id)):
                    continue
                if queue is None:
                    queue = await self.client.get_queue()
                if queue.contains(handle.prompt_id):
                    continue
                # It may have finished between the two reads.
                if self._settle_from(handle, await self.client.get_history(handle.prompt_id)):
                    continue
            except ServerUnreachable as exc:
                log.warning("could not reconcile prompt %s: %s", handle.prompt_id, exc.message)
                return
            except ServerError as exc:
                # The server answers, but not sensibly: give up after a few tries rather than
                # leave the generation running forever.
                failures = self._unreadable[handle.prompt_id] = self._unreadable.get(handle.prompt_id, 0) + 1
                log.warning("could not reconcile prompt %s (%d/%d): %s", handle.prompt_id, failures, MAX_UNREADABLE, exc.message)
                if failures >= MAX_UNREADABLE:
                    self._finish(handle, unreadable_outcome(handle, exc.message))
                continue
            self._finish(handle, build_outcome(handle, None) or lost_outcome(handle))

    def _settle_from(self, handle: PromptHandle, history: HistoryEntry | None) -> bool:
        outcome = build_outcome(handle, history) if history is not None and history.outcome_status() else None
        if outcome is not None:
            self._finish(handle, outcome)
        return outcome is not None

    def _finish(self, handle: PromptHandle, outcome: PromptOutcome) -> None:
        if handle.done:
            return
        handle.finish(outcome)
        self._handles.pop(handle.prompt_id, None)
        self._finished[handle.prompt_id] = outcome
        while len(self._finished) > _FINISHED_KEPT:
            self._finished.popitem(last=False)
        if self._current == handle.prompt_id:
            self._current = self._current_node = None

    async def _poll(self) -> None:
        """Safety net for prompts that went quiet (e.g. deleted from the queue by someone else)."""
        while True:
            await asyncio.sleep(self.poll_interval)
            if self.state.status != "connected":
                continue
            quiet = time.monotonic() - self.poll_interval
            await self._reconcile([h for h in self._handles.values() if h.last_activity <= quiet])

    def _spawn(self, coro: object) -> None:
        task = asyncio.create_task(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("watcher task failed", exc_info=task.exception())
