from __future__ import annotations

import base64
import io
import json
import logging
import struct
from pathlib import Path

import pytest
from PIL import Image

from sftui.comfy import events as ev
from sftui.comfy.frames import MAX_FRAME_BYTES


def _transcript_lines(reference_dir: Path) -> list[tuple[str, dict]]:
    lines = []
    for path in sorted(reference_dir.glob("ws_transcript_*.jsonl")):
        for line in path.read_text().splitlines():
            lines.append((path.name, json.loads(line)))
    return lines


def test_every_captured_text_frame_parses_to_its_type(reference_dir: Path) -> None:
    seen: set[str] = set()
    for name, entry in _transcript_lines(reference_dir):
        if entry["dir"] not in ("recv", "send") or entry["kind"] != "text":
            continue
        for raw in (json.dumps(entry["data"]), json.dumps(entry["data"]).encode()):
            event = ev.parse_text_frame(raw)
            assert event is not None, (name, entry["data"])
            assert event.type == entry["data"]["type"]
        seen.add(event.type)
    assert seen == set(ev.EVENT_TYPES)


def test_captured_fields_land_in_the_models(reference_dir: Path) -> None:
    by_type: dict[str, list[ev.ComfyEvent]] = {}
    for _, entry in _transcript_lines(reference_dir):
        if entry["dir"] == "recv" and entry["kind"] == "text":
            event = ev.parse_text_frame(json.dumps(entry["data"]))
            by_type.setdefault(event.type, []).append(event)  # type: ignore[union-attr]
    status = by_type["status"][0]
    assert isinstance(status, ev.Status) and status.queue_remaining == 0 and status.sid
    progress = [e for e in by_type["progress"] if isinstance(e, ev.Progress) and e.max == 4]
    assert [p.value for p in progress[:4]] == [1, 2, 3, 4] and progress[0].node == "5"
    error = by_type["execution_error"][0]
    assert isinstance(error, ev.ExecutionError)
    assert (error.node_id, error.node_type, error.exception_type) == ("4", "ImageBatch", "RuntimeError")
    assert error.traceback and error.timestamp
    replayed = [e for e in by_type["executing"] if isinstance(e, ev.Executing) and e.prompt_id is None]
    assert [(e.node, e.display_node) for e in replayed] == [("11", None)]
    ends = [e for e in by_type["executing"] if isinstance(e, ev.Executing) and e.node is None]
    assert ends and all(e.prompt_id for e in ends)
    flags = by_type["feature_flags"][0]
    assert isinstance(flags, ev.FeatureFlags) and flags.supports_preview_metadata and flags.max_upload_size == 104857600
    executed = by_type["executed"][0]
    assert isinstance(executed, ev.Executed) and executed.output
    state = by_type["progress_state"][0]
    assert isinstance(state, ev.ProgressState) and all(n.state in ("running", "finished") for n in state.nodes.values())


def test_every_captured_binary_frame_decodes(reference_dir: Path) -> None:
    count = 0
    for name, entry in _transcript_lines(reference_dir):
        if entry.get("kind") != "binary":
            continue
        preview = ev.parse_binary_frame(base64.b64decode(entry["b64"]))
        assert preview is not None, name
        assert preview.event_type == entry["event_type"]
        assert preview.image[:8].hex() == entry["image_magic_hex"]
        if entry["event_type"] == 4:
            meta = entry["metadata"]
            assert (preview.prompt_id, preview.node_id, preview.display_node_id) == (meta["prompt_id"], meta["node_id"], meta["display_node_id"])
            assert preview.image_type == meta["image_type"]
        else:
            assert preview.prompt_id is None
            assert preview.image_type == {"JPEG": "image/jpeg", "PNG": "image/png"}[entry["image_format"]]
        with Image.open(io.BytesIO(preview.image)) as image:
            image.load()
            assert image.format == preview.image_type.split("/")[1].upper().replace("JPG", "JPEG")
        count += 1
    assert count == 13  # 4 + 3 KSampler (type 1), 4 with metadata, 2 SaveImageWebsocket PNGs


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        b"\xff\xfe",
        "[]",
        '{"type": 1, "data": {}}',
        '{"type": "executing"}',
        '{"type": "executing", "data": []}',
        '{"type": "progress", "data": {"value": "half", "max": 4}}',
        '{"type": "execution_start", "data": {}}',
        '{"type": "crystools.monitor", "data": {"cpu": 3}}',
    ],
)
def test_bad_text_frames_are_skipped_and_logged(raw: str | bytes, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="sftui.comfy"):
        assert ev.parse_text_frame(raw) is None
    assert caplog.records, "the skip must be logged"


def _frame(kind: int, second: int, payload: bytes) -> bytes:
    return struct.pack(">II", kind, second) + payload


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00\x00\x00\x01",
        _frame(1, 3, b"\xff\xd8image"),
        _frame(1, 1, b""),
        _frame(4, 500, b'{"node_id": "5"}'),
        _frame(4, 5, b"{nope" + b"\xff\xd8"),
        _frame(4, 2, b"[]" + b"\xff\xd8"),
        _frame(4, 16, b'{"node_id": "5"}'),
        _frame(4, 16, b'{"node_id": "5"}' + b"\xff\xd8"),  # no image_type
        _frame(3, 0, b"text"),
        _frame(2, 0, b"raw"),
    ],
)
def test_bad_binary_frames_are_skipped_and_logged(data: bytes, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="sftui.comfy"):
        assert ev.parse_binary_frame(data) is None
    assert caplog.records


def test_oversized_frames_are_skipped(caplog: pytest.LogCaptureFixture) -> None:
    big = _frame(1, 1, b"\xff\xd8" + bytes(MAX_FRAME_BYTES))
    with caplog.at_level(logging.WARNING, logger="sftui.comfy"):
        assert ev.parse_binary_frame(big) is None
        assert ev.parse_text_frame('{"type": "status", "data": {"pad": "' + "x" * MAX_FRAME_BYTES + '"}}') is None
    assert len(caplog.records) == 2


def test_type4_metadata_with_int_ids_is_normalised() -> None:
    meta = json.dumps({"node_id": 5, "prompt_id": "p", "display_node_id": 5, "image_type": "image/png"}).encode()
    preview = ev.parse_binary_frame(_frame(4, len(meta), meta + b"\x89PNG"))
    assert preview is not None and preview.node_id == "5" and preview.image == b"\x89PNG"
