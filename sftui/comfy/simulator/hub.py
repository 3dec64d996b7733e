"""WebSocket fan-out with ComfyUI's addressing rules.

Messages go through one queue and one publisher task, as in ComfyUI's
``send_sync``/``publish_loop``: the order is kept, and HTTP replies can
overtake frames. ``sid=None`` means "every socket"; a named sid that has no
socket silently loses the message.
"""

from __future__ import annotations

import asyncio
import json
import logging
import struct
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

PREVIEW_IMAGE = 1
PREVIEW_IMAGE_WITH_METADATA = 4
IMAGE_FORMATS = {"JPEG": 1, "PNG": 2}


def preview_frame(image_format: str, image: bytes) -> bytes:
    """Binary type 1: ``[u32 1][u32 format][image]``."""
    return struct.pack(">II", PREVIEW_IMAGE, IMAGE_FORMATS[image_format]) + image


def preview_frame_with_metadata(image_format: str, image: bytes, metadata: dict[str, Any]) -> bytes:
    """Binary type 4: ``[u32 4][u32 N][N bytes of JSON metadata][image]``."""
    meta = dict(metadata, image_type="image/png" if image_format == "PNG" else "image/jpeg")
    encoded = json.dumps(meta).encode("utf-8")
    return struct.pack(">II", PREVIEW_IMAGE_WITH_METADATA, len(encoded)) + encoded + image


class Hub:
    def __init__(self) -> None:
        self.sockets: dict[str, web.WebSocketResponse] = {}
        self.flags: dict[str, dict[str, Any]] = {}
        self.transports: set[asyncio.BaseTransport] = set()
        self._queue: asyncio.Queue[tuple[str, Any, str | None]] = asyncio.Queue()
        self._publisher: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._publisher = asyncio.get_running_loop().create_task(self._publish())

    async def stop(self) -> None:
        """Cut every socket without a close frame: clients see a dead server (code 1006)."""
        if self._publisher is not None:
            self._publisher.cancel()
            await asyncio.gather(self._publisher, return_exceptions=True)
        for transport in list(self.transports):
            transport.abort()  # type: ignore[attr-defined]
        self.transports.clear()
        self.sockets.clear()
        self.flags.clear()

    def supports_metadata(self, sid: str | None) -> bool:
        return sid is not None and self.flags.get(sid, {}).get("supports_preview_metadata", False) is True

    def send_sync(self, event: str, data: Any, sid: str | None = None) -> None:
        """Queue a JSON message (``data`` dict) or a binary frame (``data`` bytes)."""
        self._queue.put_nowait((event, data, sid))

    async def send_now(self, event: str, data: Any, sid: str | None) -> None:
        """Send at once, bypassing the queue (the greeting of a new socket)."""
        await self._deliver(event, data, sid)

    async def _publish(self) -> None:
        while True:
            event, data, sid = await self._queue.get()
            await self._deliver(event, data, sid)

    async def _deliver(self, event: str, data: Any, sid: str | None) -> None:
        targets = list(self.sockets.values()) if sid is None else [self.sockets[sid]] if sid in self.sockets else []
        for ws in targets:
            try:
                if isinstance(data, (bytes, bytearray)):
                    await ws.send_bytes(bytes(data))
                else:
                    await ws.send_str(json.dumps({"type": event, "data": data}))
            except (ConnectionError, RuntimeError) as err:
                log.debug("simulator: send error: %s", err)
