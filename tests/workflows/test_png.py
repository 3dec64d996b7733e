"""Workflows embedded in PNG files (ComfyUI and A1111), and broken or hostile PNGs."""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from sftui.errors import WorkflowError
from sftui.workflows.formats import load_workflow, load_workflow_file
from sftui.workflows.pngmeta import read_png_text

API = {"1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}}, "2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}}}
UI = {"nodes": [{"id": 1, "type": "EmptyImage", "widgets_values": [8, 8, 1, 0]}], "links": []}
INFOTEXT = 'a lighthouse, "stormy"\nNegative prompt: people\nSteps: 28, Sampler: DPM++ 2M, Schedule type: Karras, CFG scale: 5.5, Seed: 77, Size: 832x1216, Model hash: abc123, Model: sdxl_base.safetensors, Lora hashes: "a: 1, b: 2"'


def png_with(info: PngImagePlugin.PngInfo | None = None) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def chunk_types(data: bytes) -> list[bytes]:
    types, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        types.append(data[pos + 4 : pos + 8])
        pos += 12 + length
    return types


def raw_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def with_chunk(kind: bytes, body: bytes) -> bytes:
    """A valid 4x4 PNG with one extra chunk right after IHDR."""
    base = png_with()
    return base[:33] + raw_chunk(kind, body) + base[33:]


def test_real_comfyui_png_with_prompt_only(reference_dir: Path) -> None:
    loaded = load_workflow_file(reference_dir / "ksampler_output.png")
    assert (loaded.detected, loaded.source_format) == ("ComfyUI PNG (prompt only)", "api")
    assert loaded.api_prompt["1"]["inputs"]["ckpt_name"] == "tiny_sd15_random.safetensors"
    assert loaded.ui_graph is None
    plain = load_workflow_file(reference_dir / "model_free_no_extra_output.png")
    assert plain.detected == "ComfyUI PNG (prompt only)" and plain.api_prompt["1"]["class_type"] == "EmptyImage"


def test_real_comfyui_png_with_workflow_and_prompt(reference_dir: Path) -> None:
    loaded = load_workflow_file(reference_dir / "model_free_view_node4_output.png")
    assert loaded.detected == "ComfyUI PNG (workflow + prompt)"
    assert loaded.ui_graph is not None and loaded.ui_graph["last_node_id"] == 5
    assert loaded.api_prompt is not None


def test_a1111_png_written_with_pillow() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", INFOTEXT)
    data = png_with(info)
    assert b"tEXt" in chunk_types(data)
    loaded = load_workflow(data, source="a1111.png")
    assert (loaded.detected, loaded.source_format) == ("A1111 PNG infotext", "a1111")
    assert loaded.a1111.prompt == 'a lighthouse, "stormy"'
    assert loaded.a1111.negative_prompt == "people"
    assert loaded.a1111.parameters == {
        "steps": 28, "cfg_scale": 5.5, "seed": 77, "width": 832, "height": 1216,
        "sampler_name": "dpmpp_2m", "scheduler": "karras", "checkpoint_name": "sdxl_base.safetensors",
    }  # fmt: skip
    assert loaded.a1111.raw["Lora hashes"] == "a: 1, b: 2"
    assert loaded.a1111.raw["Model hash"] == "abc123"


@pytest.mark.parametrize(
    "add,kinds",
    [
        (lambda info, k, v: info.add_itxt(k, v, zip=False), b"iTXt"),
        (lambda info, k, v: info.add_itxt(k, v, zip=True), b"iTXt"),
        (lambda info, k, v: info.add_text(k, v, zip=True), b"zTXt"),
    ],
)
def test_itxt_and_ztxt_chunks(add, kinds: bytes) -> None:
    info = PngImagePlugin.PngInfo()
    add(info, "workflow", json.dumps(UI))
    add(info, "prompt", json.dumps(API))
    data = png_with(info)
    assert chunk_types(data).count(kinds) == 2
    loaded = load_workflow(data, source="x.png")
    assert loaded.detected == "ComfyUI PNG (workflow + prompt)"
    assert (loaded.ui_graph, loaded.api_prompt) == (UI, API)


def test_workflow_only_png_and_text_larger_than_pillows_default_limit() -> None:
    big = dict(UI, extra={"note": "x" * (3 * 1024 * 1024)})
    info = PngImagePlugin.PngInfo()
    info.add_text("workflow", json.dumps(big), zip=True)
    loaded = load_workflow(png_with(info), source="big.png")
    assert (loaded.detected, loaded.source_format) == ("ComfyUI PNG (workflow only)", "ui")
    assert len(loaded.ui_graph["extra"]["note"]) == 3 * 1024 * 1024


def test_unicode_itxt_text_is_decoded() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_itxt("parameters", "ein Fuchs im Schnee ❄\nSteps: 4, Sampler: Euler, Seed: 1")
    assert read_png_text(png_with(info))["parameters"].startswith("ein Fuchs im Schnee ❄")


def message(data: bytes, source: str = "x.png") -> str:
    with pytest.raises(WorkflowError) as excinfo:
        load_workflow(data, source=source)
    assert "\n" not in str(excinfo.value)
    return str(excinfo.value)


def test_png_without_metadata() -> None:
    assert message(png_with()) == "PNG x.png has no workflow metadata: no 'prompt', 'workflow' or 'parameters' text chunk"


def test_truncated_and_corrupt_pngs(reference_dir: Path) -> None:
    real = (reference_dir / "ksampler_output.png").read_bytes()
    idat_length = struct.unpack(">I", real[real.index(b"IDAT") - 4 : real.index(b"IDAT")])[0]
    assert message(real[:-20]) == f"PNG x.png is truncated: a chunk claims {idat_length} bytes but only {idat_length - 4} remain"
    assert message(real[:-12]) == "PNG x.png is truncated or corrupt: it ends before its IEND chunk"
    text_at = real.index(b"tEXt") + 10
    flipped = real[:text_at] + bytes([real[text_at] ^ 1]) + real[text_at + 1 :]
    assert message(flipped) == "PNG x.png is corrupt: bad checksum in its tEXt chunk"
    assert message(real[:8] + b"garbage" * 10) == "PNG x.png is corrupt: it does not start with an IHDR chunk"
    assert message(real[:12]) == "PNG x.png is truncated or corrupt: it ends before its IEND chunk"
    bad_header = real[:16] + struct.pack(">II", 0, 0) + real[24:29]
    bad_header = bad_header[:29] + struct.pack(">I", zlib.crc32(bad_header[12:29])) + real[33:]
    assert message(bad_header).startswith("PNG x.png is corrupt or truncated: ")


def test_metadata_that_is_not_a_workflow() -> None:
    bad_json = with_chunk(b"tEXt", b"prompt\0{not json")
    assert message(bad_json) == "invalid JSON in the prompt chunk of PNG x.png at line 1, column 2: Expecting property name enclosed in double quotes"
    info = PngImagePlugin.PngInfo()
    info.add_text("prompt", json.dumps({"a": 1}))
    assert message(png_with(info)) == "PNG x.png has prompt/workflow text chunks, but neither holds a ComfyUI workflow"


def test_text_chunk_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sftui.workflows.pngmeta.MAX_PNG_TEXT_CHUNK", 1000)
    large = with_chunk(b"tEXt", b"workflow\0" + b"x" * 2000)
    assert message(large) == "PNG x.png has a tEXt chunk of 2009 bytes, more than 1000 bytes (MAX_PNG_TEXT_CHUNK)"
    bomb = with_chunk(b"zTXt", b"workflow\0\0" + zlib.compress(b" " * 50_000))
    assert message(bomb) == "PNG x.png: text chunk 'workflow' inflates to more than 1000 bytes (MAX_PNG_TEXT_CHUNK)"


def test_decompression_bomb_dimensions() -> None:
    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + raw_chunk(b"IHDR", ihdr) + raw_chunk(b"tEXt", b"prompt\0{}") + raw_chunk(b"IEND", b"")
    assert message(data, "huge.png") == (
        "PNG huge.png declares more pixels than Pillow's decompression-bomb limit (Image.MAX_IMAGE_PIXELS); refusing to read it"
    )
