"""ComfyUI's progress registry: every change re-sends the state of all started nodes."""

from __future__ import annotations

from typing import Any, Callable

Send = Callable[[str, Any], None]


class ProgressRegistry:
    def __init__(self, prompt_id: str, send: Send) -> None:
        self.prompt_id = prompt_id
        self.send = send
        self.nodes: dict[str, dict[str, Any]] = {}

    def _entry(self, node_id: str) -> dict[str, Any]:
        # Fresh entries start at int 0/1; start() uses floats. Cached nodes thus finish at 1, not 1.0.
        return self.nodes.setdefault(node_id, {"state": "pending", "value": 0, "max": 1})

    def start(self, node_id: str) -> None:
        self._entry(node_id).update(state="running", value=0.0, max=1.0)
        self._send()

    def update(self, node_id: str, value: int | float, total: int | float) -> None:
        self._entry(node_id).update(state="running", value=value, max=total)
        self._send()

    def finish(self, node_id: str) -> None:
        entry = self._entry(node_id)
        entry.update(state="finished", value=entry["max"])
        self._send()

    def _send(self) -> None:
        nodes = {
            node_id: {
                "value": entry["value"],
                "max": entry["max"],
                "state": entry["state"],
                "node_id": node_id,
                "prompt_id": self.prompt_id,
                "display_node_id": node_id,
                "parent_node_id": None,
                "real_node_id": node_id,
            }
            for node_id, entry in self.nodes.items()
            if entry["state"] != "pending"
        }
        self.send("progress_state", {"prompt_id": self.prompt_id, "nodes": nodes})
