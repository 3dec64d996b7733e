"""Writes the committed bad-input corpus in ``tests/corpus/files/`` (run it after changing a case).

    .venv/bin/python -m tests.corpus.build_corpus

Each file is made from a small valid workflow with one thing broken, so a case
tests exactly one fault. Files too big to commit (10^6 nodes, a 30 MB PNG text
chunk, a zlib bomb, a 65 MB file) are made at test time by ``generated.py``.
What each file must produce is listed in ``cases.toml``, not here.
"""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path
from typing import Any, Callable

from PIL import Image, PngImagePlugin

FILES = Path(__file__).resolve().parent / "files"

# Text that is valid but hostile to terminals; it must be stored verbatim and printed inert.
HOSTILE = {
    "markup": "[bold red]loud[/bold red] [link=https://evil.example]click[/link] [/] [reverse]x",
    "ansi": "\x1b[2J\x1b[H\x1b[31mred\x1b[0m \x1b[?1049h\x1b[6n",
    "osc52": "copy \x1b]52;c;ZWNobyBwd25lZCA+PiB+Ly5iYXNocmM=\x07 done",
    "osc8": "\x1b]8;;https://evil.example\x1b\\innocent link\x1b]8;;\x1b\\ and \x1b]0;new title\x07",
    "bidi": "photo\u202egnp.exe \u2067isolated\u2069 \u202aLRE\u202c \u200fRLM \u061cALM",
    "zero-width": "zero\u200bwidth\u200cnon\u200djoiner\u2060word\ufeffbom",
    "c1": "8-bit \x9b31mCSI\x9b0m \x9d0;title\x9c \x85NEL",
}

ALL_TEXT = " | ".join(HOSTILE.values())
# The browser strips // and /* */ comments from prompt widgets (dynamic prompts) and the
# conversion does the same, so the UI graph's prompt carries its URLs without "//".
UI_TEXT = ALL_TEXT.replace("https://", "https:")


def api_prompt() -> dict[str, Any]:
    """Checkpoint → LoRA → two text encoders → latent → KSampler → decode → save."""
    return {
        "3": {"class_type": "KSampler", "inputs": {
            "seed": 42, "steps": 2, "cfg": 7.0, "sampler_name": "euler", "scheduler": "normal", "denoise": 1.0,
            "model": ["10", 0], "positive": ["6", 0], "negative": ["7", 0], "latent_image": ["5", 0]}},
        "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"}},
        "5": {"class_type": "EmptyLatentImage", "inputs": {"width": 512, "height": 512, "batch_size": 1}},
        "6": {"class_type": "CLIPTextEncode", "inputs": {"text": "a red fox", "clip": ["10", 1]}, "_meta": {"title": "Positive"}},
        "7": {"class_type": "CLIPTextEncode", "inputs": {"text": "blurry", "clip": ["10", 1]}, "_meta": {"title": "Negative"}},
        "8": {"class_type": "VAEDecode", "inputs": {"samples": ["3", 0], "vae": ["4", 2]}},
        "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "corpus", "images": ["8", 0]}},
        "10": {"class_type": "LoraLoader", "inputs": {
            "lora_name": "detail_tweaker_xl.safetensors", "strength_model": 0.8, "strength_clip": 0.8, "model": ["4", 0], "clip": ["4", 1]}},
    }  # fmt: skip


def _node(node_id: int, kind: str, inputs: list | None = None, outputs: list | None = None, widgets: list | None = None, title: str | None = None) -> dict:
    node = {
        "id": node_id, "type": kind, "pos": [0, 0], "size": [200, 100], "flags": {}, "order": 0, "mode": 0,
        "inputs": [{"name": n, "type": t, "link": link} for n, t, link in inputs or []],
        "outputs": [{"name": n, "type": t, "links": links} for n, t, links in outputs or []],
        "properties": {"Node name for S&R": kind}, "widgets_values": widgets or [],
    }  # fmt: skip
    if title is not None:
        node["title"] = title
    return node


def ui_graph() -> dict[str, Any]:
    """The same graph as the browser saves it (litegraph, links as arrays)."""
    nodes = [
        _node(4, "CheckpointLoaderSimple", outputs=[("MODEL", "MODEL", [1]), ("CLIP", "CLIP", [10]), ("VAE", "VAE", [8])], widgets=["sd_xl_base_1.0.safetensors"]),
        _node(10, "LoraLoader", inputs=[("model", "MODEL", 1), ("clip", "CLIP", 10)], outputs=[("MODEL", "MODEL", [11]), ("CLIP", "CLIP", [3, 5])],
              widgets=["detail_tweaker_xl.safetensors", 0.8, 0.8]),
        _node(6, "CLIPTextEncode", inputs=[("clip", "CLIP", 3)], outputs=[("CONDITIONING", "CONDITIONING", [4])], widgets=["a red fox"], title="Positive"),
        _node(7, "CLIPTextEncode", inputs=[("clip", "CLIP", 5)], outputs=[("CONDITIONING", "CONDITIONING", [6])], widgets=["blurry"], title="Negative"),
        _node(5, "EmptyLatentImage", outputs=[("LATENT", "LATENT", [2])], widgets=[512, 512, 1]),
        _node(3, "KSampler", inputs=[("model", "MODEL", 11), ("positive", "CONDITIONING", 4), ("negative", "CONDITIONING", 6), ("latent_image", "LATENT", 2)],
              outputs=[("LATENT", "LATENT", [7])], widgets=[42, "fixed", 2, 7.0, "euler", "normal", 1.0]),
        _node(8, "VAEDecode", inputs=[("samples", "LATENT", 7), ("vae", "VAE", 8)], outputs=[("IMAGE", "IMAGE", [9])]),
        _node(9, "SaveImage", inputs=[("images", "IMAGE", 9)], widgets=["corpus"]),
    ]  # fmt: skip
    links = [
        [1, 4, 0, 10, 0, "MODEL"], [10, 4, 1, 10, 1, "CLIP"], [11, 10, 0, 3, 0, "MODEL"], [2, 5, 0, 3, 3, "LATENT"],
        [3, 10, 1, 6, 0, "CLIP"], [4, 6, 0, 3, 1, "CONDITIONING"], [5, 10, 1, 7, 0, "CLIP"], [6, 7, 0, 3, 2, "CONDITIONING"],
        [7, 3, 0, 8, 0, "LATENT"], [8, 4, 2, 8, 1, "VAE"], [9, 8, 0, 9, 0, "IMAGE"],
    ]  # fmt: skip
    return {"last_node_id": 10, "last_link_id": 11, "nodes": nodes, "links": links, "groups": [], "config": {}, "extra": {}, "version": 0.4}


def _api(change: Callable[[dict], Any]) -> str:
    prompt = api_prompt()
    change(prompt)
    return json.dumps(prompt, indent=1, ensure_ascii=True)


def _ui(change: Callable[[dict], Any]) -> str:
    graph = ui_graph()
    change(graph)
    return json.dumps(graph, indent=1, ensure_ascii=True)


def _node_of(graph: dict, node_id: int) -> dict:
    return next(n for n in graph["nodes"] if isinstance(n, dict) and n.get("id") == node_id)


def _set(node: str, **inputs: Any) -> Callable[[dict], None]:
    return lambda p: p[node]["inputs"].update(inputs)


def png(texts: list[tuple[str, str]] = (), size: tuple[int, int] = (8, 8)) -> bytes:  # type: ignore[assignment]
    image = Image.new("RGB", size, (180, 40, 30))
    info = PngImagePlugin.PngInfo()
    for key, value in texts:
        info.add_text(key, value)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_with(*chunks: bytes, ihdr: bytes | None = None) -> bytes:
    header = ihdr if ihdr is not None else struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + b"".join(chunks) + chunk(b"IEND", b"")


def _cycle() -> str:
    return json.dumps({
        "1": {"class_type": "EmptyImage", "inputs": {"width": 64, "height": 64, "batch_size": 1, "color": 0}},
        "2": {"class_type": "ImageInvert", "inputs": {"image": ["3", 0]}},
        "3": {"class_type": "ImageInvert", "inputs": {"image": ["2", 0]}},
        "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "cycle"}},
    }, indent=1)  # fmt: skip


def _ui_cycle(graph: dict) -> None:
    # KSampler's latent comes from its own decoder's output: a loop through two nodes.
    graph["links"].append([12, 8, 0, 3, 3, "LATENT"])
    _node_of(graph, 3)["inputs"][3]["link"] = 12


def _self_subgraph(graph: dict) -> None:
    sub_id = "11111111-1111-4111-8111-111111111111"
    inner = {"id": 1, "type": sub_id, "inputs": [], "outputs": [], "mode": 0}
    graph["definitions"] = {"subgraphs": [{"id": sub_id, "name": "loop", "nodes": [inner], "links": [], "inputs": [], "outputs": []}]}
    graph["nodes"].append({"id": 20, "type": sub_id, "inputs": [], "outputs": [], "mode": 0})


def _a1111(params: str, prompt: str = "a red fox, detailed", negative: str = "blurry") -> str:
    return f"{prompt}\nNegative prompt: {negative}\n{params}\n"


def text_files() -> dict[str, str | bytes]:
    api_text = json.dumps(api_prompt(), indent=1)
    files: dict[str, str | bytes] = {
        # -- encodings and JSON syntax
        "truncated.json": api_text[: len(api_text) // 2],
        "truncated-at-value.json": api_text[: api_text.index('"steps"') + 9],
        "bom-truncated.json": b"\xef\xbb\xbf" + api_text[:200].encode(),
        "bom-api.json": b"\xef\xbb\xbf" + api_text.encode(),
        "utf16le-bom.json": api_text.encode("utf-16"),
        "utf16be-no-bom.json": api_text.encode("utf-16-be"),
        "utf32le.json": api_text.encode("utf-32-le"),
        "latin1.json": api_text.replace("a red fox", "caf\u00e9 fox").encode("latin-1"),
        "binary-garbage.bin": bytes(range(256)) * 8,
        "empty.json": "",
        "whitespace-only.json": " \n\t\n",
        "nan.json": api_text.replace('"cfg": 7.0', '"cfg": NaN'),
        "infinity.json": api_text.replace('"cfg": 7.0', '"cfg": Infinity'),
        "negative-infinity.json": api_text.replace('"denoise": 1.0', '"denoise": -Infinity'),
        "lone-surrogate.json": api_text.replace("a red fox", "a red \\ud800 fox"),
        "deep-nesting.json": '{"1": {"class_type": "X", "inputs": {"v": ' + "[" * 400 + "]" * 400 + "}}}",
        # -- values
        "seed-2pow64.json": _api(_set("3", seed=2**64)),
        "seed-1e30.json": _api(_set("3", seed=10**30)),
        "seed-negative.json": _api(_set("3", seed=-7)),
        "seed-float.json": _api(_set("3", seed=1.5)),
        "width-zero.json": _api(_set("5", width=0)),
        "width-negative.json": _api(_set("5", width=-512)),
        "height-huge.json": _api(_set("5", height=10**9)),
        "steps-zero.json": _api(_set("3", steps=0)),
        "batch-negative.json": _api(_set("5", batch_size=-1)),
        "width-string.json": _api(_set("5", width="wide")),
        "cfg-bool.json": _api(_set("3", cfg=True)),
        "sampler-unknown.json": _api(_set("3", sampler_name="no-such-sampler")),
        # -- graph structure
        "cycle-api.json": _cycle(),
        "self-loop-api.json": json.dumps({
            "2": {"class_type": "ImageInvert", "inputs": {"image": ["2", 0]}},
            "4": {"class_type": "SaveImage", "inputs": {"images": ["2", 0], "filename_prefix": "x"}},
        }),  # fmt: skip
        "dangling-link-api.json": _api(_set("8", samples=["99", 0])),
        "bad-output-slot-api.json": _api(_set("8", samples=["3", 5])),
        "node-not-object-api.json": _api(lambda p: p.update({"11": "KSampler"})),
        "node-is-list-api.json": _api(lambda p: p.update({"11": [1, 2, 3]})),
        "class-type-number.json": _api(lambda p: p["9"].update(class_type=7)),
        "inputs-is-list.json": _api(lambda p: p["9"].update(inputs=["images"])),
        "unknown-node-type.json": _api(lambda p: p["9"].update(class_type="NoSuchNode")),
        "empty-object.json": "{}",
        "array.json": "[1, 2, 3]",
        "null.json": "null",
        "number.json": "42",
        "wrapper-prompt-number.json": json.dumps({"prompt": 5}),
        "wrapper-workflow-not-graph.json": json.dumps({"workflow": {"pos": [0, 0]}}),
        "history-prompt-not-api.json": json.dumps({"abc": {"prompt": [1, "abc", {"1": 5}], "outputs": {}}}),
        "ui-missing-links.json": _ui(lambda g: g.pop("links")),
        "ui-links-not-list.json": _ui(lambda g: g.update(links="1,2,3")),
        "ui-dangling-link.json": _ui(lambda g: _node_of(g, 3)["inputs"][0].update(link=77)),
        "ui-cycle.json": _ui(_ui_cycle),
        "ui-node-not-object.json": _ui(lambda g: g["nodes"].append("KSampler")),
        "ui-node-number.json": _ui(lambda g: g["nodes"].insert(0, 12)),
        "ui-node-without-id.json": _ui(lambda g: _node_of(g, 5).update(id={"x": 1})),
        "ui-node-without-type.json": _ui(lambda g: _node_of(g, 5).update(type=None)),
        "ui-width-negative.json": _ui(lambda g: _node_of(g, 5).update(widgets_values=[-64, 512, 1])),
        "ui-subgraph-contains-itself.json": _ui(_self_subgraph),
        # -- A1111 infotext
        "a1111-garbage.txt": _a1111("Steps: banana, Sampler: ???, CFG scale: lots, Seed: -5, Size: 0x-3, Model: \x1b[31mred"),
        "a1111-huge-values.txt": _a1111("Steps: 20, Sampler: Euler a, Seed: 999999999999999999999999, Size: 512x512"),
        "a1111-negative-steps.txt": _a1111("Steps: -3, Sampler: Euler, CFG scale: 7, Seed: 12, Size: 512x512"),
        "a1111-seed-2pow64.txt": _a1111("Steps: 20, Seed: 18446744073709551616, Size: 512x512"),
        "a1111-size-zero.txt": _a1111("Steps: 20, Seed: 3, Size: 0x0"),
        "a1111-no-prompt-line.txt": "Steps: 20, Seed: 1\n",
        # -- valid input whose text is hostile to terminals: stored verbatim, printed inert
        "api-without-lora.json": _api(lambda p: (p.pop("10"), p["3"]["inputs"].update(model=["4", 0]),
                                                 p["6"]["inputs"].update(clip=["4", 1]), p["7"]["inputs"].update(clip=["4", 1]))),
    }  # fmt: skip
    for key, text in HOSTILE.items():
        files[f"text-{key}.json"] = _api(lambda p, t=text: (p["6"]["inputs"].update(text=t), p["6"]["_meta"].update(title=t), p["7"]["inputs"].update(text=t)))
    files["text-ui-titles.json"] = _ui(lambda g: (_node_of(g, 6).update(title=UI_TEXT, widgets_values=[UI_TEXT]), _node_of(g, 9).update(title=HOSTILE["osc52"])))
    files["a1111-hostile-text.txt"] = _a1111("Steps: 2, Sampler: Euler, CFG scale: 7, Seed: 5, Size: 512x512", prompt=ALL_TEXT, negative=HOSTILE["ansi"])
    return files


def png_files() -> dict[str, bytes]:
    with_prompt = png([("prompt", json.dumps(api_prompt()))])
    text_at = with_prompt.index(b"tEXt")
    bad_crc = bytearray(with_prompt)
    bad_crc[text_at + 12] ^= 0xFF
    return {
        "no-metadata.png": png(),
        "truncated.png": with_prompt[: len(with_prompt) // 2],
        "truncated-header.png": with_prompt[:20],
        "magic-only.png": b"\x89PNG\r\n\x1a\n",
        "bad-crc.png": bytes(bad_crc),
        "text-before-ihdr.png": b"\x89PNG\r\n\x1a\n" + chunk(b"tEXt", b"prompt\0{}") + with_prompt[8:],
        "prompt-chunk-bad-json.png": png([("prompt", '{"3": {"class_type": "KSampler",')]),
        "prompt-chunk-nan.png": png([("prompt", json.dumps(api_prompt()).replace('"cfg": 7.0', '"cfg": NaN'))]),
        "prompt-chunk-not-workflow.png": png([("prompt", "[1, 2, 3]"), ("workflow", '{"pos": 1}')]),
        "ztxt-corrupt.png": png_with(chunk(b"zTXt", b"prompt\0\0" + b"not zlib data")),
        "itxt-not-utf8.png": png_with(chunk(b"iTXt", b"prompt\0\0\0\0\0\xff\xfe{}")),
        "huge-dimensions.png": png_with(chunk(b"tEXt", b"prompt\0" + json.dumps(api_prompt()).encode()), ihdr=struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)),
        "a1111-garbage.png": png([("parameters", _a1111("Steps: banana, Seed: -5, Size: 0x-3"))]),
    }


def build(target: Path = FILES) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in {**text_files(), **png_files()}.items():
        path = target / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        written.append(path)
    return written


if __name__ == "__main__":
    for path in build():
        print(path.relative_to(FILES.parent.parent.parent))
