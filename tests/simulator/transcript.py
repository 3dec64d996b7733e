"""Comparing what the simulator sends with the frames captured from a real ComfyUI.

``normalise`` reduces a frame to what must match: the message type and data
keys, and the protocol facts that are deterministic for the same prompt
(node ids, queue sizes, progress values with their int/float types, binary
headers). Ids, timestamps, filenames' random parts and set orders are dropped.
"""

from __future__ import annotations

import asyncio
import json
import struct
from pathlib import Path
from typing import Any, Callable

import aiohttp

Frame = dict[str, Any]


def load(path: Path) -> list[Frame]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def received(entries: list[Frame]) -> list[Frame]:
    return [e for e in entries if e["dir"] == "recv"]


def http_calls(entries: list[Frame]) -> list[Frame]:
    return [e for e in entries if e["dir"] == "http"]


def _progress_nodes(nodes: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(
        (node_id, entry["state"], repr(entry["value"]), repr(entry["max"]), tuple(sorted(entry)))
        for node_id, entry in nodes.items()
    )


def _details(kind: str, data: dict[str, Any]) -> Any:
    if kind == "status":
        return (data["status"]["exec_info"]["queue_remaining"], "sid" in data)
    if kind == "progress_state":
        return _progress_nodes(data["nodes"])
    if kind in ("executing", "progress"):
        return (data.get("node"), data.get("value"), data.get("max"), "prompt_id" in data)
    if kind == "executed":
        output = data["output"] or {}
        images = output.get("images", [])
        return (data["node"], tuple(sorted(output)), tuple(i["type"] for i in images), tuple(sorted(k for i in images for k in i)))
    if kind == "execution_cached":
        return tuple(data["nodes"])
    if kind in ("execution_interrupted", "execution_error"):
        return (data["node_id"], data["node_type"], tuple(sorted(data["executed"])))
    return None


def normalise(frame: Frame) -> tuple[Any, ...]:
    """One received frame of a capture line or of ``Recorder.frames`` (same shape)."""
    if frame["kind"] == "binary":
        if frame["event_type"] == 4:
            meta = frame["metadata"]
            return ("binary", 4, tuple(sorted(meta)), meta["image_type"])
        return ("binary", frame["event_type"], frame["u32_2"])
    message = frame["data"]
    data = message["data"]
    return ("text", message["type"], tuple(sorted(data)), _details(message["type"], data))


def normalise_all(frames: list[Frame]) -> list[tuple[Any, ...]]:
    return [normalise(f) for f in frames]


def prompt_of(frame: Frame) -> str | None:
    if frame["kind"] == "binary":
        return frame.get("metadata", {}).get("prompt_id")
    data = frame["data"]["data"]
    return data.get("prompt_id") if isinstance(data, dict) else None


def assert_same(actual: list[Frame], expected: list[Frame]) -> None:
    got, want = normalise_all(actual), normalise_all(expected)
    for index, (g, w) in enumerate(zip(got, want)):
        assert g == w, f"frame {index} differs:\n  simulator: {g}\n  captured:  {w}"
    assert len(got) == len(want), f"{len(got)} frames received, {len(want)} captured; extra: {(got[len(want):] or want[len(got):])[:3]}"


def shape(value: Any) -> Any:
    """The JSON shape of an HTTP body: dict keys and value types, recursively; a list by its distinct item shapes."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        distinct: list[Any] = []
        for item in value:
            if shape(item) not in distinct:
                distinct.append(shape(item))
        return ["list", *distinct]
    if isinstance(value, str):
        return "str"
    return type(value).__name__


def _binary_frame(payload: bytes) -> Frame:
    event_type, second = struct.unpack(">II", payload[:8])
    frame: Frame = {"dir": "recv", "kind": "binary", "event_type": event_type, "u32_2": second, "len": len(payload)}
    if event_type == 4:
        frame["metadata"] = json.loads(payload[8 : 8 + second])
        frame["image_magic_hex"] = payload[8 + second : 16 + second].hex()
    else:
        frame["image_magic_hex"] = payload[8:16].hex()
    return frame


class Recorder:
    """A WebSocket client keeping every frame, in the capture's line format."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, client_id: str) -> None:
        self.session = session
        self.url = f"{base_url.replace('http', 'ws', 1)}/ws?clientId={client_id}"
        self.frames: list[Frame] = []
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    async def open(self, first_message: dict[str, Any] | None = None) -> Recorder:
        self.ws = await self.session.ws_connect(self.url)
        if first_message is not None:
            await self.ws.send_str(json.dumps(first_message))
        self._reader = asyncio.get_running_loop().create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self.ws is not None
        async for message in self.ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                self.frames.append({"dir": "recv", "kind": "text", "data": json.loads(message.data)})
            elif message.type == aiohttp.WSMsgType.BINARY:
                self.frames.append(_binary_frame(message.data))
            self._changed.set()
        self._changed.set()

    async def wait_for(self, predicate: Callable[[list[Frame]], bool], timeout: float = 10.0) -> list[Frame]:
        async def waiting() -> None:
            while not predicate(self.frames):
                self._changed.clear()
                if self._reader is not None and self._reader.done():
                    raise AssertionError("socket closed while waiting")
                await self._changed.wait()

        await asyncio.wait_for(waiting(), timeout)
        return self.frames

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.wait_for(self._reader, 5)


def text_frame(frame: Frame, kind: str, **data: Any) -> bool:
    if frame["kind"] != "text" or frame["data"]["type"] != kind:
        return False
    return all(frame["data"]["data"].get(k) == v for k, v in data.items())


def seen(kind: str, **data: Any) -> Callable[[list[Frame]], bool]:
    return lambda frames: any(text_frame(f, kind, **data) for f in frames)


def count(kind: str, wanted: int, **data: Any) -> Callable[[list[Frame]], bool]:
    return lambda frames: sum(text_frame(f, kind, **data) for f in frames) >= wanted
