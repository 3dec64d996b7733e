"""What a tracked prompt reports while it runs, and the bounded buffer that carries it."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Generic, TypeVar, Union

from sftui.comfy.models import OutputRef, PromptOutcome


@dataclass(frozen=True, slots=True)
class Started:
    prompt_id: str
    timestamp: int | None = None


@dataclass(frozen=True, slots=True)
class Cached:
    nodes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Executing:
    node: str
    display_node: str | None = None


@dataclass(frozen=True, slots=True)
class Progress:
    node: str | None
    value: float
    max: float


@dataclass(frozen=True, slots=True)
class Preview:
    image_bytes: bytes
    image_type: str
    node: str | None


@dataclass(frozen=True, slots=True)
class Executed:
    """Every file the node listed, previews (``type == "temp"``) included."""

    node: str
    images: tuple[OutputRef, ...]


@dataclass(frozen=True, slots=True)
class Finished:
    outcome: PromptOutcome


PromptUpdate = Union[Started, Cached, Executing, Progress, Preview, Executed, Finished]

# Only the latest of these matters to someone who fell behind.
_LOSSY = (Progress, Preview, Executing)

T = TypeVar("T")


class UpdateBuffer(Generic[T]):
    """A bounded FIFO for one consumer that never blocks the producer.

    Under pressure (half full) a new progress or preview replaces the older one
    for the same node; when full, the oldest lossy item goes first. ``dropped``
    counts what was discarded.
    """

    def __init__(self, maxsize: int = 256) -> None:
        self._items: deque[T] = deque()
        self._maxsize = max(2, maxsize)
        self._ready = asyncio.Event()
        self._closed = False
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._items)

    def put(self, item: T) -> None:
        if self._closed:
            return
        if len(self._items) >= self._maxsize // 2 and isinstance(item, (Progress, Preview)):
            self._remove_same_kind(item)
        if len(self._items) >= self._maxsize and not self._make_room(item):
            self.dropped += 1
            return
        self._items.append(item)
        self._ready.set()

    def close(self) -> None:
        """Let the consumer drain what is queued, then stop."""
        self._closed = True
        self._ready.set()

    async def get(self) -> T | None:
        """The next item, or ``None`` once closed and drained."""
        while not self._items:
            if self._closed:
                return None
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()

    def _remove_same_kind(self, item: T) -> None:
        for index in range(len(self._items) - 1, -1, -1):
            old = self._items[index]
            if type(old) is type(item) and getattr(old, "node", None) == getattr(item, "node", None):
                del self._items[index]
                self.dropped += 1
                return

    def _make_room(self, item: T) -> bool:
        for index, old in enumerate(self._items):
            if isinstance(old, _LOSSY):
                del self._items[index]
                self.dropped += 1
                return True
        if isinstance(item, _LOSSY):
            return False
        # Only structural updates are queued and nobody reads them: keep the newest.
        self._items.popleft()
        self.dropped += 1
        return True
