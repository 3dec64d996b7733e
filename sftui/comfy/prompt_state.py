"""One tracked prompt: what its events said so far, its updates, and its outcome."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

from sftui.comfy import events as ev
from sftui.comfy.frames import PreviewImage
from sftui.comfy.models import ExecutionErrorInfo, HistoryEntry, OutputRef, PromptOutcome, elapsed_s, output_refs
from sftui.comfy.updates import Cached, Executed, Executing, Finished, Preview, Progress, PromptUpdate, Started, UpdateBuffer

TERMINAL_EVENTS = (ev.ExecutionSuccess, ev.ExecutionError, ev.ExecutionInterrupted)
_TERMINAL_STATUS = {ev.ExecutionSuccess: "success", ev.ExecutionError: "error", ev.ExecutionInterrupted: "interrupted"}


def prepare_for_outcome() -> None:
    """Build now the validators that a prompt's end needs (its last event, history, outcome).

    They are built on first use (see ``events.WHILE_RUNNING``); for these, first use
    comes after the prompt's end, where the build would delay the result. Called as a
    prompt is posted, while the server is busy with it. A built model returns at once.
    """
    ev.ExecutionSuccess.model_rebuild()
    OutputRef.model_rebuild()
    ExecutionErrorInfo.model_rebuild()
    HistoryEntry.model_rebuild()
    PromptOutcome.model_rebuild()


class PromptHandle:
    """Created by ``ComfyWatcher.track``; updated only by the watcher."""

    def __init__(self, prompt_id: str, *, buffer_size: int = 256) -> None:
        self.prompt_id = prompt_id
        self._buffer: UpdateBuffer[PromptUpdate] = UpdateBuffer(buffer_size)
        self._future: asyncio.Future[PromptOutcome] = asyncio.get_running_loop().create_future()
        self._consumed = False
        self.end_seen = asyncio.Event()
        self.started_ms: int | None = None
        self.ended_ms: int | None = None
        self.terminal: str | None = None
        self.error: ExecutionErrorInfo | None = None
        self.cached_nodes: list[str] = []
        self.executed_nodes: set[str] = set()
        self.files: list[OutputRef] = []
        self.last_activity = time.monotonic()

    def __repr__(self) -> str:
        return f"PromptHandle({self.prompt_id!r}, done={self.done})"

    @property
    def done(self) -> bool:
        return self._future.done()

    @property
    def dropped_updates(self) -> int:
        return self._buffer.dropped

    async def updates(self) -> AsyncIterator[PromptUpdate]:
        """Updates in arrival order, ending with ``Finished(outcome)``. One consumer only."""
        if self._consumed:
            raise RuntimeError(f"updates() of prompt {self.prompt_id} is already being consumed")
        self._consumed = True
        while (item := await self._buffer.get()) is not None:
            yield item

    async def outcome(self, timeout: float | None = None) -> PromptOutcome:
        try:
            return await asyncio.wait_for(asyncio.shield(self._future), timeout)
        except TimeoutError:
            raise TimeoutError(f"prompt {self.prompt_id} did not finish within {timeout:g} s") from None

    # -- fed by the watcher ----------------------------------------------------

    def apply(self, event: ev.ComfyEvent) -> None:
        if self.done:
            return
        self.last_activity = time.monotonic()
        if isinstance(event, ev.ExecutionStart):
            self.started_ms = event.timestamp
            self._buffer.put(Started(self.prompt_id, event.timestamp))
        elif isinstance(event, ev.ExecutionCached):
            self.cached_nodes = list(event.nodes)
            self._buffer.put(Cached(tuple(event.nodes)))
        elif isinstance(event, ev.Executing):
            if event.node is None:
                self.end_seen.set()
            else:
                self.executed_nodes.add(event.node)
                self._buffer.put(Executing(event.node, event.display_node))
        elif isinstance(event, ev.Progress):
            self._buffer.put(Progress(event.node, event.value, event.max))
        elif isinstance(event, ev.Executed):
            refs = output_refs(event.node, event.output)
            self.files.extend(ref for ref in refs if ref not in self.files)
            self._buffer.put(Executed(event.node, tuple(refs)))
        elif isinstance(event, TERMINAL_EVENTS):
            self._apply_terminal(event)

    def _apply_terminal(self, event: ev.ExecutionSuccess | ev.ExecutionError | ev.ExecutionInterrupted) -> None:
        self.terminal = _TERMINAL_STATUS[type(event)]
        self.ended_ms = event.timestamp
        if isinstance(event, ev.ExecutionError):
            self.error = ExecutionErrorInfo.from_message(event.model_dump())

    def add_preview(self, preview: PreviewImage, node: str | None) -> None:
        if not self.done:
            self.last_activity = time.monotonic()
            self._buffer.put(Preview(preview.image, preview.image_type, node))

    def finish(self, outcome: PromptOutcome) -> None:
        if self.done:
            return
        self._future.set_result(outcome)
        self._buffer.put(Finished(outcome))
        self._buffer.close()

    def abandon(self, exc: BaseException) -> None:
        """The watcher stopped before the prompt ended: ``outcome()`` raises ``exc``."""
        if self.done:
            return
        self._future.set_exception(exc)
        # Nobody may ever await it; do not let asyncio report it as unretrieved.
        self._future.exception()
        self._buffer.close()

    @classmethod
    def finished(cls, outcome: PromptOutcome) -> PromptHandle:
        handle = cls(outcome.prompt_id)
        handle.finish(outcome)
        return handle


def build_outcome(handle: PromptHandle, history: HistoryEntry | None) -> PromptOutcome | None:
    """Combine the events seen with the history entry; ``None`` if neither tells how it ended."""
    status = history.outcome_status() if history is not None else None
    status = status or handle.terminal
    if status is None:
        return None
    return PromptOutcome(
        prompt_id=handle.prompt_id,
        status=status,  # type: ignore[arg-type]
        outputs=_merge_outputs(handle.files, history),
        error=_error(status, handle, history),
        execution_time_s=_execution_time(handle, history),
        cached=history.fully_cached() if history is not None and history.prompt else _cached_by_events(handle),
    )


def lost_outcome(handle: PromptHandle) -> PromptOutcome:
    """The server no longer knows the prompt (restarted, or it was deleted from the queue)."""
    return PromptOutcome(prompt_id=handle.prompt_id, status="lost", outputs=[ref for ref in handle.files if ref.is_output])


def _merge_outputs(files: list[OutputRef], history: HistoryEntry | None) -> list[OutputRef]:
    merged = list(history.output_refs()) if history is not None else []
    merged.extend(ref for ref in files if ref.is_output and ref not in merged)
    return merged


def _execution_time(handle: PromptHandle, history: HistoryEntry | None) -> float | None:
    from_history = history.execution_time_s() if history is not None else None
    return from_history if from_history is not None else elapsed_s(handle.started_ms, handle.ended_ms)


def _error(status: str, handle: PromptHandle, history: HistoryEntry | None) -> ExecutionErrorInfo | None:
    if status != "error":
        return None
    return handle.error or (history.error() if history is not None else None)


def _cached_by_events(handle: PromptHandle) -> bool:
    # A fully cached resubmission lists nodes in execution_cached and executes none.
    return bool(handle.cached_nodes) and not handle.executed_nodes
