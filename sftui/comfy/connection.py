"""The WebSocket side: connection state, reconnect schedule, and opening the socket."""

from __future__ import annotations

import json
import logging
import random
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict
from websockets.asyncio.client import ClientConnection, connect

from sftui.comfy.frames import MAX_FRAME_BYTES

if TYPE_CHECKING:
    from sftui.comfy.client import ComfyClient

# Sent first on every connect: the server only honours feature_flags as the first
# message, and with it previews arrive as type 4 frames that name their prompt.
FEATURE_FLAGS_MESSAGE = json.dumps({"type": "feature_flags", "data": {"supports_preview_metadata": True}})

# websockets drops the connection on a frame above max_size. A little headroom over
# the parser's cap lets a slightly oversized frame be skipped rather than cost a
# reconnect, and max_queue bounds what is buffered: at worst 8 such frames.
_TRANSPORT_MAX_SIZE = MAX_FRAME_BYTES + 2**20
_TRANSPORT_MAX_QUEUE = 8


class ConnectionState(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: Literal["connecting", "connected", "reconnecting", "closed"]
    attempt: int = 0
    retry_in: float | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class BackoffPolicy:
    """Capped exponential backoff with full jitter: delay ~ U(0, min(cap, initial * 2^(attempt-1)))."""

    initial: float = 0.5
    cap: float = 30.0
    multiplier: float = 2.0

    def bound(self, attempt: int) -> float:
        exponent = max(0, attempt - 1)
        # Avoid float overflow for very long outages: past the cap the bound stays put.
        if exponent > 64:
            return self.cap
        return min(self.cap, self.initial * self.multiplier**exponent)

    def delay(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        return self.bound(attempt) * rng()


class _RedactingLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """websockets logs every handshake header at DEBUG; ours may carry credentials."""

    def __init__(self, header_names: set[str]) -> None:
        super().__init__(logging.getLogger("websockets.client"), {})
        self._hidden = {name.lower() for name in header_names} | {"authorization", "cookie", "proxy-authorization"}

    def log(self, level: int, msg: object, *args: object, **kwargs: object) -> None:
        if msg == "> %s: %s" and len(args) == 2 and str(args[0]).lower() in self._hidden:
            args = (args[0], "<redacted>")
        super().log(level, msg, *args, **kwargs)  # type: ignore[arg-type]


def client_ssl_context(verify: bool) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


async def open_socket(client: ComfyClient) -> ClientConnection:
    """Open ``/ws?clientId=...`` with the client's headers and announce our feature flags."""
    secure = client.ws_url.startswith("wss://")
    ws = await connect(
        client.ws_url,
        additional_headers=client.headers or None,
        # origin=None: websockets sends no Origin header, which ComfyUI requires of non-browsers.
        origin=None,
        # No permessage-deflate: the bulk of the stream is JPEG preview frames, which do not
        # shrink, yet each was deflated by the server and inflated here (~1.3 ms of client CPU
        # per frame, half of what a progress event cost the TUI); status JSON is ~100 bytes.
        compression=None,
        ssl=client_ssl_context(client.verify) if secure else None,
        open_timeout=client.connect_timeout,
        max_size=_TRANSPORT_MAX_SIZE,
        max_queue=_TRANSPORT_MAX_QUEUE,
        ping_interval=20,
        ping_timeout=20,
        close_timeout=2,
        logger=_RedactingLogger(set(client.headers)),
    )
    try:
        await ws.send(FEATURE_FLAGS_MESSAGE)
    except BaseException:
        await ws.close()
        raise
    return ws


def describe_ws_error(exc: BaseException) -> str:
    """A short, credential-free reason for a failed or dropped socket."""
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if status is not None:
        return f"server refused the WebSocket (HTTP {status})"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "timed out while connecting"
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
