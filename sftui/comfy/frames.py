"""Binary WebSocket frames sent by ComfyUI (latent previews).

Layouts, as captured from a real server:

- type 1 ``PREVIEW_IMAGE``: ``[u32 BE 1][u32 BE format: 1=JPEG, 2=PNG][image]``.
  It names no prompt: the receiver must know what is running.
- type 4 ``PREVIEW_IMAGE_WITH_METADATA`` (only after the client announced
  ``supports_preview_metadata``): ``[u32 BE 4][u32 BE N][N bytes JSON][image]``.

A frame that does not fit is logged and skipped: one bad preview must never
take down the connection that also carries the prompt's outcome.
"""

from __future__ import annotations

import json
import logging
import struct

from pydantic import BaseModel, ConfigDict

log = logging.getLogger(__name__)

# Previews are a few hundred KB at most; anything near this is not a preview.
MAX_FRAME_BYTES = 32 * 2**20

PREVIEW_IMAGE = 1
PREVIEW_IMAGE_WITH_METADATA = 4

_LEGACY_FORMATS = {1: "image/jpeg", 2: "image/png"}
_HEADER = struct.Struct(">II")


class PreviewImage(BaseModel):
    """A decoded preview frame; metadata fields are ``None`` for type 1."""

    # Built on first use: previews arrive while the server works (see ``events.WHILE_RUNNING``).
    model_config = ConfigDict(frozen=True, defer_build=True)

    event_type: int
    image: bytes
    image_type: str
    prompt_id: str | None = None
    node_id: str | None = None
    display_node_id: str | None = None
    parent_node_id: str | None = None
    real_node_id: str | None = None


def parse_binary_frame(data: bytes) -> PreviewImage | None:
    """Decode a binary frame, or log why not and return ``None``."""
    if len(data) > MAX_FRAME_BYTES:
        log.warning("skipping a %d-byte binary frame (limit %d)", len(data), MAX_FRAME_BYTES)
        return None
    if len(data) < _HEADER.size:
        log.warning("skipping a %d-byte binary frame: shorter than its 8-byte header", len(data))
        return None
    event_type, second = _HEADER.unpack_from(data)
    if event_type == PREVIEW_IMAGE:
        return _legacy_preview(second, bytes(data[_HEADER.size :]))
    if event_type == PREVIEW_IMAGE_WITH_METADATA:
        return _metadata_preview(second, bytes(data[_HEADER.size :]))
    # Debug only: newer servers may stream such frames (e.g. type 3 progress text) all the time.
    log.debug("skipping a binary frame of unknown type %d (%d bytes)", event_type, len(data))
    return None


def _legacy_preview(image_format: int, image: bytes) -> PreviewImage | None:
    image_type = _LEGACY_FORMATS.get(image_format)
    if image_type is None:
        log.warning("skipping a preview frame with unknown image format %d", image_format)
        return None
    if not image:
        log.warning("skipping a preview frame without image bytes")
        return None
    return PreviewImage(event_type=PREVIEW_IMAGE, image=image, image_type=image_type)


def _metadata_preview(meta_len: int, rest: bytes) -> PreviewImage | None:
    if meta_len > len(rest):
        log.warning("skipping a preview frame: metadata length %d exceeds the %d bytes that follow", meta_len, len(rest))
        return None
    try:
        meta = json.loads(rest[:meta_len].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        log.warning("skipping a preview frame with unreadable metadata: %s", exc)
        return None
    image = rest[meta_len:]
    if not isinstance(meta, dict) or not image:
        log.warning("skipping a preview frame: metadata is not an object or the image is empty")
        return None
    fields = {key: _opt_str(meta.get(key)) for key in ("prompt_id", "node_id", "display_node_id", "parent_node_id", "real_node_id")}
    image_type = meta.get("image_type")
    if not isinstance(image_type, str) or not image_type:
        log.warning("skipping a preview frame whose metadata has no image_type")
        return None
    return PreviewImage(event_type=PREVIEW_IMAGE_WITH_METADATA, image=image, image_type=image_type, **fields)


def _opt_str(value: object) -> str | None:
    # Node ids are strings on the wire; a custom server sending ints still means the same node.
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)
