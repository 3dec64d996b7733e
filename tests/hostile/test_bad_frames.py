"""Malformed JSON frames, unknown types and binary frames of the wrong length are skipped and
logged; the socket stays up and the generation completes."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.hostile.fake_comfy import FakeComfy

RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _text(kind: object, data: object) -> str:
    return json.dumps({"type": kind, "data": data})


def _meta_frame(meta: bytes, image: bytes = b"\xff\xd8jpeg", declared: int | None = None) -> bytes:
    return struct.pack(">II", 4, len(meta) if declared is None else declared) + meta + image


# (frame, what the log must say about it); frames that name the prompt get its id.
MALFORMED = [
    ("not json{", "skipping a text frame that is not JSON"),
    (_text(5, {}), "skipping a text frame without a string 'type' and an object 'data'"),
    ("[1, 2, 3]", "skipping a text frame without a string 'type' and an object 'data'"),
    (lambda pid: _text("progress", {"value": "lots", "max": 10, "prompt_id": pid, "node": "3"}), "skipping a malformed 'progress' frame: value"),
    (lambda pid: _text("executed", {"prompt_id": pid}), "skipping a malformed 'executed' frame: node"),
    (lambda pid: _text("executing", {"node": {"x": 1}, "prompt_id": pid}), "skipping a malformed 'executing' frame: node"),
    (b"", "skipping a 0-byte binary frame: shorter than its 8-byte header"),
    (b"\x00\x00\x00\x01", "skipping a 4-byte binary frame: shorter than its 8-byte header"),
    (struct.pack(">II", 1, 7) + b"image", "skipping a preview frame with unknown image format 7"),
    (struct.pack(">II", 1, 1), "skipping a preview frame without image bytes"),
    (_meta_frame(b"{}", declared=1000), "metadata length 1000 exceeds the"),
    (_meta_frame(b"{not json"), "skipping a preview frame with unreadable metadata"),
    (lambda pid: _meta_frame(json.dumps({"prompt_id": pid, "node_id": "3"}).encode()), "skipping a preview frame whose metadata has no image_type"),
]
UNKNOWN = [
    (_text("crystools.monitor", {"cpu_utilization": 3}), "skipping a text frame of unknown type 'crystools.monitor'"),
    (_text("\x1b]52;c;cm0gLXJm\x07evil", {}), "skipping a text frame of unknown type '\\x1b]52;c;cm0gLXJm\\x07evil'"),
    (struct.pack(">II", 99, 0) + b"whatever", "skipping a binary frame of unknown type 99"),
]


@pytest.mark.parametrize("debug", [False, True], ids=["info", "debug"])
def test_bad_frames_are_skipped_and_logged(fake: FakeComfy, tmp_path: Path, log_file: Path, debug: bool) -> None:
    fake.frames = [frame for frame, _ in MALFORMED + UNKNOWN]
    proc = run_cli("generate", "--server", fake.url, "--prompt", "frames", "--db", str(tmp_path / "f.db"), "--json", env={"SFTUI_DEBUG": "1"} if debug else {})
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads(proc.stdout.splitlines()[-1])["data"]["status"] == "completed"
    assert len(fake.ws_upgrades) == 1  # nothing here is worth dropping the socket for

    log = log_file.read_text(encoding="utf-8")
    for _, message in MALFORMED:
        assert message in log, message
    skipped = [line for line in log.splitlines() if " WARNING " in line and "skipping a" in line]
    assert len(skipped) == len(MALFORMED)
    # Node packs broadcast their own types every second: only a debug log lists them.
    for _, message in UNKNOWN:
        assert (message in log) is debug, message
    assert not RAW.search(log)
