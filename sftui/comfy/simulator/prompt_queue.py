"""ComfyUI's PromptQueue: a heap of pending prompts, the running ones, and the history."""

from __future__ import annotations

import asyncio
import copy
import heapq
from typing import Any, Callable

MAXIMUM_HISTORY_SIZE = 10000
SENSITIVE_EXTRA_DATA_KEYS = ("auth_token_comfy_org", "api_key_comfy_org")

# (number, prompt_id, prompt, extra_data, outputs_to_execute), as in GET /queue.
QueueItem = list[Any]


class PromptQueue:
    def __init__(self, on_change: Callable[[], None]) -> None:
        self.on_change = on_change
        self.queue: list[QueueItem] = []
        self.running: dict[int, QueueItem] = {}
        self.history: dict[str, dict[str, Any]] = {}
        self.task_counter = 0
        self._not_empty = asyncio.Event()

    def put(self, item: QueueItem) -> None:
        heapq.heappush(self.queue, item)
        self.on_change()
        self._not_empty.set()

    async def get(self) -> tuple[QueueItem, int]:
        while not self.queue:
            self._not_empty.clear()
            await self._not_empty.wait()
        item = heapq.heappop(self.queue)
        task_id = self.task_counter
        self.running[task_id] = copy.deepcopy(item)
        self.task_counter += 1
        self.on_change()
        return item, task_id

    def task_done(self, task_id: int, result: dict[str, Any], status: dict[str, Any]) -> None:
        prompt = self.running.pop(task_id)
        if len(self.history) > MAXIMUM_HISTORY_SIZE:
            self.history.pop(next(iter(self.history)))
        for key in SENSITIVE_EXTRA_DATA_KEYS:
            prompt[3].pop(key, None)
        self.history[prompt[1]] = {"prompt": prompt, "outputs": {}, "status": copy.deepcopy(status), **result}
        self.on_change()

    def remaining(self) -> int:
        return len(self.queue) + len(self.running)

    def snapshot(self) -> dict[str, list[QueueItem]]:
        return {"queue_running": list(self.running.values()), "queue_pending": list(self.queue)}

    def running_ids(self) -> list[str]:
        return [item[1] for item in self.running.values()]

    def wipe(self) -> None:
        self.queue = []
        self.on_change()

    def delete(self, prompt_id: Any) -> bool:
        for index, item in enumerate(self.queue):
            if item[1] == prompt_id:
                # ComfyUI wipes (one status) and then reports again (a second one) for the last item.
                if len(self.queue) == 1:
                    self.wipe()
                else:
                    self.queue.pop(index)
                    heapq.heapify(self.queue)
                self.on_change()
                return True
        return False

    def get_history(self, prompt_id: str | None = None, max_items: int | None = None, offset: int = -1) -> dict[str, Any]:
        if prompt_id is not None:
            entry = self.history.get(prompt_id)
            return {} if entry is None else {prompt_id: copy.deepcopy(entry)}
        if offset < 0 and max_items is not None:
            offset = len(self.history) - max_items
        out: dict[str, Any] = {}
        for index, (key, entry) in enumerate(self.history.items()):
            if index >= offset:
                out[key] = entry
                if max_items is not None and len(out) >= max_items:
                    break
        return out

    def wipe_history(self) -> None:
        self.history = {}

    def delete_history(self, prompt_id: Any) -> None:
        self.history.pop(prompt_id, None)

    def clear(self) -> None:
        """Drop everything, as a dying server does."""
        self.queue = []
        self.running = {}
