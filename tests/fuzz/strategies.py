"""Hypothesis strategies for hostile input: JSON-like values, workflow-shaped graphs, PNG chunk streams."""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Text that includes what breaks naive code: controls, bidi, surrogates, NUL, huge code points.
nasty_text = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(["\x00", "\x1b", "\x07", "\x9b", "\u202e", "\u200b", "\ufeff", "\ud800", "\udfff", "{", "}", "[", "]", ":", ",", '"', "\\", "\n"]),
    ),
    max_size=24,
)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**80), max_value=2**80), st.floats(allow_nan=False, allow_infinity=False), nasty_text
)
json_like = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(nasty_text, inner, max_size=4), max_leaves=30)

CLASSES = ["KSampler", "CheckpointLoaderSimple", "CLIPTextEncode", "EmptyLatentImage", "VAEDecode", "SaveImage", "LoraLoader",
           "ImageInvert", "PrimitiveNode", "Reroute", "Note", "NoSuchNode"]  # fmt: skip
INPUT_NAMES = ["model", "clip", "positive", "negative", "latent_image", "samples", "vae", "images", "image", "seed", "steps", "cfg",
               "text", "width", "height", "batch_size", "ckpt_name", "lora_name", "strength_model", "sampler_name", "filename_prefix"]  # fmt: skip
ids = st.sampled_from(["1", "2", "3", "4", "5", "6"])
link = st.tuples(ids, st.integers(-1, 3)).map(list)
api_node = st.fixed_dictionaries(
    {"class_type": st.sampled_from(CLASSES)},
    optional={"inputs": st.dictionaries(st.sampled_from(INPUT_NAMES), st.one_of(link, link, json_like), max_size=8), "_meta": json_like},
)
api_prompts = st.dictionaries(ids, st.one_of(api_node, api_node, api_node, json_like), min_size=1, max_size=6)

slot = st.fixed_dictionaries(
    {"name": st.sampled_from(INPUT_NAMES), "type": st.sampled_from(["MODEL", "CLIP", "LATENT", "IMAGE", "INT", "*", None])},
    optional={"link": st.one_of(st.integers(0, 8), st.none(), json_like), "links": st.lists(st.integers(0, 8), max_size=3), "widget": json_like},
)
ui_node = st.fixed_dictionaries(
    {"id": st.integers(0, 6), "type": st.sampled_from(CLASSES)},
    optional={"inputs": st.lists(slot, max_size=4), "outputs": st.lists(slot, max_size=3), "widgets_values": st.one_of(st.lists(scalars, max_size=8), json_like),
              "mode": st.sampled_from([0, 2, 4]), "title": nasty_text},
)  # fmt: skip
ui_link = st.tuples(st.integers(0, 8), st.integers(0, 6), st.integers(0, 3), st.integers(0, 6), st.integers(0, 3), st.sampled_from(["MODEL", "LATENT", "*"])).map(list)
ui_graphs = st.fixed_dictionaries(
    {"nodes": st.lists(st.one_of(ui_node, ui_node, ui_node, json_like), max_size=6)},
    optional={"links": st.one_of(st.lists(st.one_of(ui_link, json_like), max_size=8), json_like), "definitions": json_like, "extra": json_like},
)
workflow_values = st.one_of(api_prompts, ui_graphs, json_like, st.fixed_dictionaries({"prompt": api_prompts}, optional={"workflow": ui_graphs}))


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


text_payloads = st.one_of(workflow_values.map(lambda v: json.dumps(v)), nasty_text, st.binary(max_size=40).map(lambda b: b.decode("latin-1")))


@st.composite
def text_chunk(draw: Any) -> bytes:
    keyword = draw(st.sampled_from([b"prompt", b"workflow", b"parameters", b"Comment", b""]))
    text = draw(text_payloads).encode("utf-8", "surrogatepass")
    kind = draw(st.sampled_from([b"tEXt", b"zTXt", b"iTXt"]))
    if kind == b"tEXt":
        return chunk(kind, keyword + b"\0" + text)
    if kind == b"zTXt":
        body = zlib.compress(text) if draw(st.booleans()) else draw(st.binary(max_size=20))
        return chunk(kind, keyword + b"\0" + draw(st.sampled_from([b"\0", b"\1"])) + body)
    compressed = draw(st.booleans())
    body = zlib.compress(text) if compressed else text
    return chunk(kind, keyword + b"\0" + bytes([compressed, draw(st.sampled_from([0, 0, 8]))]) + b"en\0Title\0" + body)


@st.composite
def pngish(draw: Any) -> bytes:
    """A PNG skeleton with text chunks, then maybe cut short or with one byte flipped."""
    width, height = draw(st.integers(0, 70000)), draw(st.integers(0, 70000))
    ihdr = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, draw(st.sampled_from([0, 2, 6, 9])), 0, 0, 0))
    middle = draw(st.lists(st.one_of(text_chunk(), st.builds(chunk, st.sampled_from([b"IDAT", b"tIME", b"zzZz"]), st.binary(max_size=16))), max_size=4))
    data = bytearray(b"\x89PNG\r\n\x1a\n" + ihdr + b"".join(middle) + chunk(b"IEND", b""))
    damage = draw(st.sampled_from(["none", "none", "cut", "flip"]))
    if damage == "cut":
        del data[draw(st.integers(8, len(data))) :]
    elif damage == "flip":
        at = draw(st.integers(8, len(data) - 1))
        data[at] ^= draw(st.integers(1, 255))
    return bytes(data)


@st.composite
def mutated_prompts(draw: Any) -> dict[str, Any]:
    """A valid txt2img prompt with a few inputs replaced, nodes dropped or retyped: most still import."""
    from tests.corpus.build_corpus import api_prompt

    prompt = api_prompt()
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2, 3]))):
        node_id = draw(st.sampled_from(sorted(prompt)))
        action = draw(st.sampled_from(["value", "value", "link", "drop", "retype"]))
        node = prompt[node_id]
        if action == "drop":
            del prompt[node_id]
            if not prompt:
                break
        elif action == "retype":
            node["class_type"] = draw(st.sampled_from(CLASSES))
        elif isinstance(node.get("inputs"), dict):
            name = draw(st.sampled_from(sorted(node["inputs"]) or INPUT_NAMES))
            node["inputs"][name] = draw(link) if action == "link" else draw(scalars)
    return prompt


@st.composite
def mutated_graphs(draw: Any) -> dict[str, Any]:
    """The same workflow in UI form with widget values, links or slots disturbed."""
    from tests.corpus.build_corpus import ui_graph

    graph = ui_graph()
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2, 3]))):
        node = draw(st.sampled_from(graph["nodes"]))
        action = draw(st.sampled_from(["widgets", "widgets", "link", "mode", "drop-link"]))
        if action == "widgets":
            values = list(node.get("widgets_values") or [None])
            values[draw(st.integers(0, len(values) - 1))] = draw(scalars)
            node["widgets_values"] = values
        elif action == "link" and node["inputs"]:
            draw(st.sampled_from(node["inputs"]))["link"] = draw(st.integers(0, 14))
        elif action == "mode":
            node["mode"] = draw(st.sampled_from([0, 2, 4]))
        elif graph["links"]:
            graph["links"].pop(draw(st.integers(0, len(graph["links"]) - 1)))
    return graph
