"""Arbitrary input never escapes as anything but an SftuiError (no KeyError, TypeError, RecursionError, …)."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sftui.errors import SftuiError
from sftui.workflows.convert import resolve_api_prompt, ui_to_api
from sftui.workflows.formats import LoadedWorkflow, load_workflow
from sftui.workflows.validate import check_prompt, validate_prompt

REFERENCE = (Path(__file__).resolve().parents[2] / ".." / "shared" / "comfyui-reference" / "object_info.json").resolve()
OBJECT_INFO = json.loads(REFERENCE.read_text()) if REFERENCE.is_file() else None
needs_reference = pytest.mark.skipif(OBJECT_INFO is None, reason="reference captures not found")

SUB_ID = "55555555-5555-4555-8555-555555555555"
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=True), st.text(max_size=8)
)
json_like = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=25
)
# Small ids dominate so that links, slots and subgraph boundaries actually connect.
small = st.integers(min_value=0, max_value=4)
ids = st.one_of(small, small, small, st.integers(min_value=-20, max_value=12), st.sampled_from(["1", "2", "-10", "x", ""]), st.none(), st.floats())
types = st.sampled_from(
    ["KSampler", "EmptyImage", "ImageInvert", "PreviewImage", "LoadImage", "CLIPTextEncode", "Reroute", "PrimitiveNode", "Note", SUB_ID, "Unknown", 7]
)
slot_types = st.sampled_from(["IMAGE", "INT", "*", "", "LATENT,IMAGE", None, 3, ["a"]])
slots = st.lists(
    st.fixed_dictionaries(
        {"name": st.one_of(st.text(max_size=5), st.sampled_from(["image", "images", "width", "seed", "text"])), "type": slot_types},
        optional={"link": st.one_of(small, ids), "links": st.one_of(st.lists(ids, max_size=3), json_like), "widget": st.one_of(json_like, st.just({"name": "width"}))},
    ),
    max_size=4,
)
nodes = st.lists(
    st.fixed_dictionaries(
        {"id": ids, "type": types},
        optional={
            "mode": st.one_of(st.sampled_from([0, 2, 4]), json_like),
            "inputs": st.one_of(slots, json_like),
            "outputs": st.one_of(slots, json_like),
            "widgets_values": json_like,
            "title": json_like,
            "properties": json_like,
        },
    ),
    max_size=6,
)
link_rows = st.tuples(small, small, small, small, small, slot_types).map(list)
link_objects = st.fixed_dictionaries(
    {"id": small, "origin_id": st.one_of(small, st.just(-10)), "origin_slot": small, "target_id": st.one_of(small, st.just(-20)), "target_slot": small}
)
links = st.lists(st.one_of(link_rows, link_rows, link_objects, st.lists(ids, min_size=5, max_size=6), json_like), max_size=6)
subgraph = st.fixed_dictionaries(
    {"id": st.just(SUB_ID), "nodes": nodes, "links": links},
    optional={"inputs": st.lists(st.fixed_dictionaries({"name": st.text(max_size=4), "type": slot_types}, optional={"linkIds": st.lists(ids, max_size=3)}), max_size=3),
              "outputs": st.lists(st.fixed_dictionaries({"name": st.text(max_size=4), "type": slot_types}, optional={"linkIds": st.lists(ids, max_size=3)}), max_size=3)},
)
graphs = st.fixed_dictionaries(
    {"nodes": nodes, "links": links},
    optional={"definitions": st.one_of(st.fixed_dictionaries({"subgraphs": st.lists(subgraph, max_size=2)}), json_like), "last_node_id": ids, "extra": json_like},
)
input_names = st.sampled_from(["image", "images", "width", "seed", "text", "model", "samples", ""])


@st.composite
def wired(draw, *, boundary: bool = False) -> dict:
    """A graph whose links point at its own nodes (and, inside a subgraph, at the -10/-20 boundary nodes)."""
    count = draw(st.integers(1, 5))
    node_ids = list(range(1, count + 1))
    ends = node_ids + ([-10, -20] if boundary else [])
    inputs: dict[int, list] = {i: [] for i in ends}
    outputs: dict[int, dict[int, list]] = {i: {} for i in ends}
    links = []
    for link_id in range(1, draw(st.integers(0, 8)) + 1):
        origin, target = draw(st.sampled_from([e for e in ends if e != -20])), draw(st.sampled_from([e for e in ends if e != -10]))
        origin_slot = draw(st.integers(0, 2))
        links.append({"id": link_id, "origin_id": origin, "origin_slot": origin_slot, "target_id": target, "target_slot": len(inputs[target]), "type": draw(slot_types)})
        slot = {"name": draw(input_names), "type": draw(slot_types), "link": link_id}
        if draw(st.booleans()):
            slot["widget"] = {"name": slot["name"]}
        inputs[target].append(slot)
        outputs[origin].setdefault(origin_slot, []).append(link_id)
    nodes = [
        {
            "id": i,
            "type": draw(types),
            "mode": draw(st.sampled_from([0, 0, 0, 2, 4])),
            "inputs": inputs[i],
            "outputs": [{"name": "out", "type": draw(slot_types), "links": outputs[i].get(k, [])} for k in range(3)],
            "widgets_values": draw(st.one_of(json_like, st.lists(scalars, max_size=8))),
        }
        for i in node_ids
    ]
    graph: dict = {"nodes": nodes, "links": links if boundary or draw(st.booleans()) else [list(link.values()) for link in links]}
    if boundary:
        graph["id"] = SUB_ID
        graph["inputs"] = [{"name": draw(input_names), "type": draw(slot_types), "linkIds": [l["id"] for l in links if l["origin_id"] == -10 and l["origin_slot"] == k]} for k in range(3)]
        graph["outputs"] = [{"name": "out", "type": draw(slot_types), "linkIds": [l["id"] for l in links if l["target_id"] == -20]}]
    elif draw(st.booleans()):
        graph["definitions"] = {"subgraphs": [draw(wired(boundary=True))]}
        graph["last_node_id"] = draw(st.integers(0, 6))
    return graph


api_prompts = st.dictionaries(
    st.sampled_from(["1", "2", "3", "4"]),
    st.one_of(
        json_like,
        st.fixed_dictionaries(
            {"class_type": types},
            optional={"inputs": st.one_of(json_like, st.dictionaries(st.sampled_from(["image", "images", "seed", "steps", "width", "text", "model"]),
                                                                       st.one_of(json_like, st.tuples(st.sampled_from(["1", "2", "9"]), st.integers(-1, 3)).map(list)), max_size=4))},
        ),
    ),
    max_size=4,
)

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def only_sftui_errors(call) -> None:
    try:
        call()
    except SftuiError as exc:
        assert "\n" not in str(exc)


@FUZZ
@given(st.one_of(json_like, graphs, api_prompts))
def test_load_workflow_on_json(value) -> None:
    only_sftui_errors(lambda: load_workflow(json.dumps(value), source="fuzz.json"))


@FUZZ
@given(st.binary(max_size=300))
def test_load_workflow_on_bytes(data: bytes) -> None:
    only_sftui_errors(lambda: load_workflow(data, source="fuzz"))
    only_sftui_errors(lambda: load_workflow(b"\x89PNG\r\n\x1a\n" + data, source="fuzz.png"))


@FUZZ
@given(st.binary(max_size=60), st.sampled_from([b"tEXt", b"zTXt", b"iTXt", b"IHDR", b"IEND"]))
def test_load_workflow_on_png_chunks(body: bytes, kind: bytes) -> None:
    def chunk(k: bytes, b: bytes) -> bytes:
        return len(b).to_bytes(4, "big") + k + b + zlib.crc32(k + b).to_bytes(4, "big")

    ihdr = chunk(b"IHDR", bytes.fromhex("0000000400000004 0802000000"))
    only_sftui_errors(lambda: load_workflow(b"\x89PNG\r\n\x1a\n" + ihdr + chunk(kind, body) + chunk(b"IEND", b""), source="f.png"))


@needs_reference
@FUZZ
@given(st.one_of(wired(), wired(), graphs, json_like))
def test_ui_to_api(graph) -> None:
    only_sftui_errors(lambda: ui_to_api(graph, OBJECT_INFO))
    only_sftui_errors(lambda: resolve_api_prompt(LoadedWorkflow("fuzz", "ui", ui_graph=graph), OBJECT_INFO))


@FUZZ
@given(st.one_of(graphs, json_like), st.dictionaries(st.sampled_from(["KSampler", "EmptyImage", "X"]), json_like, max_size=3))
def test_ui_to_api_with_broken_object_info(graph, object_info) -> None:
    only_sftui_errors(lambda: ui_to_api(graph, object_info))


@FUZZ
@given(st.one_of(api_prompts, json_like))
def test_validate_prompt(prompt) -> None:
    for info in (OBJECT_INFO, None, {"KSampler": [1], "EmptyImage": {"input": 3, "output": 5}}):
        issues = validate_prompt(prompt, info)
        assert all(i.severity in ("error", "warning") and "\n" not in i.message for i in issues)
        only_sftui_errors(lambda: check_prompt(prompt, info))
